"""settlementReport and correctionRequests: who may read them and what they add up to."""

from __future__ import annotations

from datetime import date

import pytest
from statement_world import api_fixture  # noqa: F401
from support import Api

from voucher_graph.data import models as m
from voucher_graph.data.engine import session_factory

REPORT = """
query($organizer: ID!, $day: Date!) {
  settlementReport(organizerId: $organizer, settlementDate: $day) {
    organizerId settlementDate total
    lines { customerNumber events price voucherShare copay }
  }
}
"""


async def report(api: Api, user: str, organizer: str = "o1", day: str = "2026-10-08") -> dict:
    data = await api.data(REPORT, {"organizer": organizer, "day": day}, user=user)
    result: dict = data["settlementReport"]
    return result


@pytest.mark.parametrize("user", ["u1", "u2"])
async def test_the_report_sums_each_customers_settled_events(api: Api, user: str) -> None:
    result = await report(api, user)
    assert (result["organizerId"], result["settlementDate"]) == ("o1", "2026-10-08")
    assert result["lines"] == [
        # c2: e30, e31. Numbers by code point: "HP-10" before "HP-2".
        {
            "customerNumber": "HP-10",
            "events": 2,
            "price": "110.00",
            "voucherShare": "90.00",
            "copay": "20.00",
        },
        # c1: e01, e02, eb2 (balance) and es2 (other service, same organizer); the
        # credited e12 and the deleted e13 are out, and so is e60 of organizer o2.
        {
            "customerNumber": "HP-2",
            "events": 4,
            "price": "205.00",
            "voucherShare": "170.00",
            "copay": "35.00",
        },
        # c3: e40 and e41 (approved 2026-10-07); e42 under review and e43 (settled
        # 2026-09-08) are out. No number: last.
        {
            "customerNumber": None,
            "events": 2,
            "price": "70.00",
            "voucherShare": "60.00",
            "copay": "10.00",
        },
    ]
    assert result["total"] == "320.00"


async def test_a_line_never_carries_identity(api: Api) -> None:
    body = await api.query(
        '{ settlementReport(organizerId: "o1", settlementDate: "2026-10-08") '
        "{ lines { customerId } } }",
        user="u1",
    )
    assert body["errors"]  # no such field
    text = str(await report(api, "u1"))
    for identity in ("c1", "c2", "c3", "Korhonen", "190925-733L", "Niemi", "Mäkelä"):
        assert identity not in text


async def test_a_customer_the_provider_no_longer_sees_still_counts(api: Api) -> None:
    assert (await api.data('{ customer(id: "c4") { id } }', user="u1"))["customer"] is None
    result = await report(api, "u1", day="2023-06-08")
    assert result["lines"] == [
        {
            "customerNumber": None,
            "events": 1,
            "price": "40.00",
            "voucherShare": "30.00",
            "copay": "10.00",
        },
    ]
    assert result["total"] == "30.00"


@pytest.mark.parametrize(
    ("user", "organizer", "day", "total"),
    [
        ("u1", "o2", "2026-10-08", "25.00"),  # e60: the organizer filter
        ("u3", "o1", "2026-11-08", "30.00"),  # p2's e20 only
        ("u3", "o1", "2026-10-08", "0.00"),  # p2 has nothing then
        ("u1", "o1", "2026-12-08", "0.00"),  # not yet past: nothing is SETTLED
        ("u1", "o1", "2026-10-09", "0.00"),  # not a settlement date of o1
    ],
)
async def test_the_report_is_the_providers_for_that_organizer_and_date(
    api: Api, user: str, organizer: str, day: str, total: str
) -> None:
    assert (await report(api, user, organizer, day))["total"] == total


@pytest.mark.parametrize("user", ["u10", "u11", "u13"])
async def test_organizer_users_may_not_read_a_settlement_report(api: Api, user: str) -> None:
    body = await api.query(REPORT, {"organizer": "o1", "day": "2026-10-08"}, user=user)
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_an_unknown_organizer_is_not_found(api: Api) -> None:
    body = await api.query(REPORT, {"organizer": "nope", "day": "2026-10-08"}, user="u1")
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"


CORRECTIONS = (
    "query($o: ID!) { correctionRequests(organizerId: $o) "
    "{ id eventId message providerId createdOn } }"
)


async def add_corrections(api: Api) -> None:
    async with session_factory(api.engine)() as session, session.begin():
        session.add_all(
            [
                m.CorrectionRequest(
                    id="cr2",
                    event_id="e01",
                    provider_id="p1",
                    organizer_id="o1",
                    user_id="u1",
                    message="Väärä määrä",
                    created_on=date(2026, 11, 20),
                ),
                m.CorrectionRequest(
                    id="cr1",
                    event_id="e20",
                    provider_id="p2",
                    organizer_id="o1",
                    user_id="u3",
                    message="Wrong date",
                    created_on=date(2026, 11, 20),
                ),
                m.CorrectionRequest(
                    id="cr3",
                    event_id="e60",
                    provider_id="p1",
                    organizer_id="o2",
                    user_id="u1",
                    message="Espoo",
                    created_on=date(2026, 11, 1),
                ),
            ]
        )


async def test_an_organizer_admin_lists_its_correction_requests(api: Api) -> None:
    await add_corrections(api)
    data = await api.data(CORRECTIONS, {"o": "o1"}, user="u10")
    assert data["correctionRequests"] == [
        {
            "id": "cr1",
            "eventId": "e20",
            "message": "Wrong date",
            "providerId": "p2",
            "createdOn": "2026-11-20",
        },
        {
            "id": "cr2",
            "eventId": "e01",
            "message": "Väärä määrä",
            "providerId": "p1",
            "createdOn": "2026-11-20",
        },
    ]
    espoo = await api.data(CORRECTIONS, {"o": "o2"}, user="u13")
    assert [c["id"] for c in espoo["correctionRequests"]] == ["cr3"]


@pytest.mark.parametrize(
    ("user", "organizer"),
    [("u11", "o1"), ("u13", "o1"), ("u10", "o2"), ("u1", "o1"), ("u2", "o1"), ("u10", "nope")],
)
async def test_others_may_not_read_correction_requests(api: Api, user: str, organizer: str) -> None:
    await add_corrections(api)
    body = await api.query(CORRECTIONS, {"o": organizer}, user=user)
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_a_reports_sql_cost_does_not_grow_with_its_events(api: Api) -> None:
    counts = []
    await report(api, "u1", day="2026-10-08")  # a warm process: reference tables kept
    for day in ("2026-10-08", "2023-06-08"):  # eight events of three customers; one
        api.counter.reset()
        await report(api, "u1", day=day)
        counts.append(api.counter.count)
    assert counts[0] == counts[1], counts
    print(f"SQL statements for a settlement report: {counts}")
