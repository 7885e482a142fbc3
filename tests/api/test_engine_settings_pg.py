"""The API's PostgreSQL sessions: no JIT, and plans that fit the values.

No JIT: the policy's subplans are costed far above what they do, and compiling cost
more than running (data/engine.py says the numbers). Plans: statements are prepared
once per connection and PostgreSQL may plan a reused one generically, which is right
for the loaders' id lists, a cursor's one row and a total without name words. A
search's page must not take a generic plan costed for the average provider, which
would sort the biggest provider's whole visible set: without name words it carries the
viewer's scope and its limit in its SQL text, a statement of that viewer's own
(raw_rows.with_values_inline, data/search.py `page_of`); with name words (and their
total) it is planned afresh for every run (raw_rows.fetch `fresh_plan`).
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
from voucher_graph.data.search import CustomerSearch, encode_cursor, search_customers
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
    """(SQL, whether prepared afresh for this run) of every statement run through
    raw_rows.fetch: asked to be (`fresh_plan`) and not its viewer's own already."""
    recorded: list[tuple[str, bool]] = []
    fetch = raw_rows.fetch

    async def recording_fetch(
        connection: Any, adapted: Any, found: Any, params: Any, **kwargs: Any
    ) -> Any:
        recorded.append((found.sql, kwargs.get("fresh_plan", False) and not found.values_inline))
        return await fetch(connection, adapted, found, params, **kwargs)

    monkeypatch.setattr(raw_rows, "fetch", recording_fetch)
    return recorded


async def test_a_page_is_its_viewers_own_statement_and_the_rest_may_reuse_a_plan(
    engine: AsyncEngine, runs: list[tuple[str, bool]]
) -> None:
    await load_world(engine, demo_world(TODAY, customers=60))
    pages: dict[str, set[str]] = {}
    async with session_factory(engine)() as session:
        assert isinstance(session, ShieldedSession)
        for user in ("o1-admin", "p1-recorder"):
            scopes = await viewer_scopes(session, user)
            runs.clear()
            for _ in range(8):  # past the five custom plans after which one may go generic
                page = await search_customers(
                    session, scopes.customers, scopes.purchasing_powers, CustomerSearch(),
                    first=5, after=None,
                )  # fmt: skip
                await page.total()
                await load_viewer(session, user, today=TODAY, window_start=window_start(TODAY))
            pages[user] = {sql for sql, _ in runs if "LIMIT" in sql}
            assert not any(fresh for _, fresh in runs)  # no prepare round trip for any
        prepared = await session.rows(PREPARED)
    [admin_page], [recorder_page] = pages["o1-admin"], pages["p1-recorder"]
    # The page names its viewer's scope and its limit in its text: no parameter left ...
    assert "= 'o1'" in admin_page and "= 'p1'" in recorder_page
    assert "LIMIT 6" in admin_page and "LIMIT 6" in recorder_page
    assert "$" not in admin_page and "$" not in recorder_page
    # ... so each viewer's page is one statement of its own, prepared once and reused,
    # and after five custom plans PostgreSQL plans it generically (for that viewer and
    # that limit: the same plan), saving its planning too. The pooled connection may
    # also hold the same text from an earlier test: asyncpg keys its cache by text and
    # row class.
    for page_sql in (admin_page, recorder_page):
        kept = [(p.custom_plans, p.generic_plans) for p in prepared if p.statement == page_sql]
        assert any(custom + generic >= 8 and generic >= 3 for custom, generic in kept), kept
    # The viewer's own statement is one statement reused by every request, which after
    # five custom plans PostgreSQL plans generically.
    [viewer_statement] = [p for p in prepared if p.statement.startswith("SELECT users.id")]
    assert viewer_statement.custom_plans == 5 and viewer_statement.generic_plans >= 11


async def test_a_page_with_its_total_and_numbers_is_still_its_viewers_own_statement(
    engine: AsyncEngine, runs: list[tuple[str, bool]]
) -> None:
    # totalCount and customerNumber asked for with the page (the batched executor
    # looks ahead) are columns of the same statement, which keeps no parameter, and
    # they equal the separate count and the customer-number loader.
    await load_world(engine, demo_world(TODAY, customers=60))
    async with session_factory(engine)() as session:
        scopes = await viewer_scopes(session, "p1-recorder")
        runs.clear()
        page = await search_customers(
            session, scopes.customers, scopes.purchasing_powers, CustomerSearch(),
            first=5, after=None, with_total=True, numbers=scopes.customer_numbers,
        )  # fmt: skip
        total = await page.total()
        assert len(runs) == 1  # the page, and nothing else
        [(page_sql, fresh)] = runs
        assert "count(" in page_sql and "customer_numbers" in page_sql
        assert "$" not in page_sql and not fresh
        plain = await search_customers(
            session, scopes.customers, scopes.purchasing_powers, CustomerSearch(),
            first=5, after=None,
        )  # fmt: skip
        assert total == await plain.total() and total > 5
        numbers = await Loaders(session, scopes).customer_number.load_many(
            [row.id for row in plain.customers]
        )
    assert page.customer_numbers == dict(zip([r.id for r in plain.customers], numbers, strict=True))
    assert any(number is not None for number in numbers)


