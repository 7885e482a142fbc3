"""Write a synthetic world straight into the database: COPY on PostgreSQL, batches on SQLite."""

from __future__ import annotations

import asyncio
import multiprocessing
import time
import traceback
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncSession

from ..world.synthetic import CHUNK, COLUMNS, Row, SyntheticWorld
from . import models as m
from .names import name_words
from .writer import TABLES_CHILD_FIRST, customer_row, derive_tables, name_word_row

Progress = Callable[[str], None]
ROLES = ("RECORDER", "REPORTER", "STAFF", "ADMIN")
NAME_WORDS = m.CustomerNameWord.__tablename__
# SQLite binds at most 32,766 parameters per statement; executemany has no such limit,
# but smaller batches keep memory flat.
SQLITE_BATCH = 5000


@dataclass(frozen=True)
class WideViewer:
    """A user who sees many customers (as counted while generating)."""

    role: str
    user_id: str
    customers: int


def world_tables() -> list[str]:
    """The tables that hold world data: all but the access log, children first."""
    return [t.__tablename__ for t in TABLES_CHILD_FIRST if t is not m.AccessLogEntry]


async def clear_world(session: AsyncSession) -> None:
    """Empty every world table and keep the access log: it is the record of past reads."""
    tables = world_tables()
    if await _is_postgres(session):
        await session.execute(text(f"TRUNCATE {', '.join(tables)}"))
    else:
        for table in tables:
            await session.execute(text(f"DELETE FROM {table}"))


async def generate_world(
    session: AsyncSession,
    world: SyntheticWorld,
    progress: Progress | None = None,
    *,
    separate_process: bool | None = None,
) -> list[WideViewer]:
    """Write `world` into an empty database; the caller owns the transaction.

    Returns, per role, up to three users who see many customers (each of another
    provider or organizer), most first. `separate_process` makes the rows in a child
    process while this one writes them; by default on PostgreSQL for big worlds.
    """
    say = progress or (lambda _line: None)
    began = time.monotonic()
    postgres = await _is_postgres(session)
    writer: _Writer = _CopyWriter(session) if postgres else _BatchWriter(session)
    columns = table_columns()
    tables = list(columns)
    if postgres:
        saved = await _drop_constraints(session, tables)
    for table in COLUMNS:
        if world.fixed.get(table):
            await writer.write(table, COLUMNS[table], world.fixed[table])
    say(f"organizers, providers, services, users, teams written ({_since(began)})")
    done = 0
    counts: dict[str, int] = {}
    if separate_process is None:
        separate_process = postgres and world.customers > CHUNK
    blocks = _blocks_from_child(world) if separate_process else _blocks(world)
    async for block in blocks:
        for table, rows in block.items():
            await writer.write(table, columns[table], rows)
            counts[table] = counts.get(table, 0) + len(rows)
        done += len(block["customers"])
        say(
            f"customers {done:,}/{world.customers:,}: {counts.get('purchasing_powers', 0):,}"
            f" purchasing powers, {counts.get('reservations', 0):,} reservations,"
            f" {counts.get('events', 0):,} events ({_since(began)})"
        )
    if postgres:
        say("building indexes and checking constraints ...")
        await _restore_constraints(session, saved)
        say(f"indexes and constraints in place ({_since(began)})")
    await derive_tables(session)
    # Statistics and the visibility map come after the commit (writer.refresh_statistics).
    say(f"written ({_since(began)})")
    return wide_viewers(world)


def table_columns() -> dict[str, tuple[str, ...]]:
    """Every table generate writes, with its columns, parents first."""
    columns = dict(COLUMNS)
    columns["customers"] = tuple(customer_row("", "", "", ""))
    columns[NAME_WORDS] = tuple(name_word_row("", "", "", ""))
    return columns


def with_derived_rows(block: dict[str, list[Row]]) -> dict[str, list[Row]]:
    """A block with the customers' ordering keys and name words, as the loader derives them."""
    customers = block["customers"]
    derived: dict[str, list[Row]] = {
        "customers": [tuple(customer_row(*row).values()) for row in customers],  # type: ignore[arg-type]
        NAME_WORDS: [
            tuple(name_word_row(str(row[0]), word, str(row[1]), str(row[2])).values())
            for row in customers
            for word in name_words(str(row[1]), str(row[2]))
        ],
    }
    return {**block, **derived}


async def _blocks(world: SyntheticWorld) -> AsyncIterator[dict[str, list[Row]]]:
    for block in world.chunks():
        yield with_derived_rows(block)


def _produce(customers: int, seed: int, today: date, queue: Any) -> None:
    """In a child process: make the blocks and pass them on, then the tally."""
    try:
        world = SyntheticWorld(customers, seed, today)
        for block in world.chunks():
            queue.put(("block", with_derived_rows(block)))
        queue.put(("done", world.tally))
    except BaseException:  # the parent must hear of it, not wait forever
        queue.put(("error", traceback.format_exc()))


async def _blocks_from_child(world: SyntheticWorld) -> AsyncIterator[dict[str, list[Row]]]:
    context = multiprocessing.get_context("spawn")  # no forking of a process with threads
    queue = context.Queue(maxsize=3)  # a few blocks ahead, so memory stays flat
    child = context.Process(
        target=_produce, args=(world.customers, world.seed, world.today, queue), daemon=True
    )
    child.start()
    loop = asyncio.get_running_loop()
    try:
        while True:
            kind, payload = await loop.run_in_executor(None, queue.get)
            if kind == "block":
                yield payload
            elif kind == "done":
                world.tally = payload
                return
            else:
                raise RuntimeError(f"generating failed in the child process:\n{payload}")
    finally:
        if child.is_alive():
            child.terminate()
        child.join()


