"""Test support: a real database (SQLite file by default, PostgreSQL when
VOUCHER_GRAPH_TEST_DATABASE_URL names one), worlds loaded through the real loader, and
a GraphQL client that goes through the whole HTTP stack.

A module rather than conftest.py, so that test folders may have conftest files of
their own without shadowing these helpers (`from support import Api, load_world`)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import delete, text
from sqlalchemy.ext.asyncio import AsyncEngine

from voucher_graph.app import create_app
from voucher_graph.auth import issue_token
from voucher_graph.data import models as m
from voucher_graph.data.engine import StatementCounter, session_factory
from voucher_graph.data.migrate import upgrade
from voucher_graph.data.writer import clear, write_world
from voucher_graph.settings import Settings
from voucher_graph.world.validate import validate_world

SHARED = Path(__file__).resolve().parents[2] / "shared"
# The contract's example world; a copy travels with the tests for a checkout without shared/.
EXAMPLE_WORLD = SHARED / "examples" / "world-small.json"
if not EXAMPLE_WORLD.exists():
    EXAMPLE_WORLD = Path(__file__).resolve().parent / "world" / "data" / "world-small.json"
SECRET = "test-secret-0123456789-0123456789-abcdef"
TODAY = date(2026, 11, 26)


def database_url(tmp_dir: Path) -> str:
    return os.environ.get("VOUCHER_GRAPH_TEST_DATABASE_URL") or f"sqlite:///{tmp_dir / 'test.db'}"


def is_postgres() -> bool:
    return (os.environ.get("VOUCHER_GRAPH_TEST_DATABASE_URL") or "").startswith("postgres")


async def reset_database(engine: AsyncEngine) -> None:
    """An empty schema at the latest migration."""
    if engine.dialect.name == "postgresql":
        async with engine.begin() as connection:
            await connection.execute(text("DROP SCHEMA public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
    await upgrade(engine)


async def load_world(engine: AsyncEngine, raw: dict[str, Any]) -> None:
    """Replace the database's content with `raw` (a world in the contract format)."""
    world = validate_world(raw)
    async with session_factory(engine)() as session, session.begin():
        await clear(session)
        # `clear` keeps the access log (CONTRACT.md); each test starts with an empty one.
        await session.execute(delete(m.AccessLogEntry))
        await write_world(session, world)


@dataclass
class Api:
    """Speaks GraphQL over HTTP to the app, as a given user."""

    client: httpx.AsyncClient
    counter: StatementCounter
    engine: AsyncEngine

    def token(self, user_id: str, ttl: int = 3600) -> str:
        return issue_token(SECRET, user_id, ttl)

    async def post(
        self, query: str, variables: dict[str, Any] | None = None, *, user: str | None
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token(user)}"} if user else {}
        return await self.client.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )

    async def query(
        self, query: str, variables: dict[str, Any] | None = None, *, user: str
    ) -> dict[str, Any]:
        """The whole JSON response ({data, errors}) of a 200 answer."""
        response = await self.post(query, variables, user=user)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def data(
        self, query: str, variables: dict[str, Any] | None = None, *, user: str
    ) -> dict[str, Any]:
        """The data of an answer that must have no errors."""
        body = await self.query(query, variables, user=user)
        assert not body.get("errors"), json.dumps(body.get("errors"), indent=1)
        data: dict[str, Any] = body["data"]
        return data



def make_api(
    engine: AsyncEngine, counter: StatementCounter, today: date = TODAY, **changes: Any
) -> Api:
    settings = Settings(database_url=str(engine.url), jwt_secret=SECRET, today=today)
    settings = settings.with_changes(**changes)
    app = create_app(settings, engine=engine)
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")
    return Api(client=client, counter=counter, engine=engine)
