"""The full nested read costs an exact, fixed number of SQL statements: the same for 10
customers as for 500.

What a full page runs, once the process holds the reference tables (services, contents
and settlement dates, kept per process while their generation is unchanged):

    1  the viewer with its team grants and the reference generation
    2  the page of customers, with totalCount and the viewer's customer numbers in
       its rows (the batched executor looks ahead at the selection)
    3  purchasing powers (authorized)
    4  reservations including ended and events (both authorized), in one statement
    5  current reservations (a second selection of reservations, other arguments)
    6  vouchers with their contents and their events, in one statement (for
       statuses and amounts)
    7  the access-log insert (not for REPORTER)

3-5 are the customers' own lists, sent one after another as a level (the batched
executor starts them together); 6 serves the levels below them.

A cold process reads the three reference tables once more each.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from support import SECRET, TODAY, Api, load_world

from voucher_graph.app import create_app
from voucher_graph.data.engine import StatementCounter
from voucher_graph.schema.batch_fields import VOUCHER_ROW_SELECTIONS
from voucher_graph.settings import Settings
from voucher_graph.world.demo import demo_world

# Every nested list and computed field of the read side.
FULL = """query($first: Int!, $name: Boolean!) {
  customers(first: $first) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges {
      node {
        id
        firstName @include(if: $name)
        lastName @include(if: $name)
        ssn @include(if: $name)
        customerNumber
        purchasingPowers {
          id voucherNumber validFrom validTo organizerId service { id name organizerId }
          contents { content { id name unit } unitValue grantedUnits usedUnits }
        }
        balancePurchasingPowers {
          id voucherNumber service { id } grantedAmount usedAmount balance
        }
        reservations(includeEnded: true) { id purchasingPowerId providerId content { id } }
        current: reservations { id }
        events {
          id serviceDate units unitPrice description content { id unit }
          status settlementDate price voucherShare copay editable deletable
        }
      }
    }
  }
}"""

# (user, whether it may read names, page sizes, the exact statements of each page)
USERS = [
    ("o1-admin", True, (10, 200, 500), 7),
    ("o1-staff", True, (10, 200), 7),
    ("p1-recorder", True, (10, 200), 7),
    ("p1-reporter", False, (10, 200), 6),  # a REPORTER's reads are not logged
]
REFERENCE_TABLES = 3


@pytest.fixture(scope="module")
async def api(engine: AsyncEngine, counter: StatementCounter) -> AsyncIterator[Api]:
    # 1100 demo customers: each organizer's admin sees over 500 of them.
    await load_world(engine, demo_world(TODAY, customers=1100))
    # The default limits: a full page of 500 with every nested list must be allowed.
    settings = Settings(database_url=str(engine.url), jwt_secret=SECRET, today=TODAY)
    client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(settings, engine=engine)),
        base_url="http://test",
    )
    api = Api(client=client, counter=counter, engine=engine)
    # Warm the process's reference tables, as any earlier request would have.
    await statements(api, "o1-admin", 10, True)
    yield api
    await api.client.aclose()


async def statements(api: Api, user: str, first: int, name: bool) -> tuple[int, int]:
    """SQL statements run for one full page, and the page's length."""
    api.counter.reset()
    body = await api.query(FULL, {"first": first, "name": name}, user=user)
    count = api.counter.count
    assert not body.get("errors")
    return count, len(body["data"]["customers"]["edges"])


@pytest.mark.parametrize(
    ("user", "name", "sizes", "expected"), [pytest.param(*row, id=row[0]) for row in USERS]
)
async def test_statement_count_is_exact_and_does_not_grow_with_the_page(
    api: Api, user: str, name: bool, sizes: tuple[int, ...], expected: int
) -> None:
    counts = {}
    for first in sizes:
        count, length = await statements(api, user, first, name)
        assert length == first, f"{user} sees fewer than {first} customers"
        counts[first] = count
    assert counts == dict.fromkeys(sizes, expected)


async def test_a_cold_reference_cache_reads_each_reference_table_once(api: Api) -> None:
    async with api.engine.begin() as connection:  # as any write to those tables does
        await connection.execute(
            text("UPDATE reference_generation SET generation = generation + 1")
        )
    cold, _ = await statements(api, "o1-admin", 10, True)
    warm, _ = await statements(api, "o1-admin", 10, True)
    assert (cold, warm) == (7 + REFERENCE_TABLES, 7)


async def sent(api: Api, document: str, user: str, first: int = 10) -> list[str]:
    """The SQL statements one request sent, in order."""
    api.counter.reset()
    api.counter.keep = True
    try:
        body = await api.query(document, {"first": first, "name": True}, user=user)
    finally:
        api.counter.keep = False
    assert not body.get("errors") and len(body["data"]["customers"]["edges"]) == first
    return list(api.counter.statements)


