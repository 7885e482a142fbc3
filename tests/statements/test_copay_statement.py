"""Customer.copayStatement: counting events of a service the viewer sees, with totals."""

from __future__ import annotations

from typing import Any

import pytest
from statement_world import api_fixture, build_statement_world  # noqa: F401
from support import Api, load_world

STATEMENT = """
query($customer: ID!, $service: ID!, $from: Date!, $to: Date!) {
  customer(id: $customer) {
    copayStatement(service: $service, from: $from, to: $to) {
      service { id name organizerId } from to
      lines {
        eventId serviceDate content { id name unit } units unitPrice price voucherShare copay
        purchasingPowerKind voucherNumber voucherValidFrom voucherValidTo status
      }
      totalPrice totalVoucherShare totalCopay printUrl
    }
  }
}
"""

PERIOD = {"customer": "c1", "service": "s1", "from": "2026-10-01", "to": "2026-11-30"}


async def statement(api: Api, user: str, **changes: str) -> dict[str, Any]:
    data = await api.data(STATEMENT, {**PERIOD, **changes}, user=user)
    assert data["customer"] is not None
    result: dict[str, Any] = data["customer"]["copayStatement"]
    return result


def summary(result: dict[str, Any]) -> list[tuple[str, ...]]:
    return [
        (
            line["eventId"],
            line["serviceDate"],
            line["price"],
            line["voucherShare"],
            line["copay"],
            line["purchasingPowerKind"],
            line["status"],
        )
        for line in result["lines"]
    ]


# (event, date, price, voucher share, copay, kind, status) as a p1 user sees c1's s1.
PROVIDER_LINES = [
    ("e01", "2026-10-01", "70.00", "60.00", "10.00", "REGULAR", "SETTLED"),
    ("e02", "2026-10-01", "25.00", "20.00", "5.00", "REGULAR", "SETTLED"),
    # 100.00 balance, 60.00 of it used by eb1 before the period.
    ("eb2", "2026-10-03", "50.00", "40.00", "10.00", "BALANCE", "SETTLED"),
    # Same day: ids by code point, "e10" before "e9".
    ("e10", "2026-11-02", "60.00", "45.00", "15.00", "REGULAR", "UNDER_REVIEW"),
    ("e9", "2026-11-02", "30.00", "30.00", "0.00", "REGULAR", "APPROVED"),
    ("eb3", "2026-11-20", "30.00", "0.00", "30.00", "BALANCE", "RECORDED"),
]
P2_EVENT = ("e20", "2026-10-10", "30.00", "30.00", "0.00", "REGULAR", "SETTLED")


@pytest.mark.parametrize("user", ["u1", "u2"])
async def test_a_provider_user_gets_its_own_counting_events_in_order(api: Api, user: str) -> None:
    result = await statement(api, user)
    # Rejected (e11), credited (e12), deleted (e13), p2's (e20) and other services' are out.
    assert summary(result) == PROVIDER_LINES
    assert (result["totalPrice"], result["totalVoucherShare"], result["totalCopay"]) == (
        "265.00",
        "195.00",
        "70.00",
    )
    assert result["service"] == {"id": "s1", "name": "Kotihoito", "organizerId": "o1"}
    assert (result["from"], result["to"]) == ("2026-10-01", "2026-11-30")


async def test_a_line_carries_content_units_prices_and_voucher(api: Api) -> None:
    first = (await statement(api, "u1"))["lines"][0]
    assert first == {
        "eventId": "e01",
        "serviceDate": "2026-10-01",
        "content": {"id": "k1", "name": "Kotihoidon käynti", "unit": "HOUR"},
        "units": "2.00",
        "unitPrice": "35.00",
        "price": "70.00",
        "voucherShare": "60.00",
        "copay": "10.00",
        "purchasingPowerKind": "REGULAR",
        "voucherNumber": "VAN-1",
        "voucherValidFrom": "2026-01-01",
        "voucherValidTo": "2026-12-31",
        "status": "SETTLED",
    }


@pytest.mark.parametrize("user", ["u10", "u11"])
async def test_an_organizer_user_managing_the_service_sees_every_provider(
    api: Api, user: str
) -> None:
    result = await statement(api, user)
    assert summary(result) == PROVIDER_LINES[:3] + [P2_EVENT] + PROVIDER_LINES[3:]
    assert (result["totalPrice"], result["totalVoucherShare"], result["totalCopay"]) == (
        "295.00",
        "225.00",
        "70.00",
    )


async def test_the_other_provider_sees_only_its_event(api: Api) -> None:
    result = await statement(api, "u3")
    assert summary(result) == [P2_EVENT]


