"""The write side's test world (one voucher of each kind, events in every status) and helpers.

Today is support.TODAY (2026-11-26). Organizer o1 settles on 2026-11-10, 2026-11-30 and
2026-12-31, so an event recorded on 2026-11-05 is SETTLED today and one recorded or
approved after 2026-11-10 settles on 2026-11-30.
"""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from support import TODAY, Api, load_world, make_api

from voucher_graph.data.engine import StatementCounter


def _event(
    event_id: str,
    units: str,
    status: str,
    recorded_on: str,
    *,
    pp: str = "pp1",
    content: str = "k1",
    provider: str = "p1",
    approved_on: str | None = None,
    deleted: bool = False,
) -> dict[str, Any]:
    return {
        "id": event_id,
        "purchasingPowerId": pp,
        "contentId": content,
        "providerId": provider,
        "serviceDate": recorded_on,
        "units": units,
        "unitPrice": "40.00",
        "description": "",
        "status": status,
        "recordedOn": recorded_on,
        "approvedOn": approved_on,
        "deleted": deleted,
    }


_WORLD: dict[str, Any] = {
    "organizers": [
        {
            "id": "o1",
            "name": "Vantaa",
            "settlementDates": ["2026-11-10", "2026-11-30", "2026-12-31"],
        },
        {"id": "o2", "name": "Espoo", "settlementDates": ["2026-11-30"]},
    ],
    "providers": [
        {"id": "p1", "name": "Hoivapalvelu Oy", "businessId": "1234567-1"},
        {"id": "p2", "name": "Kotiapu Ky", "businessId": "7654321-2"},
    ],
    "services": [
        {
            "id": "s1",
            "organizerId": "o1",
            "name": "Kotihoito",
            "contents": [
                {"id": "k1", "name": "Kotihoidon käynti", "unit": "HOUR"},
                {"id": "k2", "name": "Turvapuhelinkäynti", "unit": "VISIT"},
                {"id": "k3", "name": "Saattajan tunti", "unit": "HOUR"},
            ],
        },
        {
            "id": "s2",
            "organizerId": "o2",
            "name": "Siivous",
            "contents": [{"id": "k9", "name": "Perussiivous", "unit": "HOUR"}],
        },
    ],
    "users": [
        {"id": "rec", "name": "Kirjaaja", "providerId": "p1", "role": "RECORDER"},
        {"id": "rec2", "name": "Toinen kirjaaja", "providerId": "p1", "role": "RECORDER"},
        {"id": "rep", "name": "Raportoija", "providerId": "p1", "role": "REPORTER"},
        {"id": "other", "name": "Kotiavun kirjaaja", "providerId": "p2", "role": "RECORDER"},
        {"id": "adm", "name": "Pääkäyttäjä Vantaa", "organizerId": "o1", "role": "ADMIN"},
        {"id": "staff", "name": "Käsittelijä Vantaa", "organizerId": "o1", "role": "STAFF"},
        {"id": "adm2", "name": "Pääkäyttäjä Espoo", "organizerId": "o2", "role": "ADMIN"},
    ],
    "teams": [
        {
            "id": "t1",
            "organizerId": "o1",
            "name": "Kotihoito",
            "serviceIds": ["s1"],
            "memberIds": ["staff"],
        },
    ],
    "customers": [
        {"id": "c1", "firstName": "Maija", "lastName": "Virtanen", "ssn": "131052-308T"},
        {"id": "c2", "firstName": "Matti", "lastName": "Meikäläinen", "ssn": "010101-123N"},
        {"id": "c3", "firstName": "Liisa", "lastName": "Korhonen", "ssn": "311280-888Y"},
    ],
    "customerNumbers": [
        {"providerId": "p1", "customerId": "c1", "number": "A-100"},
        {"providerId": "p2", "customerId": "c3", "number": "A-200"},
    ],
    "purchasingPowers": [
        {
            "id": "pp1",
            "kind": "REGULAR",
            "customerId": "c1",
            "organizerId": "o1",
            "serviceId": "s1",
            "voucherNumber": "PS-0001",
            "validFrom": "2026-01-01",
            "validTo": "2026-12-31",
            "contents": [
                {"contentId": "k1", "unitValue": "30.00", "grantedUnits": "10"},
                {"contentId": "k2", "unitValue": "20.00", "grantedUnits": "5"},
            ],
        },
        {
            "id": "bp1",
            "kind": "BALANCE",
            "customerId": "c1",
            "organizerId": "o1",
            "serviceId": "s1",
            "voucherNumber": "PS-0002",
            "validFrom": "2026-01-01",
            "validTo": "2026-12-31",
            "grantedAmount": "100.00",
        },
        {
            "id": "pp2",
            "kind": "REGULAR",
            "customerId": "c2",
            "organizerId": "o1",
            "serviceId": "s1",
            "voucherNumber": "PS-0003",
            "validFrom": "2026-01-01",
            "validTo": "2026-12-31",
            "contents": [{"contentId": "k1", "unitValue": "30.00", "grantedUnits": "10"}],
        },
        {
            "id": "pp3",
            "kind": "REGULAR",
            "customerId": "c3",
            "organizerId": "o2",
            "serviceId": "s2",
            "voucherNumber": "PS-0004",
            "validFrom": "2026-06-01",
            "validTo": "2026-11-20",
            "contents": [{"contentId": "k9", "unitValue": "30.00", "grantedUnits": "10"}],
        },
    ],
    "reservations": [
        {
            "id": "r1",
            "purchasingPowerId": "pp1",
            "contentId": "k1",
            "providerId": "p1",
            "validFrom": "2026-01-01",
            "validTo": None,
        },
        {
            "id": "r2",
            "purchasingPowerId": "pp1",
            "contentId": "k2",
            "providerId": "p1",
            "validFrom": "2026-11-01",
            "validTo": "2026-11-20",
        },
        {
            "id": "r3",
            "purchasingPowerId": "bp1",
            "contentId": "k1",
            "providerId": "p1",
            "validFrom": "2026-01-01",
            "validTo": None,
        },
        {
            "id": "r4",
            "purchasingPowerId": "pp3",
            "contentId": "k9",
            "providerId": "p2",
            "validFrom": "2026-06-01",
            "validTo": None,
        },
        {
            "id": "r5",
            "purchasingPowerId": "pp3",
            "contentId": "k9",
            "providerId": "p1",
            "validFrom": "2026-06-01",
            "validTo": None,
        },
    ],
    # Counting units of pp1/k1: 2 + 1 + 1 + 2 = 6 of 10 granted; 4 are left.
    "events": [
        _event("e-settled", "2", "RECORDED", "2026-11-05"),
        _event("e-recorded", "1", "RECORDED", "2026-11-20"),
        _event("e-approved", "1", "APPROVED", "2026-11-12", approved_on="2026-11-20"),
        _event("e-review", "2", "UNDER_REVIEW", "2026-11-21"),
        _event("e-rejected", "5", "REJECTED", "2026-11-22"),
        _event("e-credited", "3", "CREDITED", "2026-11-03"),
        _event("e-deleted", "4", "RECORDED", "2026-11-23", deleted=True),
        _event("e-bal", "1", "RECORDED", "2026-11-20", pp="bp1"),
        _event("e-other", "1", "RECORDED", "2026-11-10", pp="pp3", content="k9", provider="p2"),
    ],
}


def world() -> dict[str, Any]:
    """A fresh copy: tests may change it before loading."""
    return copy.deepcopy(_WORLD)


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
