"""Rule B with a team naming several services of one organizer (one of them twice, in
two teams): the customers of any of them are seen and counted from the service sets,
and the search's statements stay fixed SQL for data/raw_rows.py."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import pytest
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncEngine
from support import Api, load_world, make_api
from tiny_worlds import tiny_world

from voucher_graph.data import raw_rows
from voucher_graph.data.engine import StatementCounter, session_factory
from voucher_graph.data.search import _Shape, _statements, _visible_keys
from voucher_graph.data.service_sets import set_count_statement
from voucher_graph.data.viewer import load_viewer
from voucher_graph.domain.dates import window_start
from voucher_graph.policies.gate import Gate
from voucher_graph.policies.oso_setup import create_oso

TODAY = date(2028, 2, 29)
ASYNCPG = postgresql.asyncpg.dialect()  # type: ignore[no-untyped-call]
OSO = create_oso()


@pytest.fixture
async def api(engine: AsyncEngine, counter: StatementCounter) -> AsyncIterator[Api]:
    """c1 s1, c2 s2, c3 s3 (o2), c4 s1 and s2; `both` is in a team of o1 naming s1 and
    s2 and in one naming s1 again."""
    w = tiny_world()
    for customer, services in {
        "c1": ["s1"],
        "c2": ["s2"],
        "c3": ["s3"],
        "c4": ["s1", "s2"],
    }.items():
        w.customer(customer, last=f"Korhonen{customer}")
        for service in services:
            w.regular(f"pp-{customer}-{service}", customer, service)
    w.user("both", "STAFF", "o1")
    w.team("t12", "o1", ["s1", "s2"], ["both"], name="S1 and S2")
    w.team("t1b", "o1", ["s1"], ["both"], name="S1 again")
    await load_world(engine, w.raw)
    api = make_api(engine, counter, today=TODAY)
    yield api
    await api.client.aclose()


async def scopes(engine: AsyncEngine) -> Any:
    async with session_factory(engine)() as session:
        viewer = await load_viewer(session, "both", today=TODAY, window_start=window_start(TODAY))
    assert viewer is not None
    return Gate(OSO, viewer).scopes


@pytest.mark.parametrize(
    ("name", "expected"),
    [(None, ["c1", "c2", "c4"]), ("korhonen", ["c1", "c2", "c4"]), ("korhonenc4", ["c4"])],
)
async def test_the_team_member_sees_the_customers_of_either_service(
    api: Api, name: str | None, expected: list[str]
) -> None:
    query = """query($name: String) { customers(first: 1, name: $name) {
        totalCount edges { node { id } } } }"""
    data = await api.data(query, user="both", variables={"name": name})
    assert data["customers"]["totalCount"] == len(expected)
    assert [e["node"]["id"] for e in data["customers"]["edges"]] == expected[:1]


async def test_its_statements_are_fixed_sql_and_its_total_is_the_sets_sum(
    api: Api, engine: AsyncEngine
) -> None:
    found = await scopes(engine)
    assert set_count_statement(_visible_keys(found.customers)) is not None
    for words, prefix in ((0, False), (1, False), (1, True)):
        for after in (False, True):
            shape = _Shape(words, prefix, ssn=False, voucher_number=False, after=after,
                           dialect="postgresql")  # fmt: skip
            made = _statements(found.customers, found.purchasing_powers, shape)
            capped = [made.totals.capped] if made.totals.capped is not None else []
            for statement in (made.page, made.totals.exact, made.cursor, *capped):
                # Fixed positional SQL: data/raw_rows.py runs it on asyncpg directly.
                assert raw_rows.compiled(statement, ASYNCPG) is not None, statement
