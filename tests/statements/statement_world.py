"""A hand-made world for copay statements and settlement reports, with its expected numbers.

Today is 2026-11-26. Organizer o1 settles on the 8th of each month; o2 has a
settlement date on 2026-10-08 too, so the organizer filter matters.
"""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from html.parser import HTMLParser
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from support import Api, load_world, make_api

from voucher_graph.data.engine import StatementCounter


def event(
    id: str,
    pp: str,
    content: str,
    day: str,
    units: str,
    unit_price: str,
    *,
    provider: str = "p1",
    status: str = "RECORDED",
    recorded_on: str | None = None,
    approved_on: str | None = None,
    deleted: bool = False,
) -> dict[str, Any]:
    return {
        "id": id,
        "purchasingPowerId": pp,
        "contentId": content,
        "providerId": provider,
        "serviceDate": day,
        "units": units,
        "unitPrice": unit_price,
        "description": "",
        "status": status,
        "recordedOn": recorded_on or day,
        "approvedOn": approved_on,
        "deleted": deleted,
    }


def regular(
    id: str,
    customer: str,
    service: str,
    number: str,
    contents: list[tuple[str, str, str]],
    **kw: Any,
) -> dict[str, Any]:
    return {
        "id": id,
        "kind": "REGULAR",
        "customerId": customer,
        "organizerId": kw.get("organizer", "o1"),
        "serviceId": service,
        "voucherNumber": number,
        "validFrom": kw.get("valid_from", "2026-01-01"),
        "validTo": kw.get("valid_to", "2026-12-31"),
        "contents": [{"contentId": c, "unitValue": v, "grantedUnits": g} for c, v, g in contents],
    }


def reservation(id: str, pp: str, content: str, provider: str = "p1", **kw: Any) -> dict[str, Any]:
    return {
        "id": id,
        "purchasingPowerId": pp,
        "contentId": content,
        "providerId": provider,
        "validFrom": kw.get("valid_from", "2026-01-01"),
        "validTo": kw.get("valid_to"),
    }


