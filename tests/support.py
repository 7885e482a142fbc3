"""Test support: a real database (SQLite file by default, PostgreSQL when
VOUCHER_GRAPH_TEST_DATABASE_URL names one), worlds loaded through the real loader, and
a GraphQL client that goes through the whole HTTP stack.

A module rather than conftest.py, so that test folders may have conftest files of
their own without shadowing these helpers (`from support import Api, load_world`)."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import itertools
import json
import os
import sqlite3
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import httpx
from alembic import command
from sqlalchemy import delete, inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from voucher_graph.app import create_app
from voucher_graph.auth import issue_token
from voucher_graph.data import models as m
from voucher_graph.data.engine import StatementCounter, session_factory
from voucher_graph.data.migrate import alembic_config, upgrade
from voucher_graph.data.writer import TABLES_CHILD_FIRST, clear, write_world
from voucher_graph.policies.gate import StatementCache
from voucher_graph.policies.oso_setup import create_oso
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


# Schemas holding PostgreSQL snapshots (see load_world) are named with this prefix.
SNAPSHOT_SCHEMA_PREFIX = "vg_snapshot_"


async def reset_database(engine: AsyncEngine) -> None:
    """An empty schema at the latest migration (and no snapshots of earlier runs)."""
    if engine.dialect.name == "postgresql":
        async with engine.begin() as connection:
            await connection.execute(text("DROP SCHEMA public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
            names = await connection.execute(
                text("SELECT nspname FROM pg_namespace WHERE nspname LIKE :prefix"),
                {"prefix": SNAPSHOT_SCHEMA_PREFIX + "%"},
            )
            for (name,) in names.all():
                await connection.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
    await upgrade(engine)


# (database, world digest) -> where a copy of the world's rows is kept: on SQLite a copy
# of the database file just after the world was loaded through the real loader, on
# PostgreSQL a schema with a copy of each table. Most tests start from the same few
# worlds; restoring the copy skips validating and writing the world again (on
# PostgreSQL about 100 ms a test, on SQLite a third of that). A copy is made when a
# world is loaded the second time: most random and hand-made worlds are loaded once.
_SNAPSHOTS: dict[tuple[str, str], str] = {}
_LOADED: set[tuple[str, str]] = set()


def _world_digest(raw: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(raw, sort_keys=True, default=str).encode()).hexdigest()


async def load_world(engine: AsyncEngine, raw: dict[str, Any]) -> None:
    """Replace the database's content with `raw` (a world in the contract format), and
    empty the access log: through the validator and the loader, or from a copy of what
    they wrote for the same world before."""
    key = (engine.url.render_as_string(hide_password=True), _world_digest(raw))
    snapshot = _SNAPSHOTS.get(key)
    if snapshot is not None:
        if engine.dialect.name == "sqlite":
            _copy_database(Path(snapshot), Path(str(engine.url.database)))
        else:
            await _restore_schema(engine, snapshot)
        return
    world = validate_world(raw)
    async with session_factory(engine)() as session, session.begin():
        await clear(session)
        # `clear` keeps the access log (CONTRACT.md); each test starts with an empty one.
        await session.execute(delete(m.AccessLogEntry))
        await write_world(session, world)
    if key not in _LOADED:
        _LOADED.add(key)
    elif engine.dialect.name == "sqlite":
        path = Path(str(engine.url.database))
        copy = path.with_name(f"{path.name}.{key[1][:16]}.snapshot")
        _copy_database(path, copy)
        _SNAPSHOTS[key] = str(copy)
    else:
        _SNAPSHOTS[key] = await _save_schema(engine, key[1][:16])


def _table_names() -> list[str]:
    """The world's tables, parents first."""
    return [model.__table__.name for model in reversed(TABLES_CHILD_FIRST)]


async def _save_schema(engine: AsyncEngine, digest: str) -> str:
    """PostgreSQL: a copy of every world table in a schema of its own; its name."""
    schema = f"{SNAPSHOT_SCHEMA_PREFIX}{digest}"
    async with engine.begin() as connection:
        await connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        for table in _table_names():
            await connection.execute(
                text(f'CREATE TABLE "{schema}"."{table}" AS TABLE public."{table}"')
            )
    return schema


# Triggers on the world's tables other than the reference generation's: a restore that
# skipped them would leave out what they write, so it then keeps the checks on.
OTHER_TRIGGERS = text(
    "SELECT count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
    " JOIN pg_namespace n ON n.oid = c.relnamespace"
    " WHERE n.nspname = 'public' AND NOT t.tgisinternal"
    " AND t.tgname NOT LIKE '%bump_reference_generation'"
)


