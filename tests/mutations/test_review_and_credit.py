"""Review (approve, reject), credit (hyvitys) and error reports on events."""

from __future__ import annotations

from datetime import date

import pytest
from mutation_world import (
    APPROVE,
    CREDIT,
    EVENT,
    RECORD,
    REJECT,
    REPORT,
    count_rows,
    error_codes,
    record_input,
    world_apis,
)
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from voucher_graph.data.engine import StatementCounter

AFTER_CUTOFF = date(2026, 12, 1)


async def test_an_admin_approves_and_the_event_settles_on_the_next_date(
    engine: AsyncEngine, counter: StatementCounter
) -> None:
    async with world_apis(engine, counter) as (api,):
        event = (await api.data(APPROVE, {"id": "e-review"}, user="adm"))["approveEvent"]
        assert (event["status"], event["settlementDate"]) == ("APPROVED", "2026-11-30")
        assert (event["voucherShare"], event["copay"]) == ("60.00", "20.00")
        # The recorder may still delete it, not edit it.
        mine = (await api.data(EVENT, {"id": "e-review"}, user="rec"))["event"]
        assert (mine["editable"], mine["deletable"]) == (False, True)


async def test_approved_after_its_original_settlement_date_moves_to_the_next_one(
    engine: AsyncEngine, counter: StatementCounter
) -> None:
    # Recorded on 2026-11-21, whose date would be 2026-11-30; approved on 2026-12-01.
    async with world_apis(engine, counter, AFTER_CUTOFF) as (api,):
        event = (await api.data(APPROVE, {"id": "e-review"}, user="adm"))["approveEvent"]
        assert (event["status"], event["settlementDate"]) == ("APPROVED", "2026-12-31")


async def test_a_rejected_event_keeps_its_price_owes_nothing_and_frees_its_units(
    engine: AsyncEngine, counter: StatementCounter
) -> None:
    async with world_apis(engine, counter) as (api,):
        event = (await api.data(REJECT, {"id": "e-review", "r": "yli myönnetyn"}, user="adm"))[
            "rejectEvent"
        ]
        assert (event["status"], event["settlementDate"]) == ("REJECTED", None)
        assert (event["price"], event["voucherShare"], event["copay"]) == ("80.00", "0.00", "0.00")
        async with engine.connect() as connection:
            reason = await connection.scalar(
                text("SELECT reason FROM events WHERE id = 'e-review'")
            )
        assert reason == "yli myönnetyn"
        # 6 counted less its 2 units: 6 more fit the grant of 10.
        recorded = await api.data(RECORD, record_input(units="6"), user="rec")
        assert recorded["recordEvent"]["status"] == "RECORDED"


async def test_an_admin_credits_a_settled_event_which_keeps_its_settlement_date(
    engine: AsyncEngine, counter: StatementCounter
) -> None:
    async with world_apis(engine, counter) as (api,):
        event = (await api.data(CREDIT, {"id": "e-settled", "r": "virhe"}, user="adm"))[
            "creditEvent"
        ]
        assert (event["status"], event["settlementDate"]) == ("CREDITED", "2026-11-10")
        assert (event["price"], event["voucherShare"], event["copay"]) == ("80.00", "0.00", "0.00")
        body = await api.query(CREDIT, {"id": "e-settled", "r": "virhe"}, user="adm")
        assert error_codes(body) == ["INVALID_STATE"]


async def test_crediting_waits_until_the_event_is_settled(
    engine: AsyncEngine, counter: StatementCounter
) -> None:
    async with world_apis(engine, counter, date(2026, 11, 30), AFTER_CUTOFF) as (on_cutoff, after):
        body = await on_cutoff.query(CREDIT, {"id": "e-recorded", "r": "virhe"}, user="adm")
        assert error_codes(body) == ["INVALID_STATE"]
        event = (await after.data(CREDIT, {"id": "e-recorded", "r": "virhe"}, user="adm"))[
            "creditEvent"
        ]
        assert (event["status"], event["settlementDate"]) == ("CREDITED", "2026-11-30")


