"""Editing and deleting events, and the settlement date that closes both (DOMAIN.md)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from mutation_world import (
    DELETE,
    EVENT,
    RECORD,
    count_rows,
    error_codes,
    record_input,
    world,
    world_apis,
)
from sqlalchemy.ext.asyncio import AsyncEngine

from voucher_graph.data.engine import StatementCounter

CUTOFF = date(2026, 11, 30)  # e-recorded's settlement date
AFTER = date(2026, 12, 1)


def edit_of(event_id: str, **changes: Any) -> dict[str, Any]:
    """Input that edits `event_id` of the small world, keeping what `changes` leaves out."""
    events = {e["id"]: e for e in world()["events"]}
    source = events.get(event_id, events["e-recorded"])
    values = {
        "id": event_id,
        "purchasingPowerId": source["purchasingPowerId"],
        "contentId": source["contentId"],
        "serviceDate": source["serviceDate"],
        "units": source["units"],
        "unitPrice": source["unitPrice"],
    }
    values.update(changes)
    return {"input": values}


async def test_a_recorder_of_the_provider_edits_its_event(
    engine: AsyncEngine, counter: StatementCounter
) -> None:
    async with world_apis(engine, counter) as (api,):
        changes = {
            "contentId": "k1",
            "serviceDate": "2026-11-24",
            "units": "2.25",
            "unitPrice": "50",
        }
        edited = (
            await api.data(
                RECORD, edit_of("e-recorded", description="korjattu", **changes), user="rec2"
            )
        )["recordEvent"]
        assert edited["id"] == "e-recorded"
        assert (edited["serviceDate"], edited["units"], edited["unitPrice"]) == (
            "2026-11-24",
            "2.25",
            "50.00",
        )
        assert (edited["description"], edited["price"], edited["voucherShare"]) == (
            "korjattu",
            "112.50",
            "67.50",
        )
        # The day it was recorded stays: so does its settlement date.
        assert (edited["status"], edited["settlementDate"]) == ("RECORDED", "2026-11-30")
        assert (await api.data(EVENT, {"id": "e-recorded"}, user="rec"))["event"] == edited


@pytest.mark.parametrize(("units", "status"), [("5", "RECORDED"), ("5.01", "UNDER_REVIEW")])
async def test_an_edit_leaves_its_own_earlier_units_out_of_the_review(
    engine: AsyncEngine, counter: StatementCounter, units: str, status: str
) -> None:
    # 6 counted, 1 of them e-recorded's own: 5 others + 5 = 10 granted.
    async with world_apis(engine, counter) as (api,):
        edited = await api.data(RECORD, edit_of("e-recorded", units=units), user="rec")
        assert edited["recordEvent"]["status"] == status


# (user, event, input changes, code)
EDIT_FAILURES: list[tuple[str, str, dict[str, Any], str]] = [
    ("rec", "nope", {}, "NOT_FOUND"),
    ("rec", "e-deleted", {}, "NOT_FOUND"),
    ("rec", "e-other", {}, "NOT_FOUND"),  # p2's event on a voucher p1 sees
    ("other", "e-recorded", {}, "NOT_FOUND"),
    ("rep", "e-recorded", {}, "FORBIDDEN"),
    ("adm", "e-recorded", {}, "FORBIDDEN"),
    ("staff", "e-recorded", {}, "FORBIDDEN"),
    ("rec", "e-settled", {}, "SETTLEMENT_CLOSED"),
    ("rec", "e-credited", {}, "SETTLEMENT_CLOSED"),
    ("rec", "e-review", {}, "INVALID_STATE"),
    ("rec", "e-approved", {}, "INVALID_STATE"),
    ("rec", "e-rejected", {}, "INVALID_STATE"),
    ("rec", "e-recorded", {"purchasingPowerId": "bp1"}, "BAD_USER_INPUT"),
    ("rec", "e-recorded", {"units": "0"}, "BAD_USER_INPUT"),
    ("rec", "e-recorded", {"unitPrice": "-1"}, "BAD_USER_INPUT"),
    ("rec", "e-recorded", {"serviceDate": "2026-11-27"}, "BAD_USER_INPUT"),
    ("rec", "e-recorded", {"contentId": "k3"}, "BAD_USER_INPUT"),
    ("rec", "e-recorded", {"contentId": "k2", "serviceDate": "2026-11-21"}, "NO_RESERVATION"),
]


@pytest.mark.parametrize(("user", "event_id", "changes", "code"), EDIT_FAILURES)
async def test_an_edit_that_breaks_a_rule_gets_its_code_and_changes_nothing(
    engine: AsyncEngine,
    counter: StatementCounter,
    user: str,
    event_id: str,
    changes: dict[str, Any],
    code: str,
) -> None:
    async with world_apis(engine, counter) as (api,):
        before = (await api.query(EVENT, {"id": event_id}, user="adm"))["data"]
        body = await api.query(RECORD, edit_of(event_id, **{"units": "0.5", **changes}), user=user)
        assert error_codes(body) == [code]
        assert (await api.query(EVENT, {"id": event_id}, user="adm"))["data"] == before


@pytest.mark.parametrize("event_id", ["e-recorded", "e-review", "e-approved"])
async def test_a_recorder_deletes_softly_and_the_units_are_freed(
    engine: AsyncEngine, counter: StatementCounter, event_id: str
) -> None:
    async with world_apis(engine, counter) as (api,):
        rows = await count_rows(engine, "events")
        assert (await api.data(DELETE, {"id": event_id}, user="rec2")) == {"deleteEvent": True}
        assert (await api.data(EVENT, {"id": event_id}, user="rec"))["event"] is None
        assert (await api.data(EVENT, {"id": event_id}, user="adm"))["event"] is None
        assert await count_rows(engine, "events") == rows  # the row stays, for audit
        assert error_codes(await api.query(DELETE, {"id": event_id}, user="rec")) == ["NOT_FOUND"]
        # 6 counted, less the deleted one's units, leaves room for 5 more without review.
        recorded = await api.data(RECORD, record_input(units="5"), user="rec")
        assert recorded["recordEvent"]["status"] == "RECORDED"


DELETE_FAILURES: list[tuple[str, str, str]] = [
    ("rec", "nope", "NOT_FOUND"),
    ("rec", "e-deleted", "NOT_FOUND"),
    ("rec", "e-other", "NOT_FOUND"),
    ("other", "e-recorded", "NOT_FOUND"),
    ("adm2", "e-recorded", "NOT_FOUND"),
    ("rep", "e-recorded", "FORBIDDEN"),
    ("adm", "e-recorded", "FORBIDDEN"),
    ("staff", "e-review", "FORBIDDEN"),
    ("rec", "e-settled", "SETTLEMENT_CLOSED"),
    ("rec", "e-credited", "SETTLEMENT_CLOSED"),
    ("rec", "e-rejected", "INVALID_STATE"),
]


@pytest.mark.parametrize(("user", "event_id", "code"), DELETE_FAILURES)
async def test_a_delete_that_breaks_a_rule_gets_its_code_and_deletes_nothing(
    engine: AsyncEngine, counter: StatementCounter, user: str, event_id: str, code: str
) -> None:
    async with world_apis(engine, counter) as (api,):
        before = (await api.query(EVENT, {"id": event_id}, user="adm"))["data"]
        body = await api.query(DELETE, {"id": event_id}, user=user)
        assert error_codes(body) == [code]
        assert body["data"] is None
        assert (await api.query(EVENT, {"id": event_id}, user="adm"))["data"] == before


async def test_the_settlement_date_itself_is_open_and_the_day_after_is_closed(
    engine: AsyncEngine, counter: StatementCounter
) -> None:
    async with world_apis(engine, counter, CUTOFF, AFTER) as (on_cutoff, after):
        event = (await on_cutoff.data(EVENT, {"id": "e-recorded"}, user="rec"))["event"]
        assert (event["status"], event["editable"], event["deletable"]) == ("RECORDED", True, True)
        await on_cutoff.data(RECORD, edit_of("e-recorded", units="2"), user="rec")

        event = (await after.data(EVENT, {"id": "e-recorded"}, user="rec"))["event"]
        assert (event["status"], event["units"], event["editable"], event["deletable"]) == (
            "SETTLED",
            "2.00",
            False,
            False,
        )
        body = await after.query(RECORD, edit_of("e-recorded", units="3"), user="rec")
        assert error_codes(body) == ["SETTLEMENT_CLOSED"]
        assert error_codes(await after.query(DELETE, {"id": "e-recorded"}, user="rec")) == [
            "SETTLEMENT_CLOSED"
        ]
        # Still open the day before: a delete on the cutoff day goes through.
        assert await on_cutoff.data(DELETE, {"id": "e-recorded"}, user="rec") == {
            "deleteEvent": True
        }


EVENT_IDS = [
    "e-settled",
    "e-recorded",
    "e-approved",
    "e-review",
    "e-rejected",
    "e-credited",
    "e-bal",
]


@pytest.mark.parametrize("day", [date(2026, 11, 26), CUTOFF, AFTER])
@pytest.mark.parametrize("user", ["rec", "rep", "adm"])
async def test_editable_and_deletable_agree_with_what_the_mutations_allow(
    engine: AsyncEngine, counter: StatementCounter, day: date, user: str
) -> None:
    async with world_apis(engine, counter, day) as (api,):
        for event_id in EVENT_IDS:
            event = (await api.data(EVENT, {"id": event_id}, user=user))["event"]
            edit = await api.query(RECORD, edit_of(event_id), user=user)
            assert (not edit.get("errors")) == event["editable"], (event_id, edit)
            delete = await api.query(DELETE, {"id": event_id}, user=user)
            assert (not delete.get("errors")) == event["deletable"], (event_id, delete)
