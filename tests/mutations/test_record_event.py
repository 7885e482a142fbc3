"""recordEvent: creating an event (DOMAIN.md "Recording" and "Review")."""

from __future__ import annotations

from typing import Any

import pytest
from mutation_world import EVENT, RECORD, count_rows, error_codes, record_input, world_apis
from sqlalchemy.ext.asyncio import AsyncEngine

from voucher_graph.data.engine import StatementCounter


async def test_a_recorder_records_an_event_with_api_assigned_id_and_amounts(
    engine: AsyncEngine, counter: StatementCounter
) -> None:
    async with world_apis(engine, counter) as (api,):
        event = (await api.data(RECORD, record_input(), user="rec"))["recordEvent"]
        assert event["id"].startswith("ev-")
        assert event == {
            "id": event["id"],
            "purchasingPowerId": "pp1",
            "content": {"id": "k1"},
            "providerId": "p1",
            "serviceDate": "2026-11-25",
            "units": "1.50",
            "unitPrice": "40.00",
            "description": "käynti",
            "status": "RECORDED",
            "settlementDate": "2026-11-30",
            "price": "60.00",
            "voucherShare": "45.00",
            "copay": "15.00",
            "editable": True,
            "deletable": True,
        }
        # It is there for the next request, and for another recorder of the provider.
        again = (await api.data(EVENT, {"id": event["id"]}, user="rec2"))["event"]
        assert again == event


@pytest.mark.parametrize(
    ("units", "status"),
    [
        ("4", "RECORDED"),  # 6 counted + 4 = 10 granted: equal is fine
        ("4.01", "UNDER_REVIEW"),  # over the grant
        ("0.01", "RECORDED"),
    ],
)
async def test_units_over_what_is_left_of_the_grant_go_under_review(
    engine: AsyncEngine, counter: StatementCounter, units: str, status: str
) -> None:
    async with world_apis(engine, counter) as (api,):
        event = (await api.data(RECORD, record_input(units=units), user="rec"))["recordEvent"]
        assert event["status"] == status
        assert event["settlementDate"] == (None if status == "UNDER_REVIEW" else "2026-11-30")


async def test_the_review_threshold_counts_under_review_events_and_other_providers(
    engine: AsyncEngine, counter: StatementCounter
) -> None:
    async with world_apis(engine, counter) as (api,):
        first = (await api.data(RECORD, record_input(units="5"), user="rec"))["recordEvent"]
        assert first["status"] == "UNDER_REVIEW"
        # The event under review counts: nothing is left now.
        second = (await api.data(RECORD, record_input(units="0.5"), user="rec2"))["recordEvent"]
        assert second["status"] == "UNDER_REVIEW"


async def test_balance_events_are_never_reviewed_and_consume_the_balance(
    engine: AsyncEngine, counter: StatementCounter
) -> None:
    async with world_apis(engine, counter) as (api,):
        event = (
            await api.data(
                RECORD,
                record_input(purchasingPowerId="bp1", units="10", unitPrice="30"),
                user="rec",
            )
        )["recordEvent"]
        # 100.00 granted, 40.00 used by e-bal: 60.00 left of the 300.00 price.
        assert (event["status"], event["voucherShare"], event["copay"]) == (
            "RECORDED",
            "60.00",
            "240.00",
        )


async def test_a_balance_event_may_use_any_content_of_the_service(
    engine: AsyncEngine, counter: StatementCounter
) -> None:
    async with world_apis(engine, counter) as (api,):
        # k3 is a content of s1 but not reserved: the content check passes, the
        # reservation check does not.
        body = await api.query(
            RECORD, record_input(purchasingPowerId="bp1", contentId="k3"), user="rec"
        )
        assert error_codes(body) == ["NO_RESERVATION"]
        body = await api.query(
            RECORD, record_input(purchasingPowerId="bp1", contentId="k9"), user="rec"
        )
        assert error_codes(body) == ["BAD_USER_INPUT"]


async def test_the_same_idempotency_key_returns_the_first_event_and_records_nothing(
    engine: AsyncEngine, counter: StatementCounter
) -> None:
    async with world_apis(engine, counter) as (api,):
        first = await api.data(RECORD, record_input(idempotencyKey="k-1"), user="rec")
        before = await count_rows(engine, "events")
        again = await api.data(RECORD, record_input(idempotencyKey="k-1", units="3"), user="rec")
        assert again == first
        assert await count_rows(engine, "events") == before
        # The key belongs to its user: another recorder's same key records anew.
        other = await api.data(RECORD, record_input(idempotencyKey="k-1"), user="rec2")
        assert other["recordEvent"]["id"] != first["recordEvent"]["id"]
        assert await count_rows(engine, "events") == before + 1


