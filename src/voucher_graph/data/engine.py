"""Async engine and session factory, and the URL mapping of CONTRACT.md."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import weakref
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextvars import ContextVar
from typing import Any

from sqlalchemy import Executable, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    AsyncSessionTransaction,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import NullPool

from . import raw_rows


def async_url(url: str) -> str:
    """Map `sqlite:///f.db` and `postgresql://u@h/db` to their async drivers."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite" and parsed.drivername in ("sqlite", "sqlite+pysqlite"):
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    elif backend == "postgresql" and parsed.drivername in (
        "postgresql",
        "postgres",
        "postgresql+psycopg2",
    ):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    elif parsed.drivername not in ("sqlite+aiosqlite", "postgresql+asyncpg"):
        raise ValueError(f"unsupported database URL scheme {parsed.drivername!r}")
    return parsed.render_as_string(hide_password=False)


# Connections a process keeps open to PostgreSQL (see create_engine).
DEFAULT_POOL_SIZE = 15


def create_engine(
    url: str, *, echo: bool = False, pool_size: int = DEFAULT_POOL_SIZE
) -> AsyncEngine:
    """Build the engine; SQLite gets foreign keys, WAL and a busy timeout."""
    target = async_url(url)
    kwargs: dict[str, Any] = {"echo": echo}
    is_sqlite = target.startswith("sqlite")
    if is_sqlite:
        # One file shared by several workers: let writers wait instead of failing.
        kwargs["connect_args"] = {"timeout": 30}
        if ":memory:" in target or target.endswith("://"):
            raise ValueError("an in-memory SQLite database cannot be shared; use a file")
        kwargs["poolclass"] = NullPool
    else:
        # No pre-ping (a round trip before every request): a connection the server
        # dropped fails one statement, SQLAlchemy then invalidates the pool, and the
        # next request connects afresh. Recycling bounds a connection's age.
        kwargs["pool_recycle"] = 1800
        # Every connection is kept: a request holds one from its viewer to its access
        # log, and SQLAlchemy's default (5 kept, 10 more closed after each use) made a
        # worker under 8 concurrent requests connect afresh about every 30 requests,
        # each new connection paying the connect and asyncpg's statement preparation
        # again. As many as before at most (15); beyond that a request waits for one.
        kwargs["pool_size"] = pool_size
        kwargs["max_overflow"] = 0
        # No JIT: the policy's OR of correlated subplans is costed far above what it
        # does, past jit_above_cost, and compiling took 30 ms of a STAFF page's 57 ms
        # events statement at 1M customers. An API's statements are short; JIT pays
        # off only for long analytical scans. Plans: PostgreSQL's default (a reused
        # statement may get a generic plan after five runs), except a search's page,
        # which is planned afresh for its values (data/raw_rows.py `fresh_plan`).
        kwargs["connect_args"] = {"server_settings": {"jit": "off"}}
    engine = create_async_engine(target, **kwargs)
    if is_sqlite:
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


class RequestFinished(RuntimeError):
    """A statement was started after its request's session was closed."""


# The ShieldedSession whose statement the current task is running, if any: AsyncSession
# methods that call one another (scalars -> execute) must not wait for their own lock.
_RUNNING_FOR: ContextVar[AsyncSession | None] = ContextVar("shielded_running_for", default=None)

# AsyncSession's coroutine methods that do no database work of their own: entering the
# context, and a class-wide close of every session (never used by a request).
NO_DATABASE_WORK = frozenset({"__aenter__", "close_all"})
# The ones that run statements: each goes through the lock and the shield.
STATEMENT_METHODS = (
    "connection",
    "delete",
    "delete_all",
    "execute",
    "flush",
    "get",
    "get_one",
    "merge",
    "merge_all",
    "refresh",
    "run_sync",
    "scalar",
    "scalars",
    "stream",
    "stream_scalars",
)


