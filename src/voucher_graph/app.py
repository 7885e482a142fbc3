"""create_app(settings) -> Starlette: the composition root of the HTTP service."""

from __future__ import annotations

import contextlib
import functools
import gc
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
from cross_web import HTTPException
from opentelemetry.sdk.trace import TracerProvider
from oso import Oso
from starlette.applications import Starlette
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse, process_result
from strawberry.types import ExecutionResult

from .auth import BearerBackend
from .data import access_log, reads
from .data.engine import (
    DatabaseError,
    Engine,
    Session,
    SessionFactory,
    ShieldedSession,
    count_statements_of,
    create_engine,
    session_factory,
    statement_count,
)
from .data.loaders import Loaders
from .data.viewer import load_viewer
from .domain.dates import helsinki_today, window_start
from .logging_setup import REQUEST_LOGGER
from .policies.gate import Gate, StatementCache
from .policies.oso_setup import create_oso
from .printing import print_route
from .schema.build import build_schema
from .schema.context import Context
from .schema.errors import INTERNAL, client_error, error_code
from .schema.limits import LimitCheck, schema_extensions, served_rules
from .schema.prepared import Prepared, PreparedReads
from .settings import Settings
from .web import graphql_http, metrics, telemetry
from .web.body_limit import BodyLimit, BodyTooLarge
from .web.cors import with_cors
from .web.graphiql import graphiql_page, static_mount
from .web.public_url import public_base
from .web.trusted_documents import TrustedDocuments

logger = logging.getLogger("voucher_graph.http")
request_logger = logging.getLogger(REQUEST_LOGGER)


@dataclass
class Services:
    """What every request shares: settings, engine, sessions, the loaded policy."""

    settings: Settings
    engine: Engine
    sessions: SessionFactory
    oso: Oso
    # Traces go here when OpenTelemetry is configured (web/telemetry.py); else None.
    tracer_provider: TracerProvider | None = None
    statements: StatementCache = field(init=False)
    access_log_group: access_log.AccessLogGroup = field(init=False)

    def __post_init__(self) -> None:
        # Authorized statements shared by viewers with equal policy facts.
        self.statements = StatementCache(self.oso)
        self.access_log_group = access_log.AccessLogGroup()

    def today(self) -> Any:
        return self.settings.today or helsinki_today(datetime.now(UTC))

    async def open_context(
        self,
        session: Session,
        user_id: str,
        *,
        request_id: str,
        root_path: str = "",
        base_url_of: Callable[[], str] | None = None,
    ) -> Context | None:
        """The request's Context, the viewer read afresh from the database; None if unknown.

        Shared by /graphql and the print page so that both apply the same policy."""
        today = self.today()
        viewer = await load_viewer(session, user_id, today=today, window_start=window_start(today))
        if viewer is None:
            return None
        gate = Gate(self.oso, viewer, self.statements)
        return Context(
            settings=self.settings,
            session=session,
            viewer=viewer,
            gate=gate,
            loaders=Loaders(session, gate.scopes, viewer.reference_generation),
            today=today,
            request_id=request_id,
            root_path=root_path,
            base_url_of=base_url_of,
            access_log_group=self.access_log_group,
        )