def _page(statements: list[str]) -> str:
    (page,) = [sql for sql in statements if "LIMIT" in sql and "FROM customers" in sql]
    return page


@pytest.mark.parametrize("user", ["o1-admin", "o1-staff", "p1-recorder"])
async def test_the_total_is_counted_in_the_page_and_only_when_selected(api: Api, user: str) -> None:
    # Statement 2 above counts every visible customer when totalCount is selected; a
    # page that does not ask for it counts nothing, in no statement.
    with_total = await sent(api, FULL, user)
    assert "count(" in _page(with_total)
    without_total = await sent(api, FULL.replace("    totalCount\n", ""), user)
    assert FULL.count("totalCount") == 1
    assert len(without_total) == len(with_total)
    assert not any("count(" in sql for sql in without_total)


@pytest.mark.parametrize("user", ["o1-admin", "p1-recorder"])
async def test_customer_numbers_come_in_the_page_and_only_when_selected(
    api: Api, user: str
) -> None:
    # The viewer's customer numbers are read by the page's own statement (the only one
    # naming customer_numbers) when selected, and by none when not.
    with_numbers = await sent(api, FULL, user)
    numbered = [sql for sql in with_numbers if "customer_numbers" in sql]
    assert numbered == [_page(with_numbers)]
    without_numbers = await sent(api, FULL.replace("customerNumber\n", "\n"), user)
    assert FULL.count("customerNumber") == 1
    assert not any("customer_numbers" in sql for sql in without_numbers)


async def _sent_in_order(api: Api, query: str, user: str) -> list[str]:
    api.counter.reset()
    api.counter.keep = True
    try:
        body = await api.query(query, {"first": 10, "name": True}, user=user)
        sent = list(api.counter.statements)
    finally:
        api.counter.keep = False
    assert not body.get("errors")
    return sent


async def test_a_level_sends_its_lists_before_the_levels_below_need_theirs(api: Api) -> None:
    # The vouchers' rows (their contents, which the purchasing powers' level needs, and
    # their events, which the events' amounts need) are sent first, as the customer
    # level starts, then the level's own lists: the database reads them while Python
    # builds the purchasing powers (batch_fields.py `_customer_lists_ahead`, executor.py
    # `_Run._loads_ahead`), and no level below waits for a statement of its own.
    sent = await _sent_in_order(api, FULL, "o1-admin")
    reservations = [i for i, sql in enumerate(sent) if "FROM reservations" in sql]
    contents = [i for i, sql in enumerate(sent) if "purchasing_power_contents" in sql]
    authorized = [i for i, sql in enumerate(sent) if sql.lstrip().startswith(
        "SELECT purchasing_powers.id")]  # fmt: skip
    assert len(reservations) == 2 and len(contents) == 1 and len(authorized) == 1
    assert contents[0] < authorized[0] < min(reservations)


async def test_the_vouchers_rows_are_read_only_when_a_field_below_needs_them(api: Api) -> None:
    # Without contents, used amounts, balances or event amounts, nothing reads them.
    amounts = r"\b(usedAmount|balance|price|voucherShare|copay)\b"
    lean = re.sub(amounts, "", _without_block(FULL, "contents {"))
    assert len(re.findall(amounts, FULL)) == 5 and "contents" not in lean
    sent = await _sent_in_order(api, lean, "o1-admin")
    assert not any("purchasing_power_contents" in sql for sql in sent)
    assert len(sent) == len(await _sent_in_order(api, FULL, "o1-admin")) - 1


def _without_block(query: str, opening: str) -> str:
    """`query` without the selection that starts with `opening` and its braces."""
    start = query.index(opening)
    depth, end = 0, start
    for end in range(start, len(query)):
        depth += {"{": 1, "}": -1}.get(query[end], 0)
        if query[end] == "}" and depth == 0:
            break
    return query[:start] + query[end + 1 :]


# A frontend's small query: one customer, its names and its events' statuses.
SMALL = """query($id: ID!) { customer(id: $id) {
  id firstName lastName events { id serviceDate units unitPrice status editable }
} }"""


async def test_a_small_query_reads_vouchers_only_for_amounts(api: Api) -> None:
    """Statuses, settlement dates and rights come from the event and the kept reference
    tables; only price, voucherShare or copay read the vouchers' rows:

        1  the viewer
        2  the customer with its events, in one statement (both authorized: the
           batched executor looks ahead, Loaders.customer_with_events)
        3  the access-log insert
        (+4 vouchers with their contents and events, for an amount)
    """
    page = await api.query("{ customers(first: 1) { edges { node { id } } } }", user="p1-recorder")
    customer_id = page["data"]["customers"]["edges"][0]["node"]["id"]
    counts = {}
    for label, document in (("statuses", SMALL), ("amounts", SMALL.replace("status", "copay"))):
        api.counter.reset()
        body = await api.query(document, {"id": customer_id}, user="p1-recorder")
        assert not body.get("errors") and body["data"]["customer"]["events"]
        counts[label] = api.counter.count
    assert counts == {"statuses": 3, "amounts": 4}