def _shielding(method: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a method as going through the shield (tests enumerate the marks)."""
    method.shielded = True  # type: ignore[attr-defined]
    return method


class ShieldedSession(AsyncSession):
    """An AsyncSession that GraphQL's concurrent resolvers can share safely.

    GraphQL resolves sibling fields as concurrent tasks on the request's one session,
    and graphql-core cancels the siblings of a field that fails. Two things go wrong
    with a plain AsyncSession: two statements starting together on a fresh session race
    to begin its transaction, and a statement cancelled half-way leaves the connection
    unusable (PostgreSQL aborts the transaction, SQLite can hang). So statements run one
    at a time, each shielded from cancellation (the cancelled resolver stops waiting, the
    statement completes), and commit, rollback and close first wait for those in flight.
    Every coroutine method of AsyncSession is covered (STATEMENT_METHODS, the finishing
    ones below, and savepoints through ShieldedTransaction), so no call goes around it.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._statement_lock = asyncio.Lock()
        self._in_flight: set[asyncio.Future[Any]] = set()
        self._finished = False
        self._connection_cache: tuple[Any, Any, Any] | None = None

    async def _one_at_a_time(self, run: Callable[[], Awaitable[Any]]) -> Any:
        if self._finished:
            raise RequestFinished("the request's session is closed")
        async with self._statement_lock:
            _RUNNING_FOR.set(self)  # this task's context only
            return await run()

    async def _shielded(self, run: Callable[[], Awaitable[Any]]) -> Any:
        if _RUNNING_FOR.get() is self:
            return await run()  # already inside one of our shielded calls
        task = asyncio.ensure_future(self._one_at_a_time(run))
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)
        return await asyncio.shield(task)

    async def drain(self) -> None:
        """Wait until no statement of this session is running."""
        if _RUNNING_FOR.get() is self:
            return  # called from one of them: waiting for ourselves would never end
        while self._in_flight:
            await asyncio.gather(*self._in_flight, return_exceptions=True)

    @_shielding
    async def commit(self) -> None:
        await self.drain()
        await self._shielded(lambda: AsyncSession.commit(self))

    @_shielding
    async def rollback(self) -> None:
        await self.drain()
        await self._shielded(lambda: AsyncSession.rollback(self))

    @_shielding
    async def reset(self) -> None:
        await self.drain()
        await self._shielded(lambda: AsyncSession.reset(self))

    @_shielding
    async def invalidate(self) -> None:
        await self.drain()
        await self._shielded(lambda: AsyncSession.invalidate(self))

    @_shielding
    async def close(self) -> None:
        await self.drain()
        self._finished = True
        # Shielded too: a request cancelled while closing still returns its connection.
        await asyncio.shield(asyncio.ensure_future(AsyncSession.close(self)))

    @_shielding
    async def aclose(self) -> None:
        await self.close()

    @_shielding
    async def __aexit__(self, type_: Any, value: Any, traceback: Any) -> None:
        await self.close()

    def _cached_connections(self) -> tuple[Any, Any] | None:
        """`_connections` when known already for the session's open transaction."""
        transaction = self.sync_session.get_transaction()
        cached = self._connection_cache
        if cached is not None and cached[0] is transaction and transaction is not None:
            if transaction.is_active:
                return cached[1], cached[2]
        return None

    async def _connections(self) -> tuple[Any, Any]:
        """The session's connection and its driver adapter, asked of SQLAlchemy once
        per session transaction (each ask is a greenlet hop; a small query made eight),
        as the transaction holds one connection until it ends."""
        found = self._cached_connections()
        if found is not None:
            return found
        connection = await AsyncSession.connection(self)
        adapted = (
            raw_rows.adapted_connection(connection)
            if connection.dialect.driver == "asyncpg"
            else None
        )
        self._connection_cache = (self.sync_session.get_transaction(), connection, adapted)
        return connection, adapted

    @_shielding
    async def rows(
        self,
        statement: Executable,
        params: Mapping[str, Any] | None = None,
        *,
        fresh_plan: bool = False,
    ) -> list[Any]:
        """The rows of a read statement, on the session's connection: straight on
        asyncpg on PostgreSQL (data/raw_rows.py; `fresh_plan` as `raw_rows.fetch` says),
        as SQLAlchemy Core rows elsewhere; never through the ORM's result processing.
        Same lock, shield and connection as every other statement.
        """

        async def run() -> list[Any]:
            connection, adapted = await self._connections()
            found = raw_rows.compiled(statement, connection.dialect)
            if found is not None:  # PostgreSQL: straight on asyncpg (data/raw_rows.py)
                return await raw_rows.fetch(
                    connection, adapted, found, params, fresh_plan=fresh_plan
                )
            return list((await connection.execute(statement, params)).all())

        return await self._shielded(run)  # type: ignore[no-any-return]

    def has_nothing_to_commit(self) -> bool:
        """Whether a commit would send nothing, so that a request may skip it (about
        50 µs of SQLAlchemy's transaction bookkeeping, a greenlet hop included): on
        PostgreSQL, no statement in flight, no transaction open on the connection (a
        request that only read: its statements and its access-log insert each ran on
        its own, data/raw_rows.py) and no change held by the ORM. False whenever that is
        not certain: on SQLite, or a connection not taken through `rows`/`write_many`."""
        cached = self._connection_cache
        if cached is None or cached[2] is None or self._in_flight:
            return False
        transaction, connection, adapted = cached
        current = self.sync_session.get_transaction()
        if current is None or transaction is not current or not current.is_active:
            return False
        if connection.invalidated or connection.closed:
            # A connection lost mid-transaction forgets its transaction: the commit must
            # run and fail (PendingRollbackError), never be skipped as if nothing was sent.
            return False
        return adapted._transaction is None and not (self.new or self.dirty or self.deleted)

    @property
    def finished(self) -> bool:
        """Whether the request's session was closed (no statement may run on it)."""
        return self._finished

    async def commits_writes_alone(self) -> bool:
        """Whether a write_many now would commit by itself: on PostgreSQL, with no
        transaction open on the connection (a request that has only read; a mutation's
        first write or lock opens one, data/raw_rows.py)."""
        # Known already, and no statement running: nothing to wait for, no task (the
        # lock and shield below are for a statement; this reads two attributes).
        found = None
        if not self._in_flight and not self._finished:
            found = self._cached_connections()
        if found is None:
            found = await self._shielded(self._connections)
        connection, adapted = found
        return adapted is not None and adapted._transaction is None

    @_shielding
    async def write_many(self, statement: Executable, rows: Sequence[Mapping[str, Any]]) -> None:
        """Run a write (an INSERT without RETURNING) once per row of `rows`: on
        PostgreSQL in one asyncpg round trip, in the open transaction or else on its own
        (data/raw_rows.py); elsewhere through SQLAlchemy. Same lock and shield."""

        async def run() -> None:
            connection, adapted = await self._connections()
            keys = tuple(rows[0]) if rows else ()
            found = raw_rows.compiled_write(statement, keys, connection.dialect)
            if found is not None:
                await raw_rows.execute_many(connection, adapted, found, rows)
            else:
                await connection.execute(statement, list(rows))

        await self._shielded(run)

    def begin(self) -> AsyncSessionTransaction:
        return ShieldedTransaction(self)

    def begin_nested(self) -> AsyncSessionTransaction:
        return ShieldedTransaction(self, nested=True)