def wide_viewers(world: SyntheticWorld) -> list[WideViewer]:
    """Per role, the users who see most customers, one per provider or organizer."""
    tally = world.tally
    found: list[WideViewer] = []
    for role in ROLES:
        candidates: list[tuple[int, str, str]] = []  # (-customers, user id, organization)
        for _id, _name, user_role, provider_id, organizer_id in world.fixed["users"]:
            if user_role != role:
                continue
            user_id = str(_id)
            if provider_id is not None:
                seen = tally.provider_customers[int(str(provider_id)[1:])]
            else:
                seen = tally.user_customers[user_id]
            candidates.append((-seen, user_id, str(provider_id or organizer_id)))
        picked: set[str] = set()
        for negative, user_id, organization in sorted(candidates, key=_by_count_then_id):
            if organization in picked or negative == 0 or len(picked) == 3:
                continue
            picked.add(organization)
            found.append(WideViewer(role, user_id, -negative))
    return found


def _by_count_then_id(item: tuple[int, str, str]) -> tuple[int, int, str]:
    # p2-u10 after p2-u9: numbers in ids compare as numbers here, for readable picks.
    prefix, _, number = item[1].rpartition("-u")
    return (item[0], int(number) if number.isdigit() else 0, prefix)


async def _is_postgres(session: AsyncSession) -> bool:
    return (await session.connection()).dialect.name == "postgresql"


def _since(began: float) -> str:
    return f"{time.monotonic() - began:.1f} s"


class _Writer:
    async def write(self, table: str, columns: Sequence[str], rows: Sequence[Any]) -> None:
        raise NotImplementedError


class _CopyWriter(_Writer):
    """COPY on the session's own asyncpg connection, inside its transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.driver: Any = None

    async def write(self, table: str, columns: Sequence[str], rows: Sequence[Any]) -> None:
        if not rows:
            return
        if self.driver is None:
            connection = await self.session.connection()
            raw = await connection.get_raw_connection()
            self.driver = raw.driver_connection
        await self.driver.copy_records_to_table(table, records=rows, columns=list(columns))


class _BatchWriter(_Writer):
    """Batched executemany through SQLAlchemy Core (column types applied)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def write(self, table: str, columns: Sequence[str], rows: Sequence[Any]) -> None:
        model_table = m.Base.metadata.tables[table]
        for start in range(0, len(rows), SQLITE_BATCH):
            batch = [
                dict(zip(columns, row, strict=True)) for row in rows[start : start + SQLITE_BATCH]
            ]
            await self.session.execute(insert(model_table), batch)


@dataclass(frozen=True)
class _Saved:
    """Constraint and index definitions to re-create after the bulk load."""

    keys: list[tuple[str, str, str]]  # (table, name, definition): primary keys and unique
    indexes: list[str]  # CREATE INDEX statements
    foreign: list[tuple[str, str, str]]


async def _drop_constraints(session: AsyncSession, tables: Iterable[str]) -> _Saved:
    """Drop the keys, indexes and foreign keys of `tables` (and foreign keys into them).

    Loading into bare tables and building each index once afterwards is several times
    faster than maintaining them row by row. All of it is transactional: a failure
    leaves the schema as it was.
    """
    names = list(tables)
    constraints = (
        await session.execute(
            text(
                "SELECT c.conrelid::regclass::text, quote_ident(c.conname),"
                " pg_get_constraintdef(c.oid), c.contype::text"
                " FROM pg_constraint c"
                " JOIN pg_class t ON t.oid = c.conrelid"
                " LEFT JOIN pg_class r ON r.oid = c.confrelid"
                " WHERE t.relnamespace = current_schema()::regnamespace"
                " AND c.contype IN ('p', 'u', 'f')"
                " AND (t.relname = ANY(:names) OR (c.contype = 'f' AND r.relname = ANY(:names)))"
                " ORDER BY 1, 2"
            ),
            {"names": names},
        )
    ).all()
    indexes = (
        await session.execute(
            text(
                "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)"
                " FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid"
                " WHERE t.relnamespace = current_schema()::regnamespace"
                " AND t.relname = ANY(:names)"
                " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid"
                " AND c.conrelid = i.indrelid AND c.contype IN ('p', 'u', 'x'))"
                " ORDER BY 1"
            ),
            {"names": names},
        )
    ).all()
    saved = _Saved(
        keys=[(t, n, d) for t, n, d, kind in constraints if kind != "f"],
        indexes=[definition for _name, definition in indexes],
        foreign=[(t, n, d) for t, n, d, kind in constraints if kind == "f"],
    )
    connection = await session.connection()
    for table, name, _definition in saved.foreign:
        await connection.exec_driver_sql(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
    for name, _definition in indexes:
        await connection.exec_driver_sql(f"DROP INDEX {name}")
    for table, name, _definition in saved.keys:
        await connection.exec_driver_sql(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
    return saved


async def _restore_constraints(session: AsyncSession, saved: _Saved) -> None:
    # Definitions come from pg_get_*def verbatim, so they run as driver SQL (no binds).
    connection = await session.connection()
    await connection.exec_driver_sql("SET LOCAL maintenance_work_mem = '256MB'")
    for table, name, definition in saved.keys:
        await connection.exec_driver_sql(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")
    for definition in saved.indexes:
        await connection.exec_driver_sql(definition)
    for table, name, definition in saved.foreign:
        await connection.exec_driver_sql(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")
