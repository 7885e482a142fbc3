"""On PostgreSQL the loaders' read statements run straight on asyncpg (data/raw_rows.py).
They must answer exactly as SQLAlchemy's execution would, inside the request's
transaction, seen by the statement listeners, and fail as SQLAlchemy's errors do."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Integer, Numeric, bindparam, func, insert, literal, select, text
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine
from support import TODAY, is_postgres, load_world

from voucher_graph.data import models as m
from voucher_graph.data import raw_rows
from voucher_graph.data.engine import ShieldedSession, StatementCounter, session_factory
from voucher_graph.data.loaders import (
    CONTENT_ROW,
    EVENT_PART,
    EVENT_ROW,
    PP_ROW,
    PP_ROWS,
    RESERVATION_PART,
    SETTLEMENT_DATES,
    Prepared,
    Scopes,
)
from voucher_graph.world.demo import demo_world

pytestmark = pytest.mark.skipif(
    not is_postgres(), reason="asyncpg only (set VOUCHER_GRAPH_TEST_DATABASE_URL)"
)


@pytest.fixture
async def session(engine: AsyncEngine) -> Any:
    await load_world(engine, demo_world(TODAY, customers=40))
    async with session_factory(engine)() as session:
        assert isinstance(session, ShieldedSession)
        yield session


async def customer_ids(session: ShieldedSession) -> list[str]:
    return list((await session.scalars(select(m.Customer.id).order_by(m.Customer.id))).all())


async def test_rows_equal_sqlalchemys_in_values_types_and_names(
    session: ShieldedSession,
) -> None:
    statement = PP_ROWS[(False, True)]  # vouchers, contents and events
    params = {"customer_ids": await customer_ids(session)}
    assert raw_rows.compiled(statement, session.bind.dialect) is not None

    def in_order(rows: Any) -> list[Any]:  # rows of equal sort keys in one order
        return sorted(rows, key=lambda r: (r.part, r.id or "", r.purchasing_power_id or "",
                                           r.content_id or ""))  # fmt: skip

    fast = in_order(await session.rows(statement, params))
    plain = in_order((await session.execute(statement, params)).all())
    assert len(fast) == len(plain) > 0
    assert {r.part for r in fast} == {PP_ROW, CONTENT_ROW, EVENT_ROW}
    names = list(plain[0]._mapping)
    for mine, theirs in zip(fast, plain, strict=True):
        assert mine._mapping == dict(theirs._mapping)
        for name in names:  # by attribute, with the same Python types (text -> Decimal)
            assert getattr(mine, name) == getattr(theirs, name)
            assert type(getattr(mine, name)) is type(getattr(theirs, name))
    assert any(isinstance(getattr(fast[0], n), Decimal) for n in names)
    assert isinstance(fast[-1].units, Decimal) and fast[-1].part == EVENT_ROW


async def test_a_customers_lists_together_are_read_straight_and_equal_sqlalchemys(
    session: ShieldedSession,
) -> None:
    # Every form of the reservations-and-events union is read on asyncpg (every column
    # typed; SQLAlchemy's path would open a transaction a read-only request must then
    # commit), with the rows SQLAlchemy reads, the reservations' rank included.
    scopes = Scopes(
        customers=select(m.Customer),
        purchasing_powers=select(m.PurchasingPower),
        reservations=select(m.Reservation).where(m.Reservation.provider_id == "p1"),
        events=select(m.Event).where(m.Event.provider_id == "p1"),
        customer_numbers=select(m.CustomerNumber),
    )
    forms = Prepared(scopes).reservations_and_events
    assert len(forms) == 8
    for statement in forms.values():
        assert raw_rows.compiled(statement, session.bind.dialect) is not None
    statement = forms[(True, (True, False))]
    params = {"ids": await customer_ids(session), "from_date": TODAY.replace(year=2020)}
    fast = await session.rows(statement, params)
    plain = (await session.execute(statement, params)).all()
    key = lambda r: (r.part, r.id)  # noqa: E731
    assert [r._mapping for r in sorted(fast, key=key)] == [
        dict(r._mapping) for r in sorted(plain, key=key)
    ]
    assert {r.part for r in fast} == {RESERVATION_PART, EVENT_PART}
    ranks = sorted(r.rank for r in fast if r.part == RESERVATION_PART)
    assert ranks == list(range(1, len(ranks) + 1))


async def test_bound_values_of_the_statement_itself_are_sent(session: ShieldedSession) -> None:
    # SETTLEMENT_DATES binds the reference generation's row id inside the statement.
    fast = await session.rows(SETTLEMENT_DATES)
    plain = (await session.execute(SETTLEMENT_DATES)).all()
    assert [tuple(r) for r in fast] == [tuple(r) for r in plain] and fast


async def test_a_column_of_another_type_keeps_sqlalchemys_path(
    session: ShieldedSession,
) -> None:
    # NUMERIC's processing depends on the driver's column type, unknown before a run.
    statement = select(func.sum(literal(1.5, Numeric(10, 2))).label("total"))
    assert raw_rows.compiled(statement, session.bind.dialect) is None
    assert (await session.rows(statement))[0].total == Decimal("1.50")


async def test_an_expanding_in_list_keeps_sqlalchemys_path(session: ShieldedSession) -> None:
    statement = select(m.Customer.id).where(m.Customer.id.in_(bindparam("ids", expanding=True)))
    assert raw_rows.compiled(statement, session.bind.dialect) is None
    ids = (await customer_ids(session))[:3]
    assert sorted(r.id for r in await session.rows(statement, {"ids": ids})) == ids


async def backend_pid(session: ShieldedSession) -> int:
    rows = await session.rows(select(func.pg_backend_pid(type_=Integer).label("pid")))
    return int(rows[0].pid)


async def backend_state(engine: AsyncEngine, pid: int) -> str:
    """What another connection sees of the session's backend: idle, or idle in a
    transaction."""
    async with engine.connect() as other:
        state = await other.scalar(
            text("SELECT state FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}
        )
    return str(state)


async def test_reads_alone_open_no_transaction_and_join_an_open_one(
    session: ShieldedSession, engine: AsyncEngine
) -> None:
    pid = await backend_pid(session)
    assert await backend_state(engine, pid) == "idle"  # no BEGIN was sent for a read
    # A write through SQLAlchemy opens the transaction; reads then run inside it.
    await session.execute(text("CREATE TEMPORARY TABLE vg_probe (x int) ON COMMIT DROP"))
    assert await backend_pid(session) == pid
    assert await backend_state(engine, pid) == "idle in transaction"
    await session.rollback()  # the connection may go back to the pool: ask again
    assert await backend_state(engine, await backend_pid(session)) == "idle"


async def test_a_write_alone_commits_by_itself(
    session: ShieldedSession, engine: AsyncEngine
) -> None:
    at = datetime.now(UTC)
    await session.write_many(
        insert(m.AccessLogEntry.__table__).inline(),
        [{"user_id": "u-probe", "customer_id": "c-probe", "fields": ["ssn"], "at": at,
          "operation": "Probe"}],
    )  # fmt: skip
    async with engine.connect() as other:  # visible at once to another connection
        count = await other.scalar(
            select(func.count())
            .select_from(m.AccessLogEntry)
            .where(m.AccessLogEntry.user_id == "u-probe")
        )
    assert count == 1
    await session.rollback()  # nothing to roll back: it is committed
    async with engine.connect() as other:
        count = await other.scalar(
            select(func.count())
            .select_from(m.AccessLogEntry)
            .where(m.AccessLogEntry.user_id == "u-probe")
        )
    assert count == 1


async def test_listeners_see_every_statement(
    session: ShieldedSession, counter: StatementCounter
) -> None:
    counter.reset()
    counter.keep = True
    try:
        await session.rows(SETTLEMENT_DATES)
        await session.rows(PP_ROWS[(False, True)], {"customer_ids": ["c1"]})
    finally:
        counter.keep = False
    assert counter.count == 2
    assert "settlement_dates" in counter.statements[0]


async def test_an_error_is_sqlalchemys_and_the_session_recovers(
    session: ShieldedSession,
) -> None:
    failing = select((literal(1, Integer) // bindparam("zero", type_=Integer)).label("x"))
    assert raw_rows.compiled(failing, session.bind.dialect) is not None
    with pytest.raises(DBAPIError, match="division by zero"):
        await session.rows(failing, {"zero": 0})
    await session.rollback()
    assert (await session.rows(failing, {"zero": 1}))[0].x == 1


async def test_a_lost_connection_is_sqlalchemys_error_and_the_pool_recovers(
    engine: AsyncEngine,
) -> None:
    # The server ends the session's backend between two statements (a restart, a
    # failover): the next read fails as SQLAlchemy's own execution would fail, with the
    # connection invalidated, and the next session gets a working connection.
    async with session_factory(engine)() as session:
        assert isinstance(session, ShieldedSession)
        pid = (await session.rows(BACKEND))[0].pid
        await end_backend(engine, pid)
        with pytest.raises(DBAPIError) as failure:
            await session.rows(BACKEND)
        assert failure.value.connection_invalidated
        await session.rollback()
    async with session_factory(engine)() as session:
        assert isinstance(session, ShieldedSession)
        assert (await session.rows(BACKEND))[0].pid != pid


BACKEND = select(func.pg_backend_pid(type_=Integer).label("pid"))


async def end_backend(engine: AsyncEngine, pid: int) -> None:
    """End a session's server process from another connection (a restart, a failover)."""
    async with engine.connect() as other:
        await other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})