# (user, input changes, code): every way a recording can fail, and the code it gets.
FAILURES: list[tuple[str, dict[str, Any], str]] = [
    ("rec", {"purchasingPowerId": "nope"}, "NOT_FOUND"),
    ("rec", {"purchasingPowerId": "pp2"}, "NOT_FOUND"),  # exists, but p1 does not see it
    ("other", {"purchasingPowerId": "pp1"}, "NOT_FOUND"),
    ("rep", {}, "FORBIDDEN"),
    ("adm", {}, "FORBIDDEN"),
    ("staff", {}, "FORBIDDEN"),
    ("adm", {"purchasingPowerId": "pp2"}, "FORBIDDEN"),
    ("rec", {"units": "0"}, "BAD_USER_INPUT"),
    ("rec", {"units": "-1"}, "BAD_USER_INPUT"),
    ("rec", {"units": "1.005"}, "BAD_USER_INPUT"),
    ("rec", {"units": "abc"}, "BAD_USER_INPUT"),
    ("rec", {"unitPrice": "-0.01"}, "BAD_USER_INPUT"),
    ("rec", {"unitPrice": "1.001"}, "BAD_USER_INPUT"),
    ("rec", {"serviceDate": "2026-11-27"}, "BAD_USER_INPUT"),  # after today
    ("rec", {"serviceDate": "2026-02-30"}, "BAD_USER_INPUT"),
    ("rec", {"serviceDate": "2025-12-31"}, "BAD_USER_INPUT"),  # before the validity
    ("rec", {"purchasingPowerId": "pp3", "contentId": "k9"}, "BAD_USER_INPUT"),  # after it
    ("rec", {"contentId": "k3"}, "BAD_USER_INPUT"),  # of the service, not of pp1
    ("rec", {"contentId": "k9"}, "BAD_USER_INPUT"),
    ("rec", {"contentId": "k2"}, "NO_RESERVATION"),  # r2 ended on 2026-11-20
    ("other", {"purchasingPowerId": "pp3", "contentId": "k9"}, "BAD_USER_INPUT"),
]


@pytest.mark.parametrize(("user", "changes", "code"), FAILURES)
async def test_a_recording_that_breaks_a_rule_gets_its_code_and_records_nothing(
    engine: AsyncEngine, counter: StatementCounter, user: str, changes: dict[str, Any], code: str
) -> None:
    async with world_apis(engine, counter) as (api,):
        before = await count_rows(engine, "events")
        body = await api.query(RECORD, record_input(**changes), user=user)
        assert error_codes(body) == [code]
        assert body["data"] is None
        assert await count_rows(engine, "events") == before


async def test_a_reservation_covering_the_service_date_allows_recording(
    engine: AsyncEngine, counter: StatementCounter
) -> None:
    async with world_apis(engine, counter) as (api,):
        event = (
            await api.data(
                RECORD, record_input(contentId="k2", serviceDate="2026-11-20"), user="rec"
            )
        )["recordEvent"]
        assert event["content"] == {"id": "k2"}
        body = await api.query(
            RECORD, record_input(contentId="k2", serviceDate="2026-10-31"), user="rec"
        )
        assert error_codes(body) == ["NO_RESERVATION"]


async def test_a_failed_mutation_undoes_the_mutations_before_it_in_the_document(
    engine: AsyncEngine, counter: StatementCounter
) -> None:
    document = (
        'mutation { first: recordEvent(input: {purchasingPowerId: "pp1", contentId: "k1", '
        'serviceDate: "2026-11-25", units: "4", unitPrice: "40"}) { id status } '
        'second: recordEvent(input: {purchasingPowerId: "pp1", contentId: "k2", '
        'serviceDate: "2026-11-25", units: "1", unitPrice: "40"}) { id } '
        "}"
    )
    async with world_apis(engine, counter) as (api,):
        before = await count_rows(engine, "events")
        body = await api.query(document, user="rec")
        assert error_codes(body) == ["NO_RESERVATION"]
        # Every mutation field is non-null: one failure nulls the whole answer, so the
        # first, which ran before it, is undone too.
        assert body["data"] is None
        assert await count_rows(engine, "events") == before
