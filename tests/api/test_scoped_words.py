"""A name search through the viewer's own words (data/scoped_words.py) answers exactly
as the policy's statement over all customers' words does, and as an independent
computation in Python says: the same customers in the same order, the same totals, for
every user and many prefixes, on both databases."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine
from support import TODAY, load_world

from voucher_graph.data import models as m
from voucher_graph.data import search
from voucher_graph.data.engine import session_factory
from voucher_graph.data.scoped_words import GRANT_WORDS, PROVIDER_WORDS, restate
from voucher_graph.data.search import CustomerSearch, _visible_keys, search_customers
from voucher_graph.data.viewer import load_viewer
from voucher_graph.domain.dates import window_start
from voucher_graph.policies.gate import Gate
from voucher_graph.policies.oso_setup import create_oso
from voucher_graph.world.demo import demo_world

OSO = create_oso()
# One letter (many matches, more than a page), two, three (on PostgreSQL the word
# tables' prefix index, migration 0012), a whole word, Finnish letters, two words (the
# second checked per match), and a prefix no one has.
PREFIXES = [("k",), ("a",), ("ko",), ("vi",), ("ä",), ("mä",), ("kor",), ("mäk",), ("aho",),
            ("korhonen",), ("a", "k"), ("m", "a"), ("vir", "a"), ("zzz",)]  # fmt: skip


@pytest.fixture(scope="module")
async def users(engine: AsyncEngine) -> AsyncIterator[list[str]]:
    await load_world(engine, demo_world(TODAY, customers=400))
    async with engine.connect() as connection:
        rows = await connection.execute(
            text("SELECT id FROM users WHERE role <> 'REPORTER' ORDER BY id")
        )
        yield [row[0] for row in rows]


async def answers(engine: AsyncEngine, user: str, words: tuple[str, ...]) -> list[Any]:
    """Every page of 7 of the search, with its totals: the customers' ids, in order."""
    found: list[Any] = []
    async with session_factory(engine)() as session:
        viewer = await load_viewer(session, user, today=TODAY, window_start=window_start(TODAY))
        assert viewer is not None
        scopes = Gate(OSO, viewer).scopes
        after = None
        while True:
            page = await search_customers(
                session, scopes.customers, scopes.purchasing_powers,
                CustomerSearch(name_words=words), first=7, after=after,
            )  # fmt: skip
            found.append(([c.id for c in page.customers], await page.total()))
            found.append(await page.capped_total(5))
            if not page.has_next_page:
                return found
            after = search.encode_cursor(page.customers[-1])


async def oracle(engine: AsyncEngine, user: str, words: tuple[str, ...]) -> list[Any]:
    """`answers`, computed in Python: the viewer's customers (the policy's statement,
    run whole) whose names have a word starting with each searched word, in code-point
    order of (last name, first name, id), in pages of 7, with the totals."""
    async with session_factory(engine)() as session:
        viewer = await load_viewer(session, user, today=TODAY, window_start=window_start(TODAY))
        assert viewer is not None
        statement = Gate(OSO, viewer).scopes.customers.with_only_columns(
            m.Customer.id, m.Customer.last_name_lower, m.Customer.first_name_lower
        )
        visible = (await session.execute(statement)).all()
        name_words: dict[str, list[str]] = {}
        for customer_id, word in await session.execute(
            select(m.CustomerNameWord.customer_id, m.CustomerNameWord.word)
        ):
            name_words.setdefault(customer_id, []).append(word)
    matching = sorted(
        (last, first, customer_id)
        for customer_id, last, first in visible
        if all(any(w.startswith(p) for w in name_words.get(customer_id, [])) for p in words)
    )
    ids = [customer_id for _last, _first, customer_id in matching]
    total = len(ids)
    pages = [ids[start : start + 7] for start in range(0, total, 7)] or [[]]
    found: list[Any] = []
    for page in pages:
        found += [(page, total), (min(total, 5), total <= 5)]
    return found


async def test_every_users_name_searches_equal_the_policys_statement_over_all_words(
    engine: AsyncEngine, users: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    scoped: dict[tuple[str, tuple[str, ...]], list[Any]] = {}
    for user in users:
        for words in PREFIXES:
            scoped[(user, words)] = await answers(engine, user, words)
    # The same answers computed in Python from the policy's visible set and the words.
    for key, pages in scoped.items():
        assert pages == await oracle(engine, *key), key
    # The same searches with the word tables out of use: the general statements.
    monkeypatch.setattr(search, "restate", lambda _keys: None)
    monkeypatch.setattr(search, "_STATEMENTS", type(search._STATEMENTS)())
    general = {key: await answers(engine, *key) for key in scoped}
    assert scoped == general
    # The comparison means something: long answers, answers that differ by user, and
    # customers with two words of one prefix (one row per customer, still).
    async with engine.connect() as connection:
        repeated = await connection.scalar(
            text(
                "SELECT count(*) FROM (SELECT customer_id FROM customer_name_words"
                " WHERE word LIKE 'a%' OR word LIKE 'k%' OR word LIKE 'm%'"
                " GROUP BY customer_id, substr(word, 1, 1) HAVING count(*) > 1) r"
            )
        )
    assert repeated, "the world needs customers with two words of one prefix"
    assert max(len(pages) for pages in general.values()) > 4
    assert len({str(pages) for pages in general.values()}) > len(PREFIXES)


async def scope_keys(engine: AsyncEngine, user: str) -> Any:
    async with session_factory(engine)() as session:
        viewer = await load_viewer(session, user, today=TODAY, window_start=window_start(TODAY))
        assert viewer is not None
        return _visible_keys(Gate(OSO, viewer).scopes.customers)


@pytest.mark.parametrize(
    ("user", "table"),
    [("p1-recorder", PROVIDER_WORDS), ("o1-staff", GRANT_WORDS), ("o1-admin", GRANT_WORDS)],
)
async def test_the_policys_condition_is_restated_whole_or_not_at_all(
    engine: AsyncEngine, users: list[str], user: str, table: Any
) -> None:
    keys = await scope_keys(engine, user)
    restated = restate(keys)
    assert restated is not None
    words, condition = restated
    assert words is table
    # Every column the condition reads is the word table's; none of the policy's own.
    sql = str(condition.compile(compile_kwargs={"literal_binds": True}))
    assert table.name in sql, sql
    assert "provider_customers" not in sql and "purchasing_powers" not in sql, sql
    # A condition on anything the word table does not carry is never restated: the
    # search then keeps the policy's statement instead of dropping that condition.
    source = keys.get_final_froms()[0]
    extras = [source.c.customer_id.in_(select(m.Customer.id).where(m.Customer.ssn == "x"))]
    if "valid_to" in source.c:  # purchasing powers
        extras += [source.c.valid_to >= TODAY, source.c.kind == "BALANCE"]
    for extra in extras:
        assert restate(keys.where(extra)) is None, extra
    # Nor one that says more than its WHERE: a HAVING narrows the set, a LIMIT or
    # OFFSET cuts it.
    key = source.c.customer_id
    for more in (
        keys.group_by(key).having(func.count() > 1),
        keys.limit(5),
        keys.offset(1),
        keys.fetch(5),
    ):
        assert restate(more) is None, more
    # Nor a statement selecting anything but the customer's id.
    other = source.c.provider_id if "provider_id" in source.c else source.c.organizer_id
    assert restate(keys.with_only_columns(other)) is None
