"""A hand-made world for copay statements and settlement reports, with its expected numbers.

Today is 2026-11-26. Organizer o1 settles on the 8th of each month; o2 has a
settlement date on 2026-10-08 too, so the organizer filter matters.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from html.parser import HTMLParser
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from support import Api, load_world, make_api
from world_builder import Content, World

from voucher_graph.data.engine import StatementCounter


def build_statement_world() -> World:
    """The statement world, afresh (year_world in test_copay_statement.py adds to it)."""
    w = World(valid_from="2026-01-01", valid_to="2026-12-31")
    w.organizer(
        "o1", ["2023-06-08", "2026-09-08", "2026-10-08", "2026-11-08", "2026-12-08"], name="Vantaa"
    )
    w.organizer("o2", ["2026-10-08"])
    w.provider("p1", name="Hoivapalvelu Oy")
    w.provider("p2")
    w.service(
        "s1",
        "o1",
        Content("k1", name="Kotihoidon käynti"),
        Content("k2", "VISIT"),
        name="Kotihoito",
    )
    w.service("s2", "o1", Content("k3", "DAY"))
    w.service("s3", "o2", "k4")
    w.user("u1", "RECORDER", "p1")
    w.user("u2", "REPORTER", "p1")
    w.user("u3", "RECORDER", "p2")
    w.user("u10", "ADMIN", "o1")
    w.user("u11", "STAFF", "o1")
    w.user("u13", "ADMIN", "o2")
    w.team("t1", "o1", ["s1"], ["u11"])
    w.customer("c1", "Åke", "Korhonen", ssn="190925-733L")
    w.customer("c2", "Minna", "Niemi", ssn="060761-788N")
    w.customer("c3", "Minna", "Mäkelä", ssn="240986V4725")
    w.customer("c4", "Riitta", "Kivi-Ojala", ssn="091136-330L")
    # "HP-10" sorts before "HP-2" by code point; c3 and c4 have no number.
    w.number("p1", "c1", "HP-2")
    w.number("p1", "c2", "HP-10")
    w.regular("pp1", "c1", "s1", [("k1", "30.00", "10"), ("k2", "20.00", "5")], voucher="VAN-1")
    w.balance("bp1", "c1", "s1", "100.00", voucher="VAN-B1")
    w.regular("pp2", "c1", "s2", [("k3", "50.00", "10")], voucher="VAN-2")
    w.regular("pp3", "c2", "s1", [("k1", "30.00", "100")], voucher="VAN-3")
    w.regular("pp4", "c3", "s1", [("k1", "30.00", "100")], voucher="VAN-4")
    w.regular(
        "pp5",
        "c4",
        "s1",
        [("k1", "30.00", "100")],
        voucher="VAN-5",
        valid_from="2023-01-01",
        valid_to="2023-12-31",
    )
    w.regular("pp6", "c1", "s3", [("k4", "25.00", "10")], voucher="ESP-1")
    w.reservation("r1", "pp1")
    w.reservation("r2", "pp1", content="k2")
    w.reservation("r3", "bp1")
    w.reservation("r4", "bp1", content="k2")
    w.reservation("r5", "pp2")
    w.reservation("r6", "pp3")
    w.reservation("r7", "pp4")
    # Ended before the 3-year window: p1 no longer sees c4.
    w.reservation("r8", "pp5", valid_to="2023-06-30")
    w.reservation("r9", "pp6")
    w.reservation("r10", "pp1", "p2")
    # c1, service s1, regular pp1
    w.event("e01", "pp1", "2026-10-01", "2", "35.00", recorded_on="2026-10-02")
    w.event("e02", "pp1", "2026-10-01", "1", "25.00", content="k2", recorded_on="2026-10-05")
    w.event("e10", "pp1", "2026-11-02", "1.5", "40.00", status="UNDER_REVIEW")
    w.event(
        "e9",
        "pp1",
        "2026-11-02",
        "1",
        "30.00",
        status="APPROVED",
        recorded_on="2026-11-03",
        approved_on="2026-11-10",
    )
    w.event("e11", "pp1", "2026-11-03", "1", "40.00", status="REJECTED")
    w.event("e12", "pp1", "2026-10-04", "1", "40.00", status="CREDITED", recorded_on="2026-10-05")
    w.event("e13", "pp1", "2026-10-20", "1", "40.00", deleted=True)
    w.event("e20", "pp1", "2026-10-10", "1", "30.00", provider="p2")
    # c1, service s1, balance bp1 (100.00): eb1 before the period uses 60.00 of it
    w.event("eb1", "bp1", "2026-09-01", "2", "30.00", recorded_on="2026-09-02")
    w.event("eb2", "bp1", "2026-10-03", "1", "50.00", content="k2")
    w.event("eb3", "bp1", "2026-11-20", "1", "30.00")
    # c1, other services
    w.event("es2", "pp2", "2026-10-01", "1", "60.00")
    w.event("e60", "pp6", "2026-10-05", "1", "25.00")
    # c2
    w.event("e30", "pp3", "2026-10-01", "1", "30.00")
    w.event("e31", "pp3", "2026-10-02", "2", "40.00", recorded_on="2026-10-03")
    # c3
    w.event("e40", "pp4", "2026-10-04", "1", "40.00", recorded_on="2026-10-06")
    w.event(
        "e41",
        "pp4",
        "2026-09-29",
        "1",
        "30.00",
        status="APPROVED",
        recorded_on="2026-09-30",
        approved_on="2026-10-07",
    )
    w.event("e42", "pp4", "2026-10-05", "1", "30.00", status="UNDER_REVIEW")
    w.event("e43", "pp4", "2026-09-07", "1", "30.00")
    # c4, long ago
    w.event("e50", "pp5", "2023-06-01", "1", "40.00", recorded_on="2023-06-02")
    return w


def statement_world() -> dict[str, Any]:
    return build_statement_world().raw


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
