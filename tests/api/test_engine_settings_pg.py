"""The API's PostgreSQL sessions: no JIT, and plans that fit the values.

No JIT: the policy's subplans are costed far above what they do, and compiling cost
more than running (data/engine.py says the numbers). Plans: statements are prepared
once per connection and PostgreSQL may plan a reused one generically, which is right
for the loaders' id lists, a cursor's one row and a total without name words; a
search's page (and a total over name words) is planned afresh for its values every
time, because a generic plan costed for the average provider would sort the biggest
provider's whole visible set (data/raw_rows.py `fresh_plan`, data/search.py).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import Integer, String, column, select, table, text
from sqlalchemy.ext.asyncio import AsyncEngine
from support import TODAY, is_postgres, load_world

from voucher_graph.data import raw_rows
from voucher_graph.data.engine import ShieldedSession, session_factory
from voucher_graph.data.loaders import EventsKey, Loaders
from voucher_graph.data.search import CustomerSearch, search_customers
from voucher_graph.data.viewer import load_viewer
from voucher_graph.domain.dates import window_start
from voucher_graph.policies.gate import Gate
from voucher_graph.policies.oso_setup import create_oso
from voucher_graph.world.demo import demo_world

pytestmark = pytest.mark.skipif(not is_postgres(), reason="PostgreSQL server settings")

PREPARED = select(
    column("statement", String), column("generic_plans", Integer), column("custom_plans", Integer)
).select_from(table("pg_prepared_statements"))


async def test_sessions_use_no_jit_and_the_default_plan_cache(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        plan_cache = (await connection.execute(text("SHOW plan_cache_mode"))).scalar_one()
        jit = (await connection.execute(text("SHOW jit"))).scalar_one()
    assert (plan_cache, jit) == ("auto", "off")


async def viewer_scopes(session: Any, user: str) -> Any:
    """`user`'s authorized statements (policies/gate.py), as a request makes them."""
    viewer = await load_viewer(session, user, today=TODAY, window_start=window_start(TODAY))
    assert viewer is not None
    return Gate(create_oso(), viewer).scopes


@pytest.fixture
def runs(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, bool]]:
    """(SQL, whether planned afresh) of every statement run through raw_rows.fetch."""
    recorded: list[tuple[str, bool]] = []
    fetch = raw_rows.fetch

    async def recording_fetch(
        connection: Any, adapted: Any, found: Any, params: Any, **kwargs: Any
    ) -> Any:
        recorded.append((found.sql, kwargs.get("fresh_plan", False)))
        return await fetch(connection, adapted, found, params, **kwargs)

    monkeypatch.setattr(raw_rows, "fetch", recording_fetch)
    return recorded


async def test_search_pages_are_planned_afresh_and_the_rest_may_reuse_a_plan(
    engine: AsyncEngine, runs: list[tuple[str, bool]]
) -> None:
    await load_world(engine, demo_world(TODAY, customers=60))
    async with session_factory(engine)() as session:
        assert isinstance(session, ShieldedSession)
        scopes = await viewer_scopes(session, "o1-admin")
        runs.clear()
        for _ in range(8):  # past the five custom plans after which one may go generic
            page = await search_customers(
                session, scopes.customers, scopes.purchasing_powers, CustomerSearch(),
                first=5, after=None,
            )  # fmt: skip
            await page.total()
            await load_viewer(session, "o1-admin", today=TODAY, window_start=window_start(TODAY))
        prepared = await session.rows(PREPARED)
    pages = {sql for sql, _ in runs if "LIMIT" in sql}
    totals = {sql for sql, _ in runs if "count(" in sql or "sum(" in sql}
    assert len(pages) == len(totals) == 1
    assert all(fresh for sql, fresh in runs if sql in pages)
    assert not any(fresh for sql, fresh in runs if sql not in pages)
    # No page statement was kept and run again (each was prepared for one run) ...
    assert not [p for p in prepared if p.statement in pages and p.custom_plans > 1]
    # ... the total (no name words) is one statement reused, as the loaders' are ...
    # (The pooled connection may also hold the same text prepared by an earlier test
    # for another scope object: asyncpg keys its cache by text and row class.)
    runs_of_total = [p.custom_plans + p.generic_plans for p in prepared if p.statement in totals]
    assert 8 in runs_of_total, runs_of_total
    # ... while the viewer's is one statement reused by every request, which after
    # five custom plans PostgreSQL plans generically.
    [viewer_statement] = [p for p in prepared if p.statement.startswith("SELECT users.id")]
    assert viewer_statement.custom_plans == 5 and viewer_statement.generic_plans >= 3


async def test_a_total_over_name_words_is_planned_afresh(
    engine: AsyncEngine, runs: list[tuple[str, bool]]
) -> None:
    await load_world(engine, demo_world(TODAY, customers=60))
    async with session_factory(engine)() as session:
        scopes = await viewer_scopes(session, "o1-admin")
        runs.clear()
        page = await search_customers(
            session, scopes.customers, scopes.purchasing_powers,
            CustomerSearch(name_words=("a",)), first=1, after=None,
        )  # fmt: skip
        assert page.has_next_page  # so the total is counted by a statement of its own
        await page.total()
    assert [fresh for _, fresh in runs] == [True, True]  # the page, then its total


async def test_a_customer_by_id_reuses_a_generic_plan(engine: AsyncEngine) -> None:
    # customer(id), alone or with its events, binds one id as a scalar: an array
    # parameter is costed at ten elements, so a generic plan looked dearer than a
    # one-id custom plan and PostgreSQL planned every run afresh (data/loaders.py).
    await load_world(engine, demo_world(TODAY, customers=60))
    async with session_factory(engine)() as session:
        assert isinstance(session, ShieldedSession)
        loaders = Loaders(session, await viewer_scopes(session, "p1-recorder"))
        page = await search_customers(
            session, loaders.scopes.customers, loaders.scopes.purchasing_powers,
            CustomerSearch(), first=8, after=None,
        )  # fmt: skip
        before = _plans_by_name(await session.rows(PREPARED_BY_NAME))
        for row in page.customers:
            fresh = Loaders(session, loaders.scopes)  # no cache between lookups
            assert await fresh.customer.load(row.id) is not None
            assert await fresh.customer_with_events(EventsKey(row.id, None, None)) is not None
        after = await session.rows(PREPARED_BY_NAME)
    # The customer alone, and with its events: 8 runs each here, of which PostgreSQL
    # planned at most five afresh (the pooled connection may have run them before).
    runs = {
        p.name: (p.custom_plans, p.generic_plans) for p in after
        if re.search(r"customers\.id = \$\d", p.statement)
        and p.statement.startswith(("SELECT customers.id, customers.first_name", "SELECT c.id"))
    }  # fmt: skip
    made = {
        name: (custom - before.get(name, (0, 0))[0], generic - before.get(name, (0, 0))[1])
        for name, (custom, generic) in runs.items()
    }
    ours = [plans for plans in made.values() if sum(plans) == 8]
    assert len(ours) == 2, made
    assert all(custom <= 5 and generic >= 3 for custom, generic in ours), made


PREPARED_BY_NAME = select(
    column("name", String), column("statement", String),
    column("generic_plans", Integer), column("custom_plans", Integer),
).select_from(table("pg_prepared_statements"))  # fmt: skip


def _plans_by_name(rows: list[Any]) -> dict[str, tuple[int, int]]:
    return {row.name: (row.custom_plans, row.generic_plans) for row in rows}
