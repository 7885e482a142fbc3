"""Test support: a real database (SQLite file by default, PostgreSQL when
VOUCHER_GRAPH_TEST_DATABASE_URL names one), worlds loaded through the real loader, and
a GraphQL client that goes through the whole HTTP stack.

A module rather than conftest.py, so that test folders may have conftest files of
their own without shadowing these helpers (`from support import Api, load_world`)."""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import os
import sqlite3
import time
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


# SQLite: (database file, world digest) -> a copy of the file just after that world was
# loaded through the real loader. Most tests start from the same few worlds; copying the
# file back is a third of the cost of validating and writing the world again.
_SNAPSHOTS: dict[tuple[str, str], Path] = {}


async def load_world(engine: AsyncEngine, raw: dict[str, Any]) -> None:
    """Replace the database's content with `raw` (a world in the contract format).

    On SQLite the first load of a world goes through the loader and is kept as a file;
    later loads of the same world into the same database copy that file back."""
    path = Path(engine.url.database) if engine.dialect.name == "sqlite" else None
    key = None
    if path is not None and engine.url.database:
        digest = json.dumps(raw, sort_keys=True, default=str).encode()
        key = (str(path), hashlib.sha256(digest).hexdigest())
        snapshot = _SNAPSHOTS.get(key)
        if snapshot is not None:
            _copy_database(snapshot, path)
            return
    world = validate_world(raw)
    async with session_factory(engine)() as session, session.begin():
        await clear(session)
        # `clear` keeps the access log (CONTRACT.md); each test starts with an empty one.
        await session.execute(delete(m.AccessLogEntry))
        await write_world(session, world)
    if path is not None and key is not None:
        snapshot = path.with_name(f"{path.name}.{key[1][:16]}.snapshot")
        _copy_database(path, snapshot)
        _SNAPSHOTS[key] = snapshot


def _copy_database(source: Path, target: Path) -> None:
    """Copy one SQLite database over another with SQLite's backup API (consistent under
    WAL). The engine keeps no connection open between uses (NullPool), so the next one
    sees the copy."""
    with contextlib.closing(sqlite3.connect(source)) as src:
        with contextlib.closing(sqlite3.connect(target)) as dst:
            src.backup(dst)
            # A restored file carries the reference generation it was saved with, which
            # a server process may have cached for other data: move it past every one seen.
            dst.execute(
                "UPDATE reference_generation SET generation = ? WHERE id = 1",
                (next(_GENERATIONS),),
            )
            dst.commit()


# Restored generations: above any the triggers reach in a test run (they count up by one
# from the microsecond the schema was made), and a billion apart, so that the writes after
# one restore never reach the next.
_GENERATIONS = itertools.count(time.time_ns() // 1000 + 10**12, 10**9)


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
