"""The write side's test world (one voucher of each kind, events in every status) and helpers.

Today is support.TODAY (2026-11-26). Organizer o1 settles on 2026-11-10, 2026-11-30 and
2026-12-31, so an event recorded on 2026-11-05 is SETTLED today and one recorded or
approved after 2026-11-10 settles on 2026-11-30.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from support import TODAY, Api, load_world, make_api
from world_builder import Content, World

from voucher_graph.data.engine import StatementCounter


def world() -> dict[str, Any]:
    """A fresh world: tests may change it before loading."""
    w = World(valid_from="2026-01-01", valid_to="2026-12-31")
    w.organizer("o1", ["2026-11-10", "2026-11-30", "2026-12-31"])
    w.organizer("o2", ["2026-11-30"])
    w.provider("p1")
    w.provider("p2")
    w.service("s1", "o1", "k1", Content("k2", "VISIT"), "k3")
    w.service("s2", "o2", "k9")
    w.user("rec", "RECORDER", "p1")
    w.user("rec2", "RECORDER", "p1")
    w.user("rep", "REPORTER", "p1")
    w.user("other", "RECORDER", "p2")
    w.user("adm", "ADMIN", "o1")
    w.user("staff", "STAFF", "o1")
    w.user("adm2", "ADMIN", "o2")
    w.team("t1", "o1", ["s1"], ["staff"])
    for customer in ("c1", "c2", "c3"):
        w.customer(customer)
    w.number("p1", "c1", "A-100")
    w.number("p2", "c3", "A-200")
    w.regular("pp1", "c1", "s1", [("k1", "30.00", "10"), ("k2", "20.00", "5")])
    w.balance("bp1", "c1", "s1", "100.00")
    w.regular("pp2", "c2", "s1", [("k1", "30.00", "10")])
    w.regular(
        "pp3", "c3", "s2", [("k9", "30.00", "10")], valid_from="2026-06-01", valid_to="2026-11-20"
    )
    w.reservation("r1", "pp1")
    w.reservation("r2", "pp1", content="k2", valid_from="2026-11-01", valid_to="2026-11-20")
    w.reservation("r3", "bp1")
    w.reservation("r4", "pp3", "p2")
    w.reservation("r5", "pp3", "p1")
    # Counting units of pp1/k1: 2 + 1 + 1 + 2 = 6 of 10 granted; 4 are left.
    w.event("e-settled", "pp1", "2026-11-05", "2", "40.00")
    w.event("e-recorded", "pp1", "2026-11-20", "1", "40.00")
    w.event(
        "e-approved", "pp1", "2026-11-12", "1", "40.00", status="APPROVED", approved_on="2026-11-20"
    )
    w.event("e-review", "pp1", "2026-11-21", "2", "40.00", status="UNDER_REVIEW")
    w.event("e-rejected", "pp1", "2026-11-22", "5", "40.00", status="REJECTED")
    w.event("e-credited", "pp1", "2026-11-03", "3", "40.00", status="CREDITED")
    w.event("e-deleted", "pp1", "2026-11-23", "4", "40.00", deleted=True)
    w.event("e-bal", "bp1", "2026-11-20", "1", "40.00")
    w.event("e-other", "pp3", "2026-11-10", "1", "40.00", provider="p2")
    return w.raw


EVENT_FIELDS = (
    "id purchasingPowerId content { id } providerId serviceDate units unitPrice description "
    "status settlementDate price voucherShare copay editable deletable"
)
RECORD = (
    f"mutation($input: RecordEventInput!) {{ recordEvent(input: $input) {{ {EVENT_FIELDS} }} }}"
)
DELETE = "mutation($id: ID!) { deleteEvent(id: $id) }"
APPROVE = f"mutation($id: ID!) {{ approveEvent(id: $id) {{ {EVENT_FIELDS} }} }}"
REJECT = (
    f"mutation($id: ID!, $r: String!) {{ rejectEvent(id: $id, reason: $r) {{ {EVENT_FIELDS} }} }}"
)
CREDIT = (
    f"mutation($id: ID!, $r: String!) {{ creditEvent(id: $id, reason: $r) {{ {EVENT_FIELDS} }} }}"
)
REPORT = (
    "mutation($id: ID!, $m: String!) { reportEventError(id: $id, message: $m) "
    "{ id eventId message providerId createdOn } }"
)
SET_NUMBER = (
    "mutation($c: ID!, $n: String) { setCustomerNumber(customerId: $c, number: $n) "
    "{ id customerNumber } }"
)
EVENT = f"query($id: ID!) {{ event(id: $id) {{ {EVENT_FIELDS} }} }}"


def record_input(**changes: Any) -> dict[str, Any]:
    """A valid recording on pp1/k1 by provider p1 that fits the grant (4 units are left)."""
    values: dict[str, Any] = {
        "purchasingPowerId": "pp1",
        "contentId": "k1",
        "serviceDate": "2026-11-25",
        "units": "1.5",
        "unitPrice": "40",
        "description": "käynti",
    }
    values.update(changes)
    return {"input": values}


def error_codes(body: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors") or []]


@asynccontextmanager
async def world_apis(
    engine: AsyncEngine, counter: StatementCounter, *days: date, raw: dict[str, Any] | None = None
) -> AsyncIterator[tuple[Api, ...]]:
    """The world loaded afresh, and one API per `today` over the same database."""
    await load_world(engine, raw if raw is not None else world())
    apis = tuple(make_api(engine, counter, day) for day in (days or (TODAY,)))
    try:
        yield apis
    finally:
        for api in apis:
            await api.client.aclose()


async def count_rows(engine: AsyncEngine, table: str) -> int:
    async with engine.connect() as connection:
        return int((await connection.execute(text(f"SELECT COUNT(*) FROM {table}"))).scalar_one())