WORLD: dict[str, Any] = {
    "organizers": [
        {
            "id": "o1",
            "name": "Vantaa",
            "settlementDates": [
                "2023-06-08",
                "2026-09-08",
                "2026-10-08",
                "2026-11-08",
                "2026-12-08",
            ],
        },
        {"id": "o2", "name": "Espoo", "settlementDates": ["2026-10-08"]},
    ],
    "providers": [
        {"id": "p1", "name": "Hoivapalvelu Oy", "businessId": "1083742-9"},
        {"id": "p2", "name": "Kotiapu Ky", "businessId": "1604913-2"},
    ],
    "services": [
        {
            "id": "s1",
            "organizerId": "o1",
            "name": "Kotihoito",
            "contents": [
                {"id": "k1", "name": "Kotihoidon käynti", "unit": "HOUR"},
                {"id": "k2", "name": "Turvapuhelinkäynti", "unit": "VISIT"},
            ],
        },
        {
            "id": "s2",
            "organizerId": "o1",
            "name": "Omaishoidon vapaa",
            "contents": [{"id": "k3", "name": "Vuorokausihoito", "unit": "DAY"}],
        },
        {
            "id": "s3",
            "organizerId": "o2",
            "name": "Siivous",
            "contents": [{"id": "k4", "name": "Siivouskäynti", "unit": "HOUR"}],
        },
    ],
    "users": [
        {"id": "u1", "name": "Kirjaaja P1", "role": "RECORDER", "providerId": "p1"},
        {"id": "u2", "name": "Raportoija P1", "role": "REPORTER", "providerId": "p1"},
        {"id": "u3", "name": "Kirjaaja P2", "role": "RECORDER", "providerId": "p2"},
        {"id": "u10", "name": "Pääkäyttäjä Vantaa", "role": "ADMIN", "organizerId": "o1"},
        {"id": "u11", "name": "Käsittelijä Vantaa", "role": "STAFF", "organizerId": "o1"},
        {"id": "u13", "name": "Pääkäyttäjä Espoo", "role": "ADMIN", "organizerId": "o2"},
    ],
    "teams": [
        {
            "id": "t1",
            "organizerId": "o1",
            "name": "Kotihoito",
            "serviceIds": ["s1"],
            "memberIds": ["u11"],
        },
    ],
    "customers": [
        {"id": "c1", "firstName": "Åke", "lastName": "Korhonen", "ssn": "190925-733L"},
        {"id": "c2", "firstName": "Minna", "lastName": "Niemi", "ssn": "060761-788N"},
        {"id": "c3", "firstName": "Minna", "lastName": "Mäkelä", "ssn": "240986V4725"},
        {"id": "c4", "firstName": "Riitta", "lastName": "Kivi-Ojala", "ssn": "091136-330L"},
    ],
    # "HP-10" sorts before "HP-2" by code point; c3 and c4 have no number.
    "customerNumbers": [
        {"providerId": "p1", "customerId": "c1", "number": "HP-2"},
        {"providerId": "p1", "customerId": "c2", "number": "HP-10"},
    ],
    "purchasingPowers": [
        regular("pp1", "c1", "s1", "VAN-1", [("k1", "30.00", "10"), ("k2", "20.00", "5")]),
        {
            "id": "bp1",
            "kind": "BALANCE",
            "customerId": "c1",
            "organizerId": "o1",
            "serviceId": "s1",
            "voucherNumber": "VAN-B1",
            "validFrom": "2026-01-01",
            "validTo": "2026-12-31",
            "grantedAmount": "100.00",
        },
        regular("pp2", "c1", "s2", "VAN-2", [("k3", "50.00", "10")]),
        regular("pp3", "c2", "s1", "VAN-3", [("k1", "30.00", "100")]),
        regular("pp4", "c3", "s1", "VAN-4", [("k1", "30.00", "100")]),
        regular(
            "pp5",
            "c4",
            "s1",
            "VAN-5",
            [("k1", "30.00", "100")],
            valid_from="2023-01-01",
            valid_to="2023-12-31",
        ),
        regular("pp6", "c1", "s3", "ESP-1", [("k4", "25.00", "10")], organizer="o2"),
    ],
    "reservations": [
        reservation("r1", "pp1", "k1"),
        reservation("r2", "pp1", "k2"),
        reservation("r3", "bp1", "k1"),
        reservation("r4", "bp1", "k2"),
        reservation("r5", "pp2", "k3"),
        reservation("r6", "pp3", "k1"),
        reservation("r7", "pp4", "k1"),
        # Ended before the 3-year window: p1 no longer sees c4.
        reservation("r8", "pp5", "k1", valid_from="2023-01-01", valid_to="2023-06-30"),
        reservation("r9", "pp6", "k4"),
        reservation("r10", "pp1", "k1", provider="p2"),
    ],
    "events": [
        # c1, service s1, regular pp1
        event("e01", "pp1", "k1", "2026-10-01", "2", "35.00", recorded_on="2026-10-02"),
        event("e02", "pp1", "k2", "2026-10-01", "1", "25.00", recorded_on="2026-10-05"),
        event("e10", "pp1", "k1", "2026-11-02", "1.5", "40.00", status="UNDER_REVIEW"),
        event(
            "e9",
            "pp1",
            "k1",
            "2026-11-02",
            "1",
            "30.00",
            status="APPROVED",
            recorded_on="2026-11-03",
            approved_on="2026-11-10",
        ),
        event("e11", "pp1", "k1", "2026-11-03", "1", "40.00", status="REJECTED"),
        event(
            "e12",
            "pp1",
            "k1",
            "2026-10-04",
            "1",
            "40.00",
            status="CREDITED",
            recorded_on="2026-10-05",
        ),
        event("e13", "pp1", "k1", "2026-10-20", "1", "40.00", deleted=True),
        event("e20", "pp1", "k1", "2026-10-10", "1", "30.00", provider="p2"),
        # c1, service s1, balance bp1 (100.00): eb1 before the period uses 60.00 of it
        event("eb1", "bp1", "k1", "2026-09-01", "2", "30.00", recorded_on="2026-09-02"),
        event("eb2", "bp1", "k2", "2026-10-03", "1", "50.00"),
        event("eb3", "bp1", "k1", "2026-11-20", "1", "30.00"),
        # c1, other services
        event("es2", "pp2", "k3", "2026-10-01", "1", "60.00"),
        event("e60", "pp6", "k4", "2026-10-05", "1", "25.00"),
        # c2
        event("e30", "pp3", "k1", "2026-10-01", "1", "30.00"),
        event("e31", "pp3", "k1", "2026-10-02", "2", "40.00", recorded_on="2026-10-03"),
        # c3
        event("e40", "pp4", "k1", "2026-10-04", "1", "40.00", recorded_on="2026-10-06"),
        event(
            "e41",
            "pp4",
            "k1",
            "2026-09-29",
            "1",
            "30.00",
            status="APPROVED",
            recorded_on="2026-09-30",
            approved_on="2026-10-07",
        ),
        event("e42", "pp4", "k1", "2026-10-05", "1", "30.00", status="UNDER_REVIEW"),
        event("e43", "pp4", "k1", "2026-09-07", "1", "30.00"),
        # c4, long ago
        event("e50", "pp5", "k1", "2023-06-01", "1", "40.00", recorded_on="2023-06-02"),
    ],
}


def statement_world() -> dict[str, Any]:
    return copy.deepcopy(WORLD)


# Imported by the test modules that use it, rather than declared in a conftest.py.
@pytest.fixture(name="api")
async def api_fixture(engine: AsyncEngine, counter: StatementCounter) -> AsyncIterator[Api]:
    """The API over the statement world, loaded afresh for each test."""
    await load_world(engine, statement_world())
    client = make_api(engine, counter)
    yield client
    await client.client.aclose()


class StatementPage(HTMLParser):
    """What a test reads off the printed page: values by element id, and line rows."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.by_id: dict[str, dict[str, str | None]] = {}
        self.text_by_id: dict[str, str] = {}
        self.line_ids: list[str] = []
        self._open: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if values.get("id"):
            self.by_id[str(values["id"])] = values
            self.text_by_id[str(values["id"])] = ""
            self._open.append(str(values["id"]))
        else:
            self._open.append("")
        if tag == "tr" and values.get("data-event-id"):
            self.line_ids.append(str(values["data-event-id"]))
        if tag in ("meta", "br", "img", "input", "link"):
            self._open.pop()

    def handle_endtag(self, tag: str) -> None:
        if self._open:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        for ident in self._open:
            if ident:
                self.text_by_id[ident] += data

    def totals(self) -> dict[str, str | None]:
        return {
            "totalPrice": self.by_id["total-price"]["data-value"],
            "totalVoucherShare": self.by_id["total-voucher-share"]["data-value"],
            "totalCopay": self.by_id["total-copay"]["data-value"],
        }