async def test_a_next_page_binds_only_its_cursor(
    engine: AsyncEngine, runs: list[tuple[str, bool]]
) -> None:
    await load_world(engine, demo_world(TODAY, customers=60))
    async with session_factory(engine)() as session:
        scopes = await viewer_scopes(session, "p1-recorder")
        first = await search_customers(
            session, scopes.customers, scopes.purchasing_powers, CustomerSearch(),
            first=2, after=None,
        )  # fmt: skip
        runs.clear()
        cursor = encode_cursor(first.customers[-1])
        following = await search_customers(
            session, scopes.customers, scopes.purchasing_powers, CustomerSearch(),
            first=2, after=cursor,
        )  # fmt: skip
    assert following.customers and following.customers[0].id != first.customers[0].id
    [page_sql] = [sql for sql, _ in runs if "LIMIT" in sql]
    assert "= 'p1'" in page_sql and "LIMIT 3" in page_sql
    assert re.findall(r"\$\d+", page_sql) == ["$1", "$2", "$3"]  # the cursor's keys
    assert not any(fresh for _, fresh in runs)


async def test_only_plain_scope_values_are_written_into_the_sql(engine: AsyncEngine) -> None:
    # An id of letters, digits and marks is written as a literal. A quote, a backslash
    # or a `%` is not (the asyncpg dialect rewrites `%(name)s` inside literals too, and
    # a backslash means something else without standard_conforming_strings): such a
    # statement keeps its parameter, is planned afresh, and still finds its row.
    words = table("words", column("word", String))
    values = ["p-1 o.2", "it's'; --", "x%(cursor)s", "back\\slash' OR 1=1 --"]
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TEMPORARY TABLE words (word text)"))
        await connection.execute(words.insert(), [{"word": value} for value in values])
        adapted = raw_rows.adapted_connection(connection)
        for value in values:
            statement = raw_rows.with_values_inline(
                select(words.c.word).where(words.c.word == value)
            )
            found = raw_rows.compiled(statement, connection.dialect)
            assert found is not None
            assert found.values_inline == (value == "p-1 o.2"), found.sql
            assert ("$1" in found.sql) != found.values_inline
            rows = await raw_rows.fetch(connection, adapted, found, None, fresh_plan=True)
            assert [row.word for row in rows] == [value]
        # An IN list has no single literal here: the statement stays as it was, for
        # SQLAlchemy to expand.
        listed = raw_rows.with_values_inline(select(words.c.word).where(words.c.word.in_(values)))
        assert raw_rows.compiled(listed, connection.dialect) is None


async def test_pages_are_kept_prepared_outside_asyncpgs_cache(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each viewer's page is a statement of its own: a hundred viewers' pages in
    # asyncpg's cache (100 statements) would push out the loaders' statements every
    # request runs. They are kept in a small map of the connection's own instead.
    await load_world(engine, demo_world(TODAY, customers=60))
    monkeypatch.setattr(raw_rows, "_KEPT_PER_CONNECTION", 2)
    async with session_factory(engine)() as session:
        assert isinstance(session, ShieldedSession)
        scopes = await viewer_scopes(session, "p1-recorder")
        for first in range(1, 6):  # five page statements (LIMIT 2 ... LIMIT 6)
            await search_customers(
                session, scopes.customers, scopes.purchasing_powers, CustomerSearch(),
                first=first, after=None,
            )  # fmt: skip
        prepared = await session.rows(PREPARED)
        connection = await session.connection()
        driver = raw_rows.adapted_connection(connection)._connection
    # (Not an EXPLAIN of a page that another test left prepared on the pooled connection.)
    pages = [
        p.statement for p in prepared
        if p.statement.startswith("SELECT") and "= 'p1'" in p.statement and "LIMIT" in p.statement
    ]  # fmt: skip
    kept = [sql for sql, _ in raw_rows._KEPT[driver]]
    assert [sql[-7:] for sql in kept] == ["LIMIT 5", "LIMIT 6"]
    # asyncpg closes an evicted statement on the server when it next prepares one: the
    # latest evicted may still be open, none before it.
    assert set(kept) <= set(pages) and len(pages) <= len(kept) + 1, pages
    assert not any(sql in pages for sql in driver._stmt_cache._entries)  # noqa: SLF001


async def test_a_name_search_counts_its_total_in_its_page_planned_afresh(
    engine: AsyncEngine, runs: list[tuple[str, bool]]
) -> None:
    await load_world(engine, demo_world(TODAY, customers=60))
    async with session_factory(engine)() as session:
        scopes = await viewer_scopes(session, "o1-admin")
        words = CustomerSearch(name_words=("a",))
        runs.clear()
        page = await search_customers(
            session, scopes.customers, scopes.purchasing_powers, words, first=1, after=None
        )
        assert page.has_next_page  # so the page alone does not tell the total
        total = await page.total()
        assert [fresh for _, fresh in runs] == [True]  # the page, counting all matches
        # An empty next page carries no total: it is counted by a statement of its own,
        # over name words, so planned afresh too.
        everyone = await search_customers(
            session, scopes.customers, scopes.purchasing_powers, words, first=total, after=None
        )
        runs.clear()
        past_the_end = await search_customers(
            session, scopes.customers, scopes.purchasing_powers, words, first=5,
            after=encode_cursor(everyone.customers[-1]),
        )  # fmt: skip
        assert not past_the_end.customers and await past_the_end.total() == total
    assert [fresh for _, fresh in runs] == [False, True, True]  # cursor, page, total


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
