"""The access log's statements: one insert per response (or per group of concurrent
responses, AccessLogGroup), and a customer's entries."""

from __future__ import annotations

import asyncio
import contextvars
import json
from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ARRAY, JSON, DateTime, String, Text, bindparam, cast, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from . import models as m
from .engine import ShieldedSession

# inline: no RETURNING of the new ids, which nothing reads.
_INSERT = insert(m.AccessLogEntry.__table__).inline()  # type: ignore[arg-type]

# On PostgreSQL the rows go as one array per column, unnested by the server: one
# execution for the whole response. An executemany runs the insert once per row, which
# took 2.3 ms of a page of 100 customers (a tenth of the statements' time).
_COLUMNS = ("user_id", "customer_id", "fields", "at", "operation")
_UNNESTED = (
    func.unnest(
        bindparam("user_ids", type_=ARRAY(String)),
        bindparam("customer_ids", type_=ARRAY(String)),
        bindparam("fields", type_=ARRAY(Text)),  # JSON texts, cast below
        bindparam("ats", type_=ARRAY(DateTime(timezone=True))),
        bindparam("operations", type_=ARRAY(String)),
    )
    .table_valued(*_COLUMNS)
    .render_derived(name="entries")
)
_INSERT_UNNESTED = insert(m.AccessLogEntry.__table__).from_select(  # type: ignore[arg-type]
    list(_COLUMNS),
    select(
        _UNNESTED.c.user_id,
        _UNNESTED.c.customer_id,
        cast(_UNNESTED.c.fields, JSON),
        _UNNESTED.c.at,
        _UNNESTED.c.operation,
    ),
)


async def _write(session: ShieldedSession, rows: list[dict[str, Any]]) -> None:
    """`rows` inserted in one statement on `session`."""
    if session.bind is None or session.bind.dialect.name != "postgresql":
        await session.write_many(_INSERT, rows)
        return
    columns = {
        "user_ids": [row["user_id"] for row in rows],
        "customer_ids": [row["customer_id"] for row in rows],
        "fields": [json.dumps(row["fields"]) for row in rows],
        "ats": [row["at"] for row in rows],
        "operations": [row["operation"] for row in rows],
    }
    await session.write_many(_INSERT_UNNESTED, [columns])


@dataclass
class _Batch:
    """Entries of concurrent responses, written in one statement on the session of the
    first of them whose request is still open."""

    sessions: list[ShieldedSession] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    # The first waiter's context: its request's statement count and log line get the
    # insert (a task started from another's callback would count it there).
    context: contextvars.Context = field(default_factory=contextvars.copy_context)
    written: asyncio.Future[None] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )
    started: bool = False  # whether its insert was sent (no row may join it then)


class AccessLogGroup:
    """Group commit of the access log for the responses of one process.

    A response that discloses an identity may leave only once its entries are
    committed. A read-only request has no transaction of its own (data/raw_rows.py), so
    its insert is a commit of its own: a WAL flush, and about 0.4 ms of PostgreSQL's CPU
    for a small query. When one insert is already on its way, the responses that reach
    the log meanwhile wait for it to finish and are then written together, in one
    statement and one commit, on the session of the first of them. Each still leaves
    only after the commit that holds its rows; no response is delayed to form a group.
    A failed batch fails the write of every response in it (a query retries once, then
    answers with an error, disclosing nothing), and the next batch starts afresh.
    """

    def __init__(self) -> None:
        self._writing: _Batch | None = None  # the batch whose insert is running
        self._next: _Batch | None = None  # the batch gathering entries meanwhile

    @property
    def gathering(self) -> int:
        """How many entries wait for the running insert to finish, to be written next."""
        return len(self._next.rows) if self._next is not None else 0

    async def write(self, session: ShieldedSession, rows: list[dict[str, Any]]) -> None:
        writing = self._writing
        batch = writing if writing is not None and not writing.started else self._next
        if batch is None:
            batch = _Batch()
            if self._writing is None:
                self._start(batch)
            else:
                self._next = batch
        batch.sessions.append(session)
        batch.rows.extend(rows)
        # Shielded: a waiter cancelled (its client gone) must not cancel the others' write.
        await asyncio.shield(batch.written)

    def _start(self, batch: _Batch) -> None:
        self._writing = batch
        task = asyncio.get_running_loop().create_task(self._insert(batch), context=batch.context)
        task.add_done_callback(lambda _task: self._finished())

    async def _insert(self, batch: _Batch) -> None:
        # Let the responses already waiting to log join the first batch too: one pass of
        # the event loop, no timer.
        await asyncio.sleep(0)
        batch.started = True
        # A waiter whose request ended meanwhile (cancelled) has closed its session.
        open_sessions = [s for s in batch.sessions if not s.finished] or batch.sessions
        try:
            await _write(open_sessions[0], batch.rows)
        except asyncio.CancelledError:
            batch.written.cancel()
            raise
        except Exception as error:  # noqa: BLE001 - handed to every waiter
            batch.written.set_exception(error)
        else:
            batch.written.set_result(None)

    def _finished(self) -> None:
        batch, self._next = self._next, None
        self._writing = None
        if batch is not None:
            self._start(batch)


async def insert_entries(
    session: AsyncSession,
    *,
    user_id: str,
    operation: str | None,
    at: datetime,
    disclosed: Mapping[str, Set[str]],
    group: AccessLogGroup | None = None,
) -> int:
    """One row per disclosed customer (fields sorted), in one statement; returns the count.

    With `group`, a request without a transaction of its own (on PostgreSQL) is written
    together with concurrent ones (AccessLogGroup); a mutation's entries stay in its
    transaction."""
    rows = [
        {
            "user_id": user_id,
            "customer_id": customer_id,
            "fields": sorted(fields),
            "at": at,
            "operation": operation,
        }
        for customer_id, fields in sorted(disclosed.items())
    ]
    if not rows:
        return 0
    if isinstance(session, ShieldedSession):  # a request's: straight on asyncpg there
        if group is not None and await session.commits_writes_alone():
            await group.write(session, rows)
        else:
            await _write(session, rows)
    else:
        # Core insert: one executemany, without the ORM's bulk-insert bookkeeping.
        await session.execute(_INSERT, rows)
    return len(rows)


async def entries_of(session: AsyncSession, customer_id: str) -> Sequence[m.AccessLogEntry]:
    """A customer's entries, oldest first (ties by id)."""
    rows = await session.scalars(
        select(m.AccessLogEntry)
        .where(m.AccessLogEntry.customer_id == customer_id)
        .order_by(m.AccessLogEntry.at, m.AccessLogEntry.id)
    )
    return rows.all()