async def _restore_schema(engine: AsyncEngine, schema: str) -> None:
    """PostgreSQL: the world's tables (and the access log) emptied and filled from the
    copy, in one transaction.

    The copy is of rows the loader wrote under every constraint, so a superuser skips
    the foreign-key checks (session_replication_role = replica: two thirds of the time);
    that also skips the trigger that moves the reference generation on, so it is moved
    on here, as a write of the reference tables would. Should another trigger appear,
    the checks stay on."""
    async with session_factory(engine)() as session, session.begin():
        trusted = (await session.execute(text("SHOW is_superuser"))).scalar_one() == "on"
        trusted = trusted and (await session.execute(OTHER_TRIGGERS)).scalar_one() == 0
        if trusted:
            await session.execute(text("SET LOCAL session_replication_role = replica"))
        await clear(session)
        await session.execute(delete(m.AccessLogEntry))
        for table in _table_names():
            await session.execute(
                text(f'INSERT INTO public."{table}" SELECT * FROM "{schema}"."{table}"')
            )
        if trusted:
            await session.execute(
                text("UPDATE reference_generation SET generation = generation + 1 WHERE id = 1")
            )


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


# A customers page with every nested list and derived field, names included (FORBIDDEN
# for a REPORTER), its page size a variable: `query Page($first: Int!) { ... }`.
FULL_PAGE = """query Page($first: Int!) {
  customers(first: $first) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { cursor node {
      id firstName lastName ssn customerNumber
      purchasingPowers { id service { name } contents { content { name } usedUnits } }
      balancePurchasingPowers { id usedAmount balance }
      reservations(includeEnded: true) { id content { id } }
      events { id status settlementDate price voucherShare copay editable deletable }
    } }
  }
}"""


@dataclass
class Api:
    """Speaks GraphQL over HTTP to the app, as a given user."""

    client: httpx.AsyncClient
    counter: StatementCounter
    engine: AsyncEngine
    app: Any = None  # the Starlette app the client speaks to

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


@functools.cache
def shared_policy() -> StatementCache:
    """The packaged policy with its statement cache, shared by every app the tests build.

    A server process keeps one for its life; an app built per test started empty, and
    asking the policy's partial evaluation for each actor's statements again was a
    tenth of the suite. Statements depend only on the actor's facts (policies/gate.py),
    so sharing changes no answer. Tests of other policies build their own."""
    return StatementCache(create_oso())


def make_api(
    engine: AsyncEngine, counter: StatementCounter, today: date = TODAY, **changes: Any
) -> Api:
    settings = Settings(database_url=str(engine.url), jwt_secret=SECRET, today=today)
    settings = settings.with_changes(**changes)
    app = create_app(settings, engine=engine)
    services = app.state.services
    services.statements = shared_policy()
    services.oso = services.statements.oso
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")
    return Api(client=client, counter=counter, engine=engine, app=app)


class Apis:
    """One app per `today`, kept across the examples of a property test.

    Built per example, an app starts with an empty statement cache, and most of an
    example's time went into the policy's partial evaluation of actors seen in the
    examples before. A running server keeps its app while worlds are replaced under it
    (`voucher-graph load --replace`), so sharing one is also what production does."""

    def __init__(self, engine: AsyncEngine, counter: StatementCounter) -> None:
        self.engine = engine
        self.counter = counter
        self._apis: dict[date, Api] = {}

    def get(self, today: date) -> Api:
        api = self._apis.get(today)
        if api is None:
            api = self._apis[today] = make_api(self.engine, self.counter, today)
        return api

    async def aclose(self) -> None:
        for api in self._apis.values():
            await api.client.aclose()
        self._apis.clear()


async def fetch_all(engine: AsyncEngine, sql: str) -> list[tuple[Any, ...]]:
    """Every row of `sql`, as plain tuples."""
    async with engine.connect() as connection:
        return [tuple(row) for row in await connection.execute(text(sql))]


@contextlib.asynccontextmanager
async def downgraded_to(engine: AsyncEngine, revision: str) -> AsyncIterator[set[str]]:
    """The database back at migration `revision` for the block, which gets the names of
    its tables; upgraded to the latest again afterwards, however the block ends."""
    await downgrade_to(engine, revision)
    try:
        async with engine.connect() as connection:
            names = await connection.run_sync(lambda c: inspect(c).get_table_names())
        yield set(names)
    finally:
        await upgrade(engine)


async def downgrade_to(engine: AsyncEngine, revision: str) -> None:
    """The database back at migration `revision` (its later tables dropped), for the
    tests that an upgrade builds them from existing rows."""

    def run(connection: Connection) -> None:
        command.downgrade(alembic_config(connection), revision)

    async with engine.begin() as connection:
        await connection.run_sync(run)
