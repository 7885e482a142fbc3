"""Every database call of a request goes through ShieldedSession's lock and shield: a
resolver cancelled mid-statement (graphql-core cancels the siblings of a failed field)
leaves the session and its connection usable."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from support import Api

from voucher_graph.data import models as m
from voucher_graph.data.engine import (
    NO_DATABASE_WORK,
    ShieldedSession,
    ShieldedTransaction,
    session_factory,
)

# A statement that takes a while on both databases, so that a cancel lands inside it.
SLOW = text(
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 200000)"
    " SELECT count(*) FROM c"
)


def test_every_coroutine_method_of_async_session_is_shielded() -> None:
    members = inspect.getmembers(AsyncSession)
    coroutines = {name for name, value in members if inspect.iscoroutinefunction(value)}
    assert {"execute", "scalar", "scalars", "flush", "commit", "get"} <= coroutines
    unshielded = {
        name
        for name in coroutines - NO_DATABASE_WORK
        if not getattr(getattr(ShieldedSession, name), "shielded", False)
    }
    assert unshielded == set()
    # Transactions and savepoints (begin, begin_nested) too.
    assert ShieldedSession.begin_nested is not AsyncSession.begin_nested
    for name in ("start", "commit", "rollback", "__aexit__"):
        assert name in ShieldedTransaction.__dict__


Call = Callable[[AsyncSession], Awaitable[Any]]


async def _refresh(session: AsyncSession) -> None:
    organizer = await session.get(m.Organizer, "o1")
    assert organizer is not None
    organizer.name = organizer.name  # a change to flush
    await session.refresh(organizer)


CALLS: list[tuple[str, Call]] = [
    ("execute", lambda s: s.execute(SLOW)),
    ("scalar", lambda s: s.scalar(SLOW)),
    ("scalars", lambda s: s.scalars(SLOW)),
    ("stream", lambda s: s.stream(SLOW)),
    ("stream_scalars", lambda s: s.stream_scalars(SLOW)),
    ("run_sync", lambda s: s.run_sync(lambda sync: sync.execute(SLOW).scalar())),
    ("get", lambda s: s.get(m.Customer, "c1")),
    ("get_one", lambda s: s.get_one(m.Customer, "c1")),
    ("flush", lambda s: s.flush()),
    ("refresh", _refresh),
    ("connection", lambda s: s.connection()),
    ("begin_nested", lambda s: s.begin_nested().start()),
]


@pytest.mark.parametrize(("name", "call"), CALLS, ids=[name for name, _ in CALLS])
async def test_a_call_cancelled_mid_statement_leaves_the_session_usable(
    example_api: Api, name: str, call: Call
) -> None:
    async with session_factory(example_api.engine)() as session:
        assert isinstance(session, ShieldedSession)
        await session.scalar(select(func.count()).select_from(m.Customer))  # a transaction
        task = asyncio.ensure_future(call(session))
        for _ in range(3):
            await asyncio.sleep(0)  # let it start its statement
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        # The statement itself ran to its end; the next ones work on the same connection.
        assert await session.scalar(SLOW) == 200_000
        assert await session.scalar(select(func.count()).select_from(m.Customer)) > 0
        await session.rollback()
        assert await session.scalar(select(m.Customer.id).where(m.Customer.id == "c1")) == "c1"
        await session.commit()


async def test_siblings_racing_on_one_session_all_complete(example_api: Api) -> None:
    async with session_factory(example_api.engine)() as session:
        results = await asyncio.gather(
            session.scalar(SLOW),
            session.scalars(select(m.Customer.id).limit(3)),
            session.get(m.Organizer, "o1"),
            session.execute(select(func.count()).select_from(m.Event)),
        )
        assert results[0] == 200_000 and len(results[1].all()) == 3
        await session.commit()
