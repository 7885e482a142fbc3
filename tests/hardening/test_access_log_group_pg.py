"""Group commit of the access log (data/access_log.py, AccessLogGroup), on PostgreSQL.

A read-only response's entries commit on their own; the responses that reach the log
while one insert is on its way are written together after it, in one statement. Each
response still leaves only after the commit holding its rows, a failed batch fails
every response in it, and a waiter that gives up does not stop the others' write.
The running insert is held back by a SHARE lock on access_log taken in another
transaction, so the grouping does not depend on timing."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from support import TODAY, Api, is_postgres, load_world, make_api

from voucher_graph.data import access_log
from voucher_graph.data import models as m
from voucher_graph.data.engine import ShieldedSession, StatementCounter, session_factory
from voucher_graph.logging_setup import REQUEST_LOGGER
from voucher_graph.world.demo import demo_world

pytestmark = pytest.mark.skipif(
    not is_postgres(), reason="group commit is PostgreSQL's (set VOUCHER_GRAPH_TEST_DATABASE_URL)"
)

SMALL = "query Small($id: ID!) { customer(id: $id) { id firstName lastName } }"
USER = "p1-recorder"


@pytest.fixture
async def api(engine: AsyncEngine, counter: StatementCounter) -> AsyncIterator[Api]:
    await load_world(engine, demo_world(TODAY, customers=40))
    api = make_api(engine, counter)
    yield api
    await api.client.aclose()


async def hold_inserts(engine: AsyncEngine) -> AsyncConnection:
    """A transaction whose SHARE lock blocks every insert into access_log until it ends."""
    connection = await engine.connect()
    await connection.execute(text("LOCK TABLE access_log IN SHARE MODE"))
    return connection


async def until(condition: Any) -> None:
    """Wait (event-loop turns, then short sleeps) until `condition()` holds."""
    for _ in range(2_000):
        if await condition():
            return
        await asyncio.sleep(0.005)
    raise AssertionError("the condition never held")


async def an_insert_waits_for_the_lock(engine: AsyncEngine) -> bool:
    async with engine.connect() as connection:
        waiting = await connection.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                " AND query LIKE 'INSERT INTO access_log%'"
            )
        )
    return bool(waiting)


async def entries(engine: AsyncEngine) -> list[tuple[str, str]]:
    async with engine.connect() as connection:
        rows = await connection.execute(
            select(m.AccessLogEntry.customer_id, m.AccessLogEntry.operation)
        )
        return sorted((r.customer_id, r.operation) for r in rows)


async def visible_customers(api: Api, count: int) -> list[str]:
    data = await api.data(
        f"{{ customers(first: {count}) {{ edges {{ node {{ id }} }} }} }}", user=USER
    )
    return [edge["node"]["id"] for edge in data["customers"]["edges"]]


async def test_responses_waiting_on_one_insert_are_written_together_after_it(
    api: Api, engine: AsyncEngine, counter: StatementCounter, caplog: pytest.LogCaptureFixture
) -> None:
    customers = await visible_customers(api, 6)
    async with engine.begin() as connection:
        await connection.execute(m.AccessLogEntry.__table__.delete())
    group = api.client._transport.app.state.services.access_log_group  # type: ignore[attr-defined]
    counter.keep = True
    counter.reset()
    caplog.set_level(logging.INFO, logger=REQUEST_LOGGER)
    lock = await hold_inserts(engine)
    try:
        first = asyncio.ensure_future(api.data(SMALL, {"id": customers[0]}, user=USER))
        await until(lambda: an_insert_waits_for_the_lock(engine))
        others = [
            asyncio.ensure_future(api.data(SMALL, {"id": c}, user=USER)) for c in customers[1:]
        ]

        async def all_gathered() -> bool:
            return group.gathering == len(others)

        await until(all_gathered)
        # Nothing has left: the first waits for its commit, the others for theirs.
        assert not first.done() and not any(o.done() for o in others)
    finally:
        await lock.commit()
        await lock.close()
    answers = [await first, *[await o for o in others]]
    assert [a["customer"]["id"] for a in answers] == customers
    inserts = [s for s in counter.statements if s.startswith("INSERT INTO access_log")]
    assert len(inserts) == 2  # the first alone, then the five that waited, together
    # Each insert counts in the request log line of the batch's first request: the
    # viewer, the customer and the insert; the four others ran two statements.
    counts = sorted(
        r.fields["sql_statements"]  # type: ignore[attr-defined]
        for r in caplog.records
        if r.name == REQUEST_LOGGER and r.fields["operation"] == "Small"  # type: ignore[attr-defined]
    )
    assert counts == [2, 2, 2, 2, 3, 3]
    assert await entries(engine) == sorted((c, "Small") for c in customers)


def _row(customer_id: str, operation: str = "Test") -> dict[str, Any]:
    return {
        "user_id": USER,
        "customer_id": customer_id,
        "fields": ["firstName"],
        "at": datetime.now(UTC),
        "operation": operation,
    }


async def test_a_failed_batch_fails_each_of_its_waiters_and_the_next_starts_afresh(
    api: Api, engine: AsyncEngine
) -> None:
    async with engine.begin() as connection:
        await connection.execute(m.AccessLogEntry.__table__.delete())
    group = access_log.AccessLogGroup()
    sessions = [session_factory(engine)() for _ in range(4)]
    try:
        for session in sessions:
            assert isinstance(session, ShieldedSession)
            assert await session.commits_writes_alone()
        lock = await hold_inserts(engine)
        try:
            first = asyncio.ensure_future(group.write(sessions[0], [_row("c-first")]))  # type: ignore[arg-type]
            await until(lambda: an_insert_waits_for_the_lock(engine))
            # The operation column holds 200 characters: this batch cannot be written.
            bad = asyncio.ensure_future(group.write(sessions[1], [_row("c-bad", "x" * 201)]))  # type: ignore[arg-type]
            good = asyncio.ensure_future(group.write(sessions[2], [_row("c-good")]))  # type: ignore[arg-type]

            async def both_gathered() -> bool:
                return group.gathering == 2

            await until(both_gathered)
        finally:
            await lock.commit()
            await lock.close()
        await first
        for waiter in (bad, good):
            with pytest.raises(DBAPIError):
                await waiter
        assert await entries(engine) == [("c-first", "Test")]  # nothing of the failed batch
        await group.write(sessions[3], [_row("c-after")])  # type: ignore[arg-type]
        assert await entries(engine) == [("c-after", "Test"), ("c-first", "Test")]
    finally:
        for session in sessions:
            await session.close()


async def test_a_waiter_that_gives_up_does_not_stop_the_others_write(
    api: Api, engine: AsyncEngine
) -> None:
    async with engine.begin() as connection:
        await connection.execute(m.AccessLogEntry.__table__.delete())
    group = access_log.AccessLogGroup()
    sessions = [session_factory(engine)() for _ in range(3)]
    try:
        lock = await hold_inserts(engine)
        try:
            first = asyncio.ensure_future(group.write(sessions[0], [_row("c-first")]))  # type: ignore[arg-type]
            await until(lambda: an_insert_waits_for_the_lock(engine))
            leaving = asyncio.ensure_future(group.write(sessions[1], [_row("c-leaving")]))  # type: ignore[arg-type]
            staying = asyncio.ensure_future(group.write(sessions[2], [_row("c-staying")]))  # type: ignore[arg-type]

            async def both_gathered() -> bool:
                return group.gathering == 2

            await until(both_gathered)
            leaving.cancel()
            await sessions[1].close()  # its request ends: the batch uses the next session
        finally:
            await lock.commit()
            await lock.close()
        await first
        await staying
        with pytest.raises(asyncio.CancelledError):
            await leaving
        # The entries of a response that may not have left are kept: the log errs on
        # the side of recording a disclosure.
        assert [c for c, _ in await entries(engine)] == ["c-first", "c-leaving", "c-staying"]
    finally:
        for session in sessions:
            await session.close()


async def test_a_mutation_writes_its_entries_in_its_own_transaction(engine: AsyncEngine) -> None:
    await load_world(engine, demo_world(TODAY, customers=5))
    async with session_factory(engine)() as session:
        assert isinstance(session, ShieldedSession)
        await session.rows(select(func.count()).select_from(m.Customer.__table__))
        assert await session.commits_writes_alone()  # reads open no transaction
        await session.execute(text("SELECT 1"))  # SQLAlchemy's path: BEGIN, as a write does
        assert not await session.commits_writes_alone()
        await session.rollback()


async def test_responses_reaching_the_log_together_share_the_first_insert(
    api: Api, engine: AsyncEngine, counter: StatementCounter
) -> None:
    async with engine.begin() as connection:
        await connection.execute(m.AccessLogEntry.__table__.delete())
    group = access_log.AccessLogGroup()
    sessions = [session_factory(engine)() for _ in range(3)]
    counter.keep = True
    counter.reset()
    try:
        # In one turn of the event loop, before the first insert is sent: one batch.
        await asyncio.gather(
            *(group.write(s, [_row(f"c{n}")]) for n, s in enumerate(sessions))  # type: ignore[arg-type]
        )
    finally:
        for session in sessions:
            await session.close()
    inserts = [s for s in counter.statements if s.startswith("INSERT INTO access_log")]
    assert len(inserts) == 1
    assert [c for c, _ in await entries(engine)] == ["c0", "c1", "c2"]