async def test_a_session_that_only_read_has_nothing_to_commit(session: ShieldedSession) -> None:
    # A request that only read skips its commit (app.py): its statements ran each on
    # its own, so the commit would send nothing. Anything else commits as before.
    assert not session.has_nothing_to_commit()  # no connection yet: not certain
    await session.rows(SETTLEMENT_DATES)
    assert session.has_nothing_to_commit()
    session.add(m.AccessLogEntry(user_id="u-x", customer_id="c1", fields=[], operation=None,
                                 at=datetime.now(UTC)))  # fmt: skip
    assert not session.has_nothing_to_commit()  # a change the ORM holds
    await session.flush()  # now a transaction is open on the connection
    session.expunge_all()
    assert not session.has_nothing_to_commit()
    await session.rollback()
    await session.rows(SETTLEMENT_DATES)
    assert session.has_nothing_to_commit()


async def test_a_write_whose_connection_was_lost_still_commits_and_fails(
    engine: AsyncEngine,
) -> None:
    # The connection dies inside a write's transaction: the driver forgets the
    # transaction, yet the request must not skip its commit as if it had only read.
    # The commit runs and fails, so the request answers an error, never a lost write.
    async with session_factory(engine)() as session:
        assert isinstance(session, ShieldedSession)
        pid = (await session.rows(BACKEND))[0].pid
        await session.execute(
            insert(m.AccessLogEntry).values(
                user_id="u-lost", customer_id="c1", fields=[], at=datetime.now(UTC)
            )
        )
        await end_backend(engine, pid)
        with pytest.raises(DBAPIError):
            await session.rows(BACKEND)
        assert not session.has_nothing_to_commit()
        with pytest.raises(SQLAlchemyError):
            await session.commit()
        await session.rollback()
    async with engine.connect() as other:
        count = await other.scalar(
            select(func.count()).select_from(m.AccessLogEntry)
            .where(m.AccessLogEntry.user_id == "u-lost")
        )  # fmt: skip
    assert count == 0