async def test_the_lines_agree_with_the_customers_events(api: Api) -> None:
    data = await api.data(
        '{ customer(id: "c1") { events(from: "2026-10-01", to: "2026-11-30") '
        "{ id price voucherShare copay status } } }",
        user="u1",
    )
    events = {e["id"]: e for e in data["customer"]["events"]}
    for line in (await statement(api, "u1"))["lines"]:
        shown = events[line["eventId"]]
        assert (line["price"], line["voucherShare"], line["copay"], line["status"]) == (
            shown["price"],
            shown["voucherShare"],
            shown["copay"],
            shown["status"],
        )


@pytest.mark.parametrize(
    ("period", "expected"),
    [
        # Both days included.
        ({"from": "2026-10-01", "to": "2026-10-01"}, ["e01", "e02"]),
        ({"from": "2026-11-02", "to": "2026-11-20"}, ["e10", "e9", "eb3"]),
        ({"from": "2026-09-01", "to": "2026-09-30"}, ["eb1"]),
        ({"from": "2025-01-01", "to": "2025-12-31"}, []),
    ],
)
async def test_the_period_bounds_the_service_dates(
    api: Api, period: dict[str, str], expected: list[str]
) -> None:
    result = await statement(api, "u1", **period)
    assert [line["eventId"] for line in result["lines"]] == expected


async def test_an_empty_period_has_zero_totals(api: Api) -> None:
    result = await statement(api, "u1", **{"from": "2025-01-01", "to": "2025-12-31"})
    assert (result["totalPrice"], result["totalVoucherShare"], result["totalCopay"]) == (
        "0.00",
        "0.00",
        "0.00",
    )


async def test_a_service_without_visible_events_gives_an_empty_statement(api: Api) -> None:
    # s3 is o2's; c1 has a p1 event there, but u3 (p2) sees none of it... and c1 is
    # visible to u3 through its own s1 event.
    result = await statement(api, "u3", service="s3")
    assert result["lines"] == [] and result["totalPrice"] == "0.00"


async def test_from_after_to_is_bad_user_input(api: Api) -> None:
    body = await api.query(
        STATEMENT, {**PERIOD, "from": "2026-11-02", "to": "2026-11-01"}, user="u1"
    )
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_an_unknown_service_is_not_found(api: Api) -> None:
    body = await api.query(STATEMENT, {**PERIOD, "service": "nope"}, user="u1")
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_an_unseen_customer_has_no_statement(api: Api) -> None:
    # c4's only relationship with p1 ended before the 3-year window.
    data = await api.data(STATEMENT, {**PERIOD, "customer": "c4"}, user="u1")
    assert data["customer"] is None


async def test_the_print_url_is_a_signed_absolute_url_on_this_server(api: Api) -> None:
    url = (await statement(api, "u1"))["printUrl"]
    # The request's own address (the test client's base URL) when no public URL is set.
    assert url.startswith("http://test/print/copay-statement?token=")


def year_world(events_per_day: int) -> dict[str, Any]:
    """The statement world plus a year of p1 events on c1's pp1 and bp1."""
    builder = build_statement_world()
    world = builder.raw
    for pp in world["purchasingPowers"]:
        if pp["id"] == "pp1":
            pp["contents"] = [
                {"contentId": "k1", "unitValue": "30.00", "grantedUnits": "100000"},
                {"contentId": "k2", "unitValue": "20.00", "grantedUnits": "100000"},
            ]
    days = 365
    for n in range(days * events_per_day):
        day = f"2025-{(n // events_per_day) % 12 + 1:02d}-{(n // events_per_day) % 28 + 1:02d}"
        pp = "bp1" if n % 3 == 0 else "pp1"
        builder.event(f"y{n:05d}", pp, day, "1", "33.00", content="k1" if n % 2 else "k2")
    for pp in world["purchasingPowers"]:
        if pp["id"] in ("pp1", "bp1"):
            pp["validFrom"] = "2025-01-01"
    for r in world["reservations"]:
        if r["validFrom"] == "2026-01-01":
            r["validFrom"] = "2025-01-01"
    return world


async def test_a_statements_sql_cost_does_not_grow_with_its_events(api: Api) -> None:
    year = {"customer": "c1", "service": "s1", "from": "2025-01-01", "to": "2026-11-30"}
    counts = []
    for per_day in (0, 2):
        await load_world(api.engine, year_world(per_day))
        api.counter.reset()
        result = await statement(api, "u1", **year)
        counts.append(api.counter.count)
        # The period also holds eb1 (2026-09-01).
        assert len(result["lines"]) == len(PROVIDER_LINES) + 1 + 365 * per_day
    assert counts[0] == counts[1], counts
    print(f"SQL statements for a copay statement over a year: {counts}")
