"""Rule A's relation (provider_customers) agrees with the events after every event write,
also when writes meet at the same moment on PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

import pytest
from mutation_world import DELETE, RECORD, record_input, world_apis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from support import TODAY, Api, is_postgres, make_api

from voucher_graph.data.access_relation import derive_provider_customers
from voucher_graph.data.engine import StatementCounter, session_factory
from voucher_graph.data.provider_counts import Facts as Facts_
from voucher_graph.data.provider_counts import count_change, write_pending_moves

Facts = set[tuple[str, str, Any, bool]]


def _day(value: Any) -> date | None:
    return value if value is None or isinstance(value, date) else date.fromisoformat(str(value))


async def kept(engine: AsyncEngine) -> Facts:
    """The relation as kept by the writes (rows whose facts are all empty left out)."""
    async with engine.connect() as connection:
        rows = await connection.execute(
            text(
                "SELECT provider_id, customer_id, last_date, reservation_open"
                " FROM provider_customers"
            )
        )
        return {(p, c, _day(d), bool(o)) for p, c, d, o in rows if d is not None or o}


async def derived(engine: AsyncEngine) -> Facts:
    """The relation derived afresh from events and reservations (then rolled back)."""
    async with session_factory(engine)() as session, session.begin():
        await derive_provider_customers(session)
        rows = await session.execute(
            text(
                "SELECT provider_id, customer_id, last_date, reservation_open"
                " FROM provider_customers"
            )
        )
        facts = {(p, c, _day(d), bool(o)) for p, c, d, o in rows}
        await session.rollback()
    return facts


# The provider's name words (data/scoped_words.py) carry each pair's facts: after any
# writes they must be exactly the relation times its customers' words, no row missing,
# none extra, no fact stale.
_WORD_COPIES = """
SELECT pc.provider_id, w.word, w.customer_id, pc.last_date, pc.reservation_open,
       w.last_name_lower, w.first_name_lower
FROM provider_customers pc JOIN customer_name_words w ON w.customer_id = pc.customer_id
"""
_WORDS_KEPT = """
SELECT provider_id, word, customer_id, last_date, reservation_open, last_name_lower,
       first_name_lower