def _statement_method(name: str) -> Callable[..., Any]:
    unshielded = getattr(AsyncSession, name)

    @functools.wraps(unshielded)
    async def method(self: ShieldedSession, *args: Any, **kwargs: Any) -> Any:
        return await self._shielded(lambda: unshielded(self, *args, **kwargs))

    return _shielding(method)


for _name in STATEMENT_METHODS:
    setattr(ShieldedSession, _name, _statement_method(_name))


class ShieldedTransaction(AsyncSessionTransaction):
    """begin() / begin_nested() of a ShieldedSession: BEGIN, SAVEPOINT, RELEASE and
    ROLLBACK TO go through the session's lock and shield like any statement."""

    __slots__ = ()
    session: ShieldedSession

    async def start(self, is_ctxmanager: bool = False) -> AsyncSessionTransaction:
        return await self.session._shielded(  # type: ignore[no-any-return]
            lambda: AsyncSessionTransaction.start(self, is_ctxmanager)
        )

    async def commit(self) -> None:
        await self.session._shielded(lambda: AsyncSessionTransaction.commit(self))

    async def rollback(self) -> None:
        await self.session._shielded(lambda: AsyncSessionTransaction.rollback(self))

    async def __aexit__(self, type_: Any, value: Any, traceback: Any) -> None:
        await self.session._shielded(
            lambda: AsyncSessionTransaction.__aexit__(self, type_, value, traceback)
        )


async def read_rows(
    session: AsyncSession,
    statement: Executable,
    params: Mapping[str, Any] | None = None,
    *,
    fresh_plan: bool = False,
) -> list[Any]:
    """The rows of a read statement: through `ShieldedSession.rows` (straight on asyncpg
    on PostgreSQL, `fresh_plan` as raw_rows.fetch says) for a request's session, else
    through `execute`."""
    if isinstance(session, ShieldedSession):
        rows: list[Any] = await session.rows(statement, params, fresh_plan=fresh_plan)
        return rows
    return list((await session.execute(statement, params)).all())


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, class_=ShieldedSession)


# One count of statements, kept by one listener per engine: per request (a box in a
# context variable, for the request log and metrics; DataLoader tasks copy the
# context, so they add to the same box) and per StatementCounter (tests, benchmarks).
_statements: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar(
    "voucher_graph_statements", default=None
)
_counters: weakref.WeakKeyDictionary[Any, weakref.WeakSet[StatementCounter]] = (
    weakref.WeakKeyDictionary()
)


def _on_execute(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
    box = _statements.get()
    if box is not None:
        box[0] += 1
    counters = _counters.get(_conn.engine)
    if counters:
        for counter in counters:
            counter.seen(statement)


def count_statements_of(engine: AsyncEngine) -> None:
    """Count `engine`'s statements (once per engine, however many apps or counters)."""
    if engine.sync_engine in _counters:
        return
    _counters[engine.sync_engine] = weakref.WeakSet()
    event.listen(engine.sync_engine, "before_cursor_execute", _on_execute)


@contextlib.contextmanager
def statement_count() -> Iterator[list[int]]:
    """A box whose [0] counts the statements run inside the block (this task and its children)."""
    box = [0]
    token = _statements.set(box)
    try:
        yield box
    finally:
        _statements.reset(token)


class StatementCounter:
    """Counts the SQL statements an engine runs, for logs, benchmarks and tests."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.count = 0
        self.statements: list[str] = []
        self.keep = False
        count_statements_of(engine)
        _counters[engine.sync_engine].add(self)

    def seen(self, statement: str) -> None:
        self.count += 1
        if self.keep:
            self.statements.append(statement)

    def reset(self) -> None:
        self.count = 0
        self.statements.clear()


# The names the layers above use for the database's handles, so that they need not
# import sqlalchemy themselves (pyproject: "SQL only in data").
Engine = AsyncEngine
Session = AsyncSession
SessionFactory = async_sessionmaker[AsyncSession]
DatabaseError = SQLAlchemyError
