"""A search is a disclosure: every customer a search by ssn, name or voucher number
returns is logged with `search:<criterion>`, whoever searches, in the response's one
access-log insert, and the typed value is stored nowhere."""

from __future__ import annotations

from sqlalchemy import select
from support import Api

from voucher_graph.data import models as m
from voucher_graph.data.engine import session_factory


async def log_rows(api: Api) -> list[tuple[str, str, list[str], str | None]]:
    async with session_factory(api.engine)() as session:
        rows = await session.scalars(select(m.AccessLogEntry).order_by(m.AccessLogEntry.id))
        return [(r.user_id, r.customer_id, list(r.fields), r.operation) for r in rows]


async def ssn_of(api: Api, customer_id: str) -> str:
    async with session_factory(api.engine)() as session:
        customer = await session.get(m.Customer, customer_id)
        assert customer is not None
        return customer.ssn


def inserts(api: Api) -> int:
    return sum(
        s.lstrip().upper().startswith("INSERT INTO ACCESS_LOG") for s in api.counter.statements
    )


async def test_an_ssn_search_is_logged_without_the_hetu_even_with_no_identity_field(
    example_api: Api,
) -> None:
    hetu = await ssn_of(example_api, "c2")
    query = """query Probe($s: String) { customers(ssn: $s) {
      edges { node { id events { serviceDate price copay } } } } }"""
    # Lower case and padded: the search normalizes it, the log never sees it.
    data = await example_api.data(query, {"s": f"  {hetu.lower()} "}, user="u1")
    assert [e["node"]["id"] for e in data["customers"]["edges"]] == ["c2"]
    rows = await log_rows(example_api)
    assert rows == [("u1", "c2", ["search:ssn"], "Probe")]
    assert hetu not in repr(rows) and hetu.lower() not in repr(rows)


async def test_a_name_search_logs_each_returned_customer_in_one_insert(example_api: Api) -> None:
    everyone = await example_api.data(
        "{ customers(first: 500) { edges { node { id lastName } } } }", user="u11"
    )
    assert await log_rows(example_api)  # reading names is logged, as before
    word = everyone["customers"]["edges"][0]["node"]["lastName"][:2]
    before = len(await log_rows(example_api))
    example_api.counter.reset()
    example_api.counter.keep = True
    try:
        data = await example_api.data(
            "query Find($n: String) { customers(name: $n, first: 500) {"
            " edges { node { id firstName } } } }",
            {"n": word},
            user="u11",
        )
    finally:
        example_api.counter.keep = False
    found = [e["node"]["id"] for e in data["customers"]["edges"]]
    assert found
    assert inserts(example_api) == 1
    new = (await log_rows(example_api))[before:]
    assert sorted(new) == sorted(("u11", c, ["firstName", "search:name"], "Find") for c in found)
    assert all(word not in str(row) for row in new)


async def test_a_reporters_voucher_search_is_logged(example_api: Api) -> None:
    data = await example_api.data(
        '{ customers(voucherNumber: "ESP-2026-00004") { totalCount edges { node { id } } } }',
        user="u2",
    )
    assert data["customers"]["totalCount"] == 1
    assert await log_rows(example_api) == [("u2", "c2", ["search:voucherNumber"], None)]


async def test_combined_criteria_are_all_named(example_api: Api) -> None:
    hetu = await ssn_of(example_api, "c2")
    await example_api.data(
        'query($s: String) { customers(ssn: $s, voucherNumber: "ESP-2026-00004") { totalCount } }',
        {"s": hetu},
        user="u1",
    )
    assert await log_rows(example_api) == [
        ("u1", "c2", ["search:ssn", "search:voucherNumber"], None)
    ]


async def test_no_criterion_or_no_result_logs_nothing(example_api: Api) -> None:
    for query in (
        "{ customers(first: 5) { edges { node { id } } } }",  # a listing, not a search
        '{ customers(name: " - ") { edges { node { id } } } }',  # a name without words
        '{ customers(voucherNumber: "NO-SUCH-1") { edges { node { id } } } }',
        '{ customers(name: "zzzzzz") { totalCount } }',
    ):
        await example_api.data(query, user="u11")
    assert await log_rows(example_api) == []