FROM provider_name_words
"""


async def words_copy_the_relation(engine: AsyncEngine) -> bool:
    async with engine.connect() as connection:
        copies = set((await connection.execute(text(_WORD_COPIES))).all())
        kept_words = (await connection.execute(text(_WORDS_KEPT))).all()
    assert copies, "the example world has provider relationships with named customers"
    return len(kept_words) == len(copies) and set(kept_words) == copies


# The provider's classes (data/provider_counts.py) are the relation grouped by its
# facts: after any writes every class counts exactly the pairs that have its facts.
_CLASSES_OF_THE_RELATION = """
SELECT provider_id, last_date, reservation_open, count(*)
FROM provider_customers GROUP BY provider_id, last_date, reservation_open
"""
_CLASSES_KEPT = """
SELECT provider_id, last_date, reservation_open, customer_count
FROM provider_customer_counts WHERE customer_count <> 0
"""


async def classes_count_the_relation(engine: AsyncEngine) -> bool:
    async with engine.connect() as connection:
        grouped = {
            (p, _day(d), bool(o), n)
            for p, d, o, n in await connection.execute(text(_CLASSES_OF_THE_RELATION))
        }
        kept_classes = [
            (p, _day(d), bool(o), n) for p, d, o, n in await connection.execute(text(_CLASSES_KEPT))
        ]
    assert grouped
    return len(kept_classes) == len(grouped) and set(kept_classes) == grouped


async def last_date(engine: AsyncEngine, provider: str, customer: str) -> date | None:
    async with engine.connect() as connection:
        value = await connection.scalar(
            text(
                "SELECT last_date FROM provider_customers"
                " WHERE provider_id = :p AND customer_id = :c"
            ),
            {"p": provider, "c": customer},
        )
    return _day(value)


async def test_each_event_write_keeps_the_relation(
    engine: AsyncEngine, counter: StatementCounter
) -> None:
    async with world_apis(engine, counter) as (api,):
        assert await kept(engine) == await derived(engine)
        assert await words_copy_the_relation(engine)
        assert await classes_count_the_relation(engine)
        before = await last_date(engine, "p1", "c1")
        assert before == date(2026, 11, 22)  # e-rejected counts: any status
        body = await api.data(RECORD, record_input(serviceDate="2026-11-25"), user="rec")
        new_id = body["recordEvent"]["id"]
        assert await last_date(engine, "p1", "c1") == date(2026, 11, 25)
        assert await words_copy_the_relation(engine)  # the new date, on the pair's words
        assert await classes_count_the_relation(engine)
        edit = record_input(serviceDate="2026-11-24")
        edit["input"]["id"] = new_id
        await api.data(RECORD, edit, user="rec")
        assert await last_date(engine, "p1", "c1") == date(2026, 11, 24)
        await api.data(DELETE, {"id": new_id}, user="rec")
        # The latest of the remaining non-deleted events again.
        assert await last_date(engine, "p1", "c1") == before
        assert await kept(engine) == await derived(engine)
        assert await words_copy_the_relation(engine)
        assert await classes_count_the_relation(engine)


async def test_a_failed_mutation_leaves_the_relation_as_it_was(
    engine: AsyncEngine, counter: StatementCounter
) -> None:
    # All or nothing: the recording is rolled back with the second mutation's error.
    document = (
        "mutation($i: RecordEventInput!) { a: recordEvent(input: $i) { id } "
        'b: deleteEvent(id: "e-rejected") }'
    )
    async with world_apis(engine, counter) as (api,):
        before = await kept(engine)
        body = await api.query(
            document, {"i": record_input(serviceDate="2026-11-25")["input"]}, user="rec"
        )
        assert body.get("errors")
        assert await kept(engine) == before
        assert await words_copy_the_relation(engine)
        assert await classes_count_the_relation(engine)


@pytest.mark.skipif(not is_postgres(), reason="needs PostgreSQL's concurrent writers")
@pytest.mark.parametrize("round_", range(3))
async def test_writes_at_the_same_moment_leave_the_relation_agreeing_with_the_events(
    engine: AsyncEngine, counter: StatementCounter, round_: int
) -> None:
    """Deletes of the latest events race recordings of earlier ones on one customer, by
    two users of one provider, with reads in between: whatever the interleaving, the
    kept latest date is the latest non-deleted event after all commits."""

    def recording(day: str, user: str) -> Any:
        async def call(api: Api) -> dict[str, Any]:
            return await api.query(RECORD, record_input(serviceDate=day, units="0.1"), user=user)

        return call

    def deleting(event_id: str) -> Any:
        async def call(api: Api) -> dict[str, Any]:
            return await api.query(DELETE, {"id": event_id}, user="rec2")

        return call

    async def reading(api: Api) -> dict[str, Any]:
        return await api.query('{ customer(id: "c1") { id } }', user="rec")

    async with world_apis(engine, counter) as (api,):
        latest = []
        for day in ("2026-11-26", "2026-11-25", "2026-11-24"):
            body = await api.data(RECORD, record_input(serviceDate=day, units="0.1"), user="rec")
            latest.append(body["recordEvent"]["id"])
        assert await last_date(engine, "p1", "c1") == date(2026, 11, 26)
        calls = [
            deleting(latest[0]),
            recording("2026-11-23", "rec"),
            deleting(latest[1]),
            reading,
            recording("2026-11-22", "rec2"),
            deleting(latest[2]),
            reading,
        ]
        calls = calls[round_:] + calls[:round_]
        apis = [make_api(engine, counter, TODAY) for _ in calls]
        try:
            bodies = await asyncio.gather(*(c(a) for c, a in zip(calls, apis, strict=True)))
        finally:
            for other in apis:
                await other.client.aclose()
        assert all(not b.get("errors") for b in bodies), bodies
        assert await kept(engine) == await derived(engine)
        assert await words_copy_the_relation(engine)
        assert await classes_count_the_relation(engine)
        assert await last_date(engine, "p1", "c1") == date(2026, 11, 23)


@pytest.mark.skipif(not is_postgres(), reason="needs PostgreSQL's row locks")
async def test_a_writer_waiting_on_the_relation_row_recomputes_after_the_first_commits(
    engine: AsyncEngine, counter: StatementCounter
) -> None:
    """The interleaving that a one-statement upsert gets wrong, forced step by step: a
    delete of the latest event holds the pair's row; a recording on the same pair waits
    for it, and must then count the delete, not the snapshot it started with."""
    from voucher_graph.data.access_relation import refresh_provider_customer

    async with world_apis(engine, counter) as (api,):
        body = await api.data(RECORD, record_input(serviceDate="2026-11-26"), user="rec")
        latest = body["recordEvent"]["id"]
        factory = session_factory(engine)
        async with factory() as deleting, factory() as recording:
            await deleting.execute(
                text("UPDATE events SET deleted = true WHERE id = :id"), {"id": latest}
            )
            await refresh_provider_customer(deleting, "p1", "c1")  # holds the row now
            await recording.execute(
                text(
                    "INSERT INTO events (id, purchasing_power_id, customer_id, content_id,"
                    " provider_id, service_date, units, unit_price, description, status,"
                    " recorded_on, deleted) VALUES ('e-new', 'pp1', 'c1', 'k1', 'p1',"
                    " DATE '2026-11-23', 0.1, 40, '', 'RECORDED', DATE '2026-11-26', false)"
                )
            )
            waiting = asyncio.create_task(refresh_provider_customer(recording, "p1", "c1"))
            await asyncio.sleep(0.3)
            assert not waiting.done()  # queued on the pair's row
            await deleting.commit()
            await waiting
            await recording.commit()
        assert await last_date(engine, "p1", "c1") == date(2026, 11, 23)
        assert await kept(engine) == await derived(engine)
        assert await words_copy_the_relation(engine)
        assert await classes_count_the_relation(engine)


@pytest.mark.skipif(not is_postgres(), reason="needs PostgreSQL's concurrent writers")
async def test_writers_moving_pairs_between_two_classes_at_once_lose_no_step(
    engine: AsyncEngine, counter: StatementCounter
) -> None:
    """Half the writers move a pair of p1 from class X to Y, the other half from Y to X,
    all at once, each holding its class rows until it commits: none deadlocks (the
    rows are written in key order; without it this deadlocks) and every step counts."""
    x: Facts_ = (date(2020, 1, 1), False)
    y: Facts_ = (date(2020, 1, 2), False)
    async with world_apis(engine, counter):
        async with session_factory(engine)() as session, session.begin():
            for _ in range(10):
                count_change(session, "p1", None, x)
                count_change(session, "p1", None, y)

        async def move(before: Facts_, after: Facts_) -> None:
            async with session_factory(engine)() as session, session.begin():
                count_change(session, "p1", before, after)
                # Written now rather than at commit, and held while the others arrive.
                await write_pending_moves(session)
                await asyncio.sleep(0.02)

        moves = [move(x, y) for _ in range(6)] + [move(y, x) for _ in range(4)]
        await asyncio.gather(*moves)
        async with engine.connect() as connection:
            found = dict(
                (_day(d), n)
                for d, n in await connection.execute(
                    text(
                        "SELECT last_date, customer_count FROM provider_customer_counts"
                        " WHERE provider_id = 'p1' AND last_date < '2021-01-01'"
                    )
                )
            )
    assert found == {x[0]: 10 - 6 + 4, y[0]: 10 + 6 - 4}