# (mutation, user, event, code): who may review and credit, and in which status.
ADMIN_FAILURES: list[tuple[str, str, str, str]] = [
    (APPROVE, "adm", "nope", "NOT_FOUND"),
    (APPROVE, "adm", "e-deleted", "NOT_FOUND"),
    (APPROVE, "adm2", "e-review", "NOT_FOUND"),
    (APPROVE, "staff", "e-review", "FORBIDDEN"),
    (APPROVE, "rec", "e-review", "FORBIDDEN"),
    (APPROVE, "rep", "e-review", "FORBIDDEN"),
    (APPROVE, "adm", "e-recorded", "INVALID_STATE"),
    (APPROVE, "adm", "e-approved", "INVALID_STATE"),
    (APPROVE, "adm", "e-rejected", "INVALID_STATE"),
    (APPROVE, "adm", "e-settled", "INVALID_STATE"),
    (REJECT, "adm", "nope", "NOT_FOUND"),
    (REJECT, "adm2", "e-review", "NOT_FOUND"),
    (REJECT, "staff", "e-review", "FORBIDDEN"),
    (REJECT, "rec", "e-review", "FORBIDDEN"),
    (REJECT, "adm", "e-recorded", "INVALID_STATE"),
    (REJECT, "adm", "e-rejected", "INVALID_STATE"),
    (CREDIT, "adm", "nope", "NOT_FOUND"),
    (CREDIT, "adm2", "e-settled", "NOT_FOUND"),
    (CREDIT, "staff", "e-settled", "FORBIDDEN"),
    (CREDIT, "rec", "e-settled", "FORBIDDEN"),
    (CREDIT, "adm", "e-recorded", "INVALID_STATE"),
    (CREDIT, "adm", "e-review", "INVALID_STATE"),
    (CREDIT, "adm", "e-rejected", "INVALID_STATE"),
    (CREDIT, "adm", "e-credited", "INVALID_STATE"),
]


@pytest.mark.parametrize(("mutation", "user", "event_id", "code"), ADMIN_FAILURES)
async def test_review_and_credit_that_break_a_rule_get_their_code_and_change_nothing(
    engine: AsyncEngine,
    counter: StatementCounter,
    mutation: str,
    user: str,
    event_id: str,
    code: str,
) -> None:
    async with world_apis(engine, counter) as (api,):
        before = (await api.query(EVENT, {"id": event_id}, user="adm"))["data"]
        body = await api.query(mutation, {"id": event_id, "r": "syy"}, user=user)
        assert error_codes(body) == [code]
        assert (await api.query(EVENT, {"id": event_id}, user="adm"))["data"] == before


@pytest.mark.parametrize(("mutation", "event_id"), [(REJECT, "e-review"), (CREDIT, "e-settled")])
async def test_a_blank_reason_is_bad_input(
    engine: AsyncEngine, counter: StatementCounter, mutation: str, event_id: str
) -> None:
    async with world_apis(engine, counter) as (api,):
        before = (await api.query(EVENT, {"id": event_id}, user="adm"))["data"]
        body = await api.query(mutation, {"id": event_id, "r": "  "}, user="adm")
        assert error_codes(body) == ["BAD_USER_INPUT"]
        assert (await api.query(EVENT, {"id": event_id}, user="adm"))["data"] == before


async def test_a_recorder_reports_an_error_on_a_settled_event_to_its_organizer(
    engine: AsyncEngine, counter: StatementCounter
) -> None:
    async with world_apis(engine, counter) as (api,):
        report = (await api.data(REPORT, {"id": "e-settled", "m": "väärä päivä"}, user="rec2"))[
            "reportEventError"
        ]
        assert report["id"].startswith("cr-")
        assert {k: v for k, v in report.items() if k != "id"} == {
            "eventId": "e-settled",
            "message": "väärä päivä",
            "providerId": "p1",
            "createdOn": "2026-11-26",
        }
        async with engine.connect() as connection:
            row = (
                await connection.execute(
                    text("SELECT organizer_id, user_id FROM correction_requests WHERE id = :id"),
                    {"id": report["id"]},
                )
            ).one()
        assert tuple(row) == ("o1", "rec2")


REPORT_FAILURES: list[tuple[str, str, str, str]] = [
    ("rec", "nope", "virhe", "NOT_FOUND"),
    ("other", "e-settled", "virhe", "NOT_FOUND"),
    ("rep", "e-settled", "virhe", "FORBIDDEN"),
    ("adm", "e-settled", "virhe", "FORBIDDEN"),
    ("rec", "e-recorded", "virhe", "INVALID_STATE"),
    ("rec", "e-credited", "virhe", "INVALID_STATE"),
    ("rec", "e-review", "virhe", "INVALID_STATE"),
    ("rec", "e-settled", " ", "BAD_USER_INPUT"),
]


@pytest.mark.parametrize(("user", "event_id", "message", "code"), REPORT_FAILURES)
async def test_an_error_report_that_breaks_a_rule_gets_its_code_and_stores_nothing(
    engine: AsyncEngine,
    counter: StatementCounter,
    user: str,
    event_id: str,
    message: str,
    code: str,
) -> None:
    async with world_apis(engine, counter) as (api,):
        body = await api.query(REPORT, {"id": event_id, "m": message}, user=user)
        assert error_codes(body) == [code]
        assert await count_rows(engine, "correction_requests") == 0
