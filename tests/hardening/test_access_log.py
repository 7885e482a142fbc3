"""The access log (DOMAIN.md, Access log): one insert per disclosing response, written
before it is sent, with the operation name; no identities when it cannot be written;
readable by the admins of organizers that granted the customer a voucher (rule C)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from support import TODAY, Api, load_world, make_api

from voucher_graph import app as app_module
from voucher_graph.data import models as m
from voucher_graph.data.engine import StatementCounter, session_factory
from voucher_graph.world.demo import demo_world

LOG = "query Log($id: ID!) { accessLog(customerId: $id) { userId customerId fields at operation } }"


async def log_rows(api: Api, customer_id: str | None = None) -> list[m.AccessLogEntry]:
    async with session_factory(api.engine)() as session:
        statement = select(m.AccessLogEntry).order_by(m.AccessLogEntry.id)
        if customer_id is not None:
            statement = statement.where(m.AccessLogEntry.customer_id == customer_id)
        return list((await session.scalars(statement)).all())


def inserts(counter: StatementCounter) -> list[str]:
    return [
        s for s in counter.statements if s.lstrip().upper().startswith("INSERT INTO ACCESS_LOG")
    ]


async def test_a_named_operation_is_logged_with_its_fields(example_api: Api) -> None:
    await example_api.data('query Lookup { customer(id: "c1") { id firstName ssn } }', user="u10")
    [row] = await log_rows(example_api, "c1")
    assert (row.user_id, row.customer_id, row.operation) == ("u10", "c1", "Lookup")
    assert row.fields == ["firstName", "ssn"]


async def test_the_operation_name_of_the_request_is_chosen(example_api: Api) -> None:
    document = 'query A { me { id } } query B { customer(id: "c1") { lastName } }'
    response = await example_api.client.post(
        "/graphql",
        json={"query": document, "operationName": "B"},
        headers={"Authorization": f"Bearer {example_api.token('u10')}"},
    )
    assert response.status_code == 200 and not response.json().get("errors")
    assert [r.operation for r in await log_rows(example_api, "c1")] == ["B"]


async def test_a_response_without_identities_writes_nothing(example_api: Api) -> None:
    await example_api.data('{ customer(id: "c1") { id customerNumber } }', user="u1")
    assert await log_rows(example_api) == []


async def test_a_reporter_writes_no_rows(example_api: Api) -> None:
    body = await example_api.query(
        "{ customers(first: 500) { edges { node { id firstName lastName ssn } } } }", user="u2"
    )
    assert body["data"] is not None or body["errors"]
    assert {e["extensions"]["code"] for e in body["errors"]} == {"FORBIDDEN"}
    assert await log_rows(example_api) == []


async def test_a_failed_log_write_sends_no_identity(
    example_api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*_args: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(app_module, "write_access_log", broken)
    query = '{ customer(id: "c1") { firstName lastName ssn } }'
    response = await example_api.post(query, user="u10")
    assert response.status_code == 500
    body = response.json()
    assert body["data"] is None
    [error] = body["errors"]
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert error["extensions"]["requestId"] == response.headers["x-request-id"]
    async with session_factory(example_api.engine)() as session:
        customer = await session.get(m.Customer, "c1")
    assert customer is not None
    for secret in (customer.first_name, customer.last_name, customer.ssn, "disk full"):
        assert secret not in response.text
    # The server is fine afterwards.
    monkeypatch.undo()
    assert await example_api.data("{ me { id } }", user="u10") == {"me": {"id": "u10"}}


@pytest.fixture
async def big_api(engine: AsyncEngine, counter: StatementCounter) -> AsyncIterator[Api]:
    await load_world(engine, demo_world(TODAY, customers=600))
    api = make_api(engine, counter)
    yield api
    await api.client.aclose()


async def test_200_customers_are_logged_in_one_statement(big_api: Api) -> None:
    big_api.counter.reset()
    big_api.counter.keep = True
    try:
        data = await big_api.data(
            "query Page { customers(first: 200) { edges { node { id firstName ssn } } } }",
            user="o1-admin",
        )
    finally:
        big_api.counter.keep = False
    assert len(data["customers"]["edges"]) == 200
    assert len(inserts(big_api.counter)) == 1
    rows = await log_rows(big_api)
    assert len(rows) == 200
    assert {r.operation for r in rows} == {"Page"}
    assert {tuple(r.fields) for r in rows} == {("firstName", "ssn")}


# accessLog(customerId) by viewer: c1 holds vouchers of o1 and o2 only (example world).
ACCESS = [
    ("u10", "c1", None),  # ADMIN of o1: rule C
    ("u13", "c1", None),  # ADMIN of o2: rule C too
    ("u11", "c1", "FORBIDDEN"),  # STAFF of o1 sees c1 by its team (rule B), not rule C
    ("u1", "c1", "FORBIDDEN"),  # RECORDER of p1 sees c1 by rule A
    ("u2", "c1", "FORBIDDEN"),  # REPORTER
    ("u16", "c1", "NOT_FOUND"),  # ADMIN of o3 does not see c1: visibility comes first
    ("u13", "c30", "NOT_FOUND"),  # c30 has o1 vouchers only
    ("u10", "nobody", "NOT_FOUND"),
]


@pytest.mark.parametrize(("user", "customer", "code"), ACCESS)
async def test_who_reads_the_access_log(
    example_api: Api, user: str, customer: str, code: str | None
) -> None:
    await example_api.data('query Seen { customer(id: "c1") { ssn } }', user="u1")
    body = await example_api.query(LOG, {"id": customer}, user=user)
    if code is None:
        [entry] = body["data"]["accessLog"]
        assert entry["userId"] == "u1" and entry["fields"] == ["ssn"]
        assert entry["operation"] == "Seen" and entry["at"].endswith("+00:00")
    else:
        assert body["data"] is None
        assert [e["extensions"]["code"] for e in body["errors"]] == [code]


async def test_reading_the_log_is_not_itself_a_disclosure(example_api: Api) -> None:
    await example_api.data(LOG, {"id": "c1"}, user="u10")
    async with session_factory(example_api.engine)() as session:
        assert await session.scalar(select(func.count()).select_from(m.AccessLogEntry)) == 0
