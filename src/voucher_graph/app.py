"""create_app(settings) -> Starlette: the composition root of the HTTP service."""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cross_web import HTTPException
from graphql import ExecutionResult
from oso import Oso
from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse, process_result

from .auth import TokenError, user_id_from_header
from .data import models as m
from .data.engine import create_engine, session_factory
from .data.loaders import Loaders
from .data.viewer import load_viewer
from .domain.dates import helsinki_today, window_start
from .policies.gate import Gate
from .policies.oso_setup import create_oso
from .schema.build import build_schema
from .schema.context import Context
from .schema.errors import client_error
from .settings import Settings

logger = logging.getLogger("voucher_graph.http")


@dataclass
class Services:
    """What every request shares: settings, engine, sessions, the loaded policy."""

    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    oso: Oso

    def today(self) -> Any:
        return self.settings.today or helsinki_today(datetime.now(UTC))


def _unauthorized(reason: str) -> JSONResponse:
    return JSONResponse(
        {"errors": [{"message": reason, "extensions": {"code": "UNAUTHENTICATED"}}]},
        status_code=401,
        headers={"WWW-Authenticate": "Bearer"},
    )


class GraphQLEndpoint(GraphQL):  # type: ignore[type-arg]
    """Strawberry's ASGI view, with authentication, a session per request, the
    access log written before the response leaves, and errors mapped to codes."""

    def __init__(self, services: Services) -> None:
        settings = services.settings
        super().__init__(
            build_schema(),
            graphql_ide="graphiql" if settings.graphiql else None,
            allow_queries_via_get=False,
        )
        self.services = services

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            response: Response = JSONResponse({"detail": "not supported"}, status_code=400)
            await response(scope, receive, send)
            return
        request = Request(scope, receive)
        if request.method == "GET" and "text/html" in request.headers.get("accept", ""):
            # GraphiQL itself is public; every query it sends carries the token.
            await super().__call__(scope, receive, send)
            return
        response = await self._serve(request)
        await response(scope, receive, send)

    async def _serve(self, request: Request) -> Response:
        services = self.services
        settings = services.settings
        request_id = uuid.uuid4().hex[:16]
        if settings.jwt_secret is None:
            return _unauthorized("the server has no token secret")
        try:
            user_id = user_id_from_header(
                request.headers.get("authorization"),
                settings.jwt_secret,
                issuer=settings.jwt_issuer,
                audience=settings.jwt_audience,
            )
        except TokenError as exc:
            return _unauthorized(str(exc))
        today = services.today()
        async with services.sessions() as session:
            viewer = await load_viewer(
                session, user_id, today=today, window_start=window_start(today)
            )
            if viewer is None:
                return _unauthorized("unknown user")
            gate = Gate(services.oso, viewer)
            context = Context(
                settings=settings,
                session=session,
                viewer=viewer,
                gate=gate,
                loaders=Loaders(session, gate.scopes),
                today=today,
                request_id=request_id,
            )
            request.state.vg_context = context
            try:
                response = await self.run(request, context=context)
            except HTTPException as exc:
                return JSONResponse({"detail": exc.reason}, status_code=exc.status_code)
            if context.disclosed:
                try:
                    await write_access_log(session, context)
                    await session.commit()
                except Exception:  # noqa: BLE001 - any failure must withhold identities
                    logger.exception("access log write failed in request %s", request_id)
                    await session.rollback()
                    return JSONResponse(
                        {
                            "data": None,
                            "errors": [
                                {
                                    "message": f"Internal error; quote request id {request_id}",
                                    "extensions": {
                                        "code": "INTERNAL_SERVER_ERROR",
                                        "requestId": request_id,
                                    },
                                }
                            ],
                        },
                        status_code=500,
                    )
            else:
                await session.commit()
            response.headers["x-request-id"] = request_id
            return response

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        request_id = ""
        if result.errors:
            context = getattr(request.state, "vg_context", None)
            request_id = context.request_id if context else ""
            result.errors = [client_error(e, request_id) for e in result.errors]
        return process_result(result)

    async def get_context(self, request: Any, response: Any) -> Any:  # pragma: no cover
        raise RuntimeError("contexts are built by _serve")


async def write_access_log(session: AsyncSession, context: Context) -> None:
    """One statement for the whole response, however many customers it disclosed."""
    at = datetime.now(UTC)
    rows = [
        {
            "user_id": context.viewer.id,
            "customer_id": customer_id,
            "fields": sorted(fields),
            "at": at,
            "operation": context.operation_name,
        }
        for customer_id, fields in sorted(context.disclosed.items())
    ]
    await session.execute(insert(m.AccessLogEntry), rows)


def create_app(settings: Settings, *, engine: AsyncEngine | None = None) -> Starlette:
    engine = engine or create_engine(settings.database_url)
    services = Services(
        settings=settings, engine=engine, sessions=session_factory(engine), oso=create_oso()
    )

    async def health(_request: Request) -> Response:
        try:
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception:  # noqa: BLE001 - any failure means "not healthy"
            return JSONResponse({"status": "unavailable"}, status_code=503)
        return JSONResponse({"status": "ok"})

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        await engine.dispose()

    graphql = GraphQLEndpoint(services)
    app = Starlette(
        routes=[
            Route("/health", health, methods=["GET"]),
            Route("/graphql", graphql, methods=["GET", "POST"]),
        ],
        lifespan=lifespan,
    )
    app.state.services = services
    return app