def _error(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    """A GraphQL-shaped error body for failures outside GraphQL execution."""
    return JSONResponse(
        {"data": None, "errors": [{"message": message, "extensions": {"code": code}}]},
        status_code=status,
        headers=headers,
    )


def _unauthorized(reason: str) -> JSONResponse:
    return _error(401, "UNAUTHENTICATED", reason, {"WWW-Authenticate": "Bearer"})


def _internal(request_id: str) -> JSONResponse:
    """The answer to anything unexpected: a generic message carrying the request id."""
    return JSONResponse(
        {
            "data": None,
            "errors": [
                {
                    "message": f"Internal error; quote request id {request_id}",
                    "extensions": {"code": INTERNAL, "requestId": request_id},
                }
            ],
        },
        status_code=500,
    )


@dataclass
class RequestLog:
    """What the one log line of a request says; never a hetu or a name."""

    request_id: str
    method: str
    user_id: str | None = None
    operation: str | None = None
    codes: tuple[str, ...] = ()
    # The request's GraphQL context, when it got one: released after the response.
    context: Context | None = field(default=None, repr=False)

    def emit(self, status: int, started: float, statements: int) -> None:
        request_logger.info(
            "request",
            extra={
                "fields": {
                    "request_id": self.request_id,
                    "method": self.method,
                    "status": status,
                    "user_id": self.user_id,
                    "operation": self.operation,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                    "sql_statements": statements,
                    "error_codes": list(self.codes),
                }
            },
        )


def _replay(body: bytes) -> Receive:
    """A receive channel that hands Strawberry the body already read."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


def _check_payload(body: bytes) -> tuple[dict[str, Any] | None, str]:
    """The decoded GraphQL request, or None and why it is refused (a 400)."""
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None, "the body is not valid JSON"
    if not isinstance(payload, dict):
        return None, "the body must be a JSON object"
    if not isinstance(payload.get("query"), str) or not payload["query"].strip():
        return None, "the body must have a `query` string"
    if not isinstance(payload.get("variables") or {}, dict):
        return None, "`variables` must be an object"
    if not isinstance(payload.get("operationName") or "", str):
        return None, "`operationName` must be a string"
    return payload, ""


class GraphQLEndpoint(GraphQL):
    """Strawberry's ASGI view, with a session per request, the access log written before
    the response leaves, and errors mapped to codes. It runs inside `guarded` (below):
    request.user comes from the bearer token, and the body is read under the limit."""

    def __init__(self, services: Services) -> None:
        settings = services.settings
        super().__init__(
            build_schema(
                extensions=[
                    *schema_extensions(settings),
                    *telemetry.schema_extensions(services.tracer_provider),
                ],
                hide_suggestions=not settings.introspection,
            ),
            graphql_ide="graphiql" if settings.graphiql else None,
            allow_queries_via_get=False,
        )
        self.services = services
        self.limit_check = LimitCheck(self.schema._schema, settings.limits)  # type: ignore[attr-defined]
        self.operation_check = graphql_http.OperationCheck(settings.limits.max_tokens)
        self.trusted_documents = (
            TrustedDocuments.load(settings.trusted_documents)
            if settings.trusted_documents
            else None
        )
        # Valid queries skip Strawberry's per-request view and extensions. Not with
        # tracing on: its spans come from an extension (web/telemetry.py).
        self.prepared = (
            PreparedReads(
                self.schema,  # type: ignore[arg-type]
                served_rules(settings),
                max_tokens=settings.limits.max_tokens,
            )
            if services.tracer_provider is None
            else None
        )
        # Strawberry streams (multipart, server-sent events) only over the transports a
        # view enables; ours enables none, so no Accept header needs reading.
        self._streams = bool(self._stream_transport_map)
        count_statements_of(services.engine)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            response: Response = _error(400, "BAD_USER_INPUT", "only HTTP is served here")
            await response(scope, receive, send)
            return
        started = time.perf_counter()
        request = Request(scope, receive)
        log = RequestLog(request_id=uuid.uuid4().hex[:16], method=request.method)
        try:
            await self._respond(request, log, started, scope, receive, send)
        finally:
            # The request's rows and facts are dropped once the answer has left, not
            # before: freeing a page of 500's rows (tens of thousands of objects) took
            # about 5 % of its time, which the client no longer waits for.
            if log.context is not None:
                log.context.release()

    async def _respond(
        self,
        request: Request,
        log: RequestLog,
        started: float,
        scope: Scope,
        receive: Receive,
        send: Send,
    ) -> None:
        with statement_count() as statements:
            try:
                response = await self._dispatch(request, log)
            except BodyTooLarge as exc:
                response = _error(413, "BAD_USER_INPUT", str(exc))
            except Exception:  # noqa: BLE001 - the client gets a request id, never a trace
                logger.exception("unexpected failure in request %s", log.request_id)
                response = _internal(log.request_id)
                log.codes = (INTERNAL,)
        response = graphql_http.finish(request, response)
        response.headers["x-request-id"] = log.request_id
        log.emit(response.status_code, started, statements[0])
        metrics.observe_request(
            log.operation,
            response.status_code,
            log.codes,
            time.perf_counter() - started,
            statements[0],
        )
        telemetry.annotate(statements[0], log.operation, log.codes)
        await response(scope, receive, send)

    async def _dispatch(self, request: Request, log: RequestLog) -> Response:
        """HTTP-level refusals (method, type, size, JSON, token, limits), then GraphQL."""
        settings = self.services.settings
        if request.method == "OPTIONS":
            # Not a preflight (CORS answered those): say what is allowed, token or not.
            return Response(status_code=204, headers={"Allow": "GET, POST, OPTIONS"})
        if (
            request.method == "GET"
            and not request.url.query
            and settings.graphiql
            and "text/html" in request.headers.get("accept", "")
        ):
            # GraphiQL itself is public; every query it sends carries the token.
            return graphiql_page(request, trusted_documents=self.trusted_documents is not None)
        # The token first (no database work): strangers learn nothing else, and
        # never make the server read a body.
        if not request.user.is_authenticated:
            log.codes = ("UNAUTHENTICATED",)
            return _unauthorized(request.user.reason)
        log.user_id = request.user.identity
        if request.method != "POST":
            # No queries (nor mutations) over GET: they would land in logs and caches.
            return _error(405, "BAD_USER_INPUT", "send queries as POST", {"Allow": "POST"})
        media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media_type != "application/json":
            return _error(415, "BAD_USER_INPUT", "the body must be application/json")
        body = await request.body()  # BodyLimit: over the limit raises BodyTooLarge
        if self.trusted_documents is not None:
            body, refusal = self.trusted_documents.rewrite(body)
            if refusal:
                log.codes = ("BAD_USER_INPUT",)
                return _error(400, "BAD_USER_INPUT", refusal)
        payload, problem = _check_payload(body)
        if payload is None:
            return _error(400, "BAD_USER_INPUT", problem)
        return await self._serve(Request(request.scope, _replay(body)), payload, log)

    async def _serve(self, request: Request, payload: dict[str, Any], log: RequestLog) -> Response:
        services = self.services
        request_id = log.request_id
        user_id = log.user_id
        assert user_id is not None
        # Limits (and text no database stores) before any database work, viewer included.
        if too_complex := self.limit_check.errors(
            payload["query"], payload.get("variables"), payload.get("operationName")
        ) or self.operation_check.errors(payload["query"], payload.get("operationName")):
            log.codes = tuple(error_code(e) for e in too_complex)
            errors = [client_error(e, request_id).formatted for e in too_complex]
            graphql_http.mark_request_error(request)
            return JSONResponse({"data": None, "errors": errors})
        async with services.sessions() as session:
            context = await services.open_context(
                session,
                user_id,
                request_id=request_id,
                root_path=str(request.scope.get("root_path") or ""),
                base_url_of=functools.partial(public_base, services.settings, request),
            )
            if context is None:
                log.codes = ("UNAUTHENTICATED",)
                return _unauthorized("unknown user")
            request.state.vg_context = context
            request.state.vg_log = log
            log.context = context  # released once the response is sent (`__call__`)
            prepared = self._prepared(request, payload)
            return await self._answer(request, context, session, log, payload, prepared)

    def _prepared(self, request: Request, payload: dict[str, Any]) -> Prepared | None:
        """The valid query this request runs, when it may skip Strawberry's view."""
        if (
            self.prepared is None
            or not isinstance(payload.get("extensions") or {}, dict)
            or (
                self._streams
                and self._get_stream_transport_from_headers(request.headers) is not None
            )
        ):
            return None
        return self.prepared.find(payload["query"], payload.get("operationName"))

    async def _answer(
        self,
        request: Request,
        context: Context,
        session: Session,
        log: RequestLog,
        payload: dict[str, Any],
        prepared: Prepared | None,
    ) -> Response:
        """Run the operation, then write its access log: no response before that."""
        try:
            response: Response
            if prepared is not None:
                response = await self._run_prepared(request, context, payload, prepared)
            else:
                response = await self.run(request, context=context)  # type: ignore[call-overload]
        except HTTPException as exc:
            return _error(exc.status_code, "BAD_USER_INPUT", exc.reason)
        finally:
            log.operation = context.operation_name
        try:
            await _log_and_commit(session, context)
        except Exception:  # noqa: BLE001 - any failure must withhold identities
            logger.exception("access log write or commit failed in request %s", log.request_id)
            await session.rollback()
            log.codes = (*log.codes, INTERNAL)
            return _internal(log.request_id)
        return response

    async def _run_prepared(
        self, request: Request, context: Context, payload: dict[str, Any], prepared: Prepared
    ) -> Response:
        """What `self.run` answers for a valid query, without its per-request machinery
        (schema/prepared.py): the same result handling, status and media type."""
        assert self.prepared is not None
        # RecordOperationName's work (schema/limits.py), done here without it.
        context.operation_name = prepared.operation_name
        context.operation_type = "query"
        result = await self.prepared.execute(
            prepared, context, payload.get("variables"), payload.get("extensions")
        )
        data = await self.process_result(request, result)
        return Response(self.encode_json(data), status_code=200, media_type="application/json")

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        request_id = ""
        context = getattr(request.state, "vg_context", None)
        if context is not None:
            # Freed with the rest once the response is sent (`Context.release`): the
            # result's dicts are a page's biggest object tree.
            context.answered = result
        if result.errors:
            request_id = context.request_id if context else ""
            result.errors = [client_error(e, request_id) for e in result.errors]
            log = getattr(request.state, "vg_log", None)
            if log is not None:
                log.codes = tuple(sorted({error_code(e) for e in result.errors}))
            if graphql_http.is_request_error(result.data, result.errors):
                graphql_http.mark_request_error(request)
        return process_result(result)

    def encode_json(self, data: object) -> bytes:
        # orjson: a full page of 500 customers is about 1 MB of JSON.
        return orjson.dumps(data)

    async def get_context(self, request: Any, response: Any) -> Any:
        # Only reached when rendering GraphiQL, which needs no context; every
        # operation gets its Context from _serve.
        return None


async def _log_and_commit(session: Session, context: Context) -> None:
    """Write the access log and commit, or raise (and then nothing may be sent)."""
    try:
        if context.disclosed:
            await write_access_log(session, context)
        await _commit(session)
    except DatabaseError:
        if context.operation_type != "query":
            raise
        # When a field fails, graphql-core cancels its siblings, possibly mid-statement,
        # which invalidates the connection. A query changed nothing: start afresh.
        logger.warning("retrying the access log of request %s", context.request_id)
        await session.rollback()
        if context.disclosed:
            await write_access_log(session, context)
        await _commit(session)


async def _commit(session: Session) -> None:
    # A request that only read has committed already: each of its statements, and its
    # access-log insert, ran on its own (data/raw_rows.py). Nothing is left to send.
    if not (isinstance(session, ShieldedSession) and session.has_nothing_to_commit()):
        await session.commit()


async def write_access_log(session: Session, context: Context) -> None:
    """One statement for the whole response, however many customers it disclosed."""
    written = await access_log.insert_entries(
        session,
        user_id=context.viewer.id,
        operation=context.operation_name,
        at=datetime.now(UTC),
        disclosed=context.disclosed,
        group=context.access_log_group,
    )
    metrics.observe_access_log(written)


def tune_garbage_collector() -> None:
    """Fewer, cheaper collections for a server that builds big short-lived responses.

    Everything alive at start-up (modules, the schema, the policy) moves to the
    permanent generation, so full collections no longer walk it, and the youngest
    generation is collected after 100,000 allocations rather than 700: a page of 500
    customers allocates a few hundred thousand objects, nearly all freed together.
    Measured on that page: about a quarter less CPU.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(100_000, 50, 100)


def guarded(endpoint: ASGIApp, settings: Settings) -> ASGIApp:
    """The endpoint with request.user read from the bearer token (auth.BearerBackend)
    and its body limited to `limits.max_body_bytes` (web/body_limit.py). Both pure ASGI:
    no extra task or body copy per request, unlike BaseHTTPMiddleware."""
    backend = BearerBackend(
        settings.jwt_secret,
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        max_ttl_seconds=settings.jwt_max_ttl_seconds,
    )
    return BodyLimit(AuthenticationMiddleware(endpoint, backend), settings.limits.max_body_bytes)


def create_app(
    settings: Settings,
    *,
    engine: Engine | None = None,
    tracer_provider: TracerProvider | None = None,
) -> Starlette:
    engine = engine or create_engine(settings.database_url, pool_size=settings.database_pool_size)
    own_provider = tracer_provider is None
    provider = tracer_provider or telemetry.provider_from_environment()
    telemetry.trace_engine(engine, provider)
    services = Services(
        settings=settings,
        engine=engine,
        sessions=session_factory(engine),
        oso=create_oso(),
        tracer_provider=provider,
    )

    async def health(_request: Request) -> Response:
        try:
            await reads.ping(engine)
        except Exception:  # noqa: BLE001 - any failure means "not healthy"
            return JSONResponse({"status": "unavailable"}, status_code=503)
        return JSONResponse({"status": "ok"})

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        tune_garbage_collector()
        yield
        await engine.dispose()
        if own_provider and provider is not None:
            provider.shutdown()  # flush the spans still queued for export

    endpoint = GraphQLEndpoint(services)
    app = Starlette(
        routes=[
            Route("/health", health, methods=["GET"]),
            # Every method: the endpoint answers 405 itself; CORS answers preflights first.
            Route(
                "/graphql",
                with_cors(
                    telemetry.traced_app(guarded(endpoint, settings), provider),
                    settings.cors_origins,
                ),
            ),
            Route("/metrics", metrics.metrics_endpoint, methods=["GET"]),
            print_route(services, write_access_log),
            static_mount(),
        ],
        lifespan=lifespan,
    )
    app.state.services = services
    app.state.graphql = endpoint
    return app