def _lists(sql: str) -> bool:
    """Whether `sql` reads a customer's reservations or events (not the vouchers' rows)."""
    return "voucher_rows" not in sql and ("FROM reservations" in sql or "FROM events" in sql)


@pytest.mark.parametrize("user", ["o1-admin", "p1-recorder", "p1-reporter"])
async def test_a_customers_reservations_and_events_come_in_one_statement(
    api: Api, user: str
) -> None:
    # One selection of each: one statement reads both (a round trip fewer), and the
    # answer equals the one read by their own statements (graphql-core's path, which
    # an introspection field in the document forces).
    document = """query($first: Int!) { customers(first: $first) { edges { node {
      id reservations(includeEnded: true) { id providerId validFrom validTo content { id } }
      events(from: "2020-01-01") { id serviceDate status units description }
    } } } }"""
    api.counter.reset()
    api.counter.keep = True
    try:
        together = await api.query(document, {"first": 50}, user=user)
        sent = list(api.counter.statements)
    finally:
        api.counter.keep = False
    reading = [sql for sql in sent if _lists(sql)]
    assert len(reading) == 1 and "UNION ALL" in reading[0]
    api.counter.reset()
    api.counter.keep = True
    try:
        apart = await api.query(
            document.replace("{ customers", "{ __schema { queryType { name } } customers"),
            {"first": 50}, user=user,
        )  # fmt: skip
        sent = list(api.counter.statements)
    finally:
        api.counter.keep = False
    assert len([sql for sql in sent if _lists(sql)]) == 2
    nodes = [edge["node"] for edge in together["data"]["customers"]["edges"]]
    assert nodes == [edge["node"] for edge in apart["data"]["customers"]["edges"]]
    assert any(node["reservations"] for node in nodes) and any(node["events"] for node in nodes)


async def test_a_customers_events_read_with_the_customer_are_not_read_again(api: Api) -> None:
    # customer(id) reads its events with the customer (Loaders.customer_with_events):
    # its reservations are then read alone, not with those events a second time.
    page = await api.query("{ customers(first: 1) { edges { node { id } } } }", user="p1-recorder")
    customer_id = page["data"]["customers"]["edges"][0]["node"]["id"]
    document = """query($id: ID!) { customer(id: $id) {
      id reservations(includeEnded: true) { id } events { id status }
    } }"""
    api.counter.reset()
    api.counter.keep = True
    try:
        body = await api.query(document, {"id": customer_id}, user="p1-recorder")
        sent = list(api.counter.statements)
    finally:
        api.counter.keep = False
    assert not body.get("errors") and body["data"]["customer"]["events"]
    assert not any("customer_lists" in sql for sql in sent)
    assert len([sql for sql in sent if _lists(sql)]) == 2  # customer with events; reservations


def _selecting(path: str) -> str:
    """A page selecting only `path` below its customers (and their reservations)."""
    outer, leaf = path.split(".")
    leaf += " { unitValue }" if leaf == "contents" else ""
    return (
        "query($first: Int!, $name: Boolean!) { customers(first: $first) { edges { node {"
        f" id firstName @include(if: $name) reservations {{ id }} {outer} {{ {leaf} }}"
        " } } } }"
    )


@pytest.mark.parametrize("path", VOUCHER_ROW_SELECTIONS)
async def test_each_field_that_needs_the_vouchers_rows_has_them_read_first(
    api: Api, path: str
) -> None:
    sent = await _sent_in_order(api, _selecting(path), "o1-admin")
    rows = [i for i, sql in enumerate(sent) if "purchasing_power_contents" in sql]
    reservations = [i for i, sql in enumerate(sent) if "FROM reservations" in sql]
    assert len(rows) == 1 and reservations and rows[0] < min(reservations)


async def test_events_that_err_on_their_dates_read_no_vouchers_rows(api: Api) -> None:
    query = _selecting("events.price").replace(
        "events {", 'events(from: "2026-02-01", to: "2026-01-01") {'
    )
    api.counter.reset()
    api.counter.keep = True
    try:
        body = await api.query(query, {"first": 10, "name": True}, user="o1-admin")
        sent = list(api.counter.statements)
    finally:
        api.counter.keep = False
    assert body.get("errors")  # from after to
    assert not any("purchasing_power_contents" in sql for sql in sent)
