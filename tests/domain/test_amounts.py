"""Tests of price, voucher share and copay on both kinds of purchasing power."""

import copy
import pickle
from datetime import date
from decimal import Decimal

import pytest

from voucher_graph.domain.amounts import (
    COUNTING,
    Amounts,
    EventFacts,
    Totals,
    WorkflowStatus,
    balance_amounts,
    is_counting,
    needs_review,
    regular_amounts,
    totals,
    used_amount,
    used_units,
    used_units_by_content,
)

D = Decimal


def event(
    id: str = "e1",
    *,
    content_id: str = "k1",
    service_date: date = date(2026, 1, 5),
    units: str = "1",
    unit_price: str = "45.00",
    status: str = "RECORDED",
    deleted: bool = False,
) -> EventFacts:
    return EventFacts(id, content_id, service_date, D(units), D(unit_price), status, deleted)


def amounts(price: str, share: str, copay: str) -> Amounts:
    return Amounts(D(price), D(share), D(copay))


@pytest.mark.parametrize(
    ("status", "deleted", "counting"),
    [
        ("RECORDED", False, True),
        ("UNDER_REVIEW", False, True),
        ("APPROVED", False, True),
        ("REJECTED", False, False),
        ("CREDITED", False, False),
        ("RECORDED", True, False),
        ("UNDER_REVIEW", True, False),
        ("APPROVED", True, False),
    ],
)
def test_counting_events_are_recorded_under_review_or_approved_and_not_deleted(
    status: str, deleted: bool, counting: bool
) -> None:
    assert is_counting(status, deleted) is counting
    assert (WorkflowStatus(status) in COUNTING) is (counting or deleted)


@pytest.mark.parametrize("status", ["SETTLED", "recorded", ""])
def test_unknown_workflow_statuses_fail_loudly(status: str) -> None:
    with pytest.raises(ValueError, match="not a workflow status"):
        is_counting(status, False)
    with pytest.raises(ValueError):
        event(status=status)


@pytest.mark.parametrize(
    ("units", "unit_price", "unit_value", "expected"),
    [
        ("1.5", "45.00", "32.00", amounts("67.50", "48.00", "19.50")),  # capped by value
        ("2", "30.00", "32.00", amounts("60.00", "60.00", "0.00")),  # capped by price
        ("2", "32.00", "32.00", amounts("64.00", "64.00", "0.00")),
        ("1.5", "0.67", "0.67", amounts("1.01", "1.01", "0.00")),  # both 1.005, half up
        ("0.5", "1.00", "0.05", amounts("0.50", "0.03", "0.47")),  # value 0.025, half up
        ("3", "10.00", "0", amounts("30.00", "0.00", "30.00")),
    ],
)
def test_regular_share_is_capped_by_price_and_by_value(
    units: str, unit_price: str, unit_value: str, expected: Amounts
) -> None:
    facts = event(units=units, unit_price=unit_price)
    assert regular_amounts(facts, D(unit_value)) == expected


@pytest.mark.parametrize(
    ("status", "deleted"),
    [("REJECTED", False), ("CREDITED", False), ("RECORDED", True)],
)
def test_non_counting_events_keep_their_price_and_owe_nothing(status: str, deleted: bool) -> None:
    facts = event(units="1.5", status=status, deleted=deleted)
    assert regular_amounts(facts, D("32.00")) == amounts("67.50", "0.00", "0.00")
    assert balance_amounts([facts], D("500.00")) == {"e1": amounts("67.50", "0.00", "0.00")}


def test_balance_is_exhausted_mid_event() -> None:
    events = [
        event("e1", units="2", unit_price="40.00", service_date=date(2026, 1, 5)),
        event("e2", units="2", unit_price="40.00", service_date=date(2026, 1, 6)),
        event("e3", units="1", unit_price="40.00", service_date=date(2026, 1, 7)),
    ]
    assert balance_amounts(events, D("100.00")) == {
        "e1": amounts("80.00", "80.00", "0.00"),
        "e2": amounts("80.00", "20.00", "60.00"),
        "e3": amounts("40.00", "0.00", "40.00"),
    }
    assert used_amount(events, D("100.00")) == D("100.00")


def test_balance_is_consumed_by_date_then_id_as_strings() -> None:
    # Given out of order: the later date comes first, and "e10" < "e9" by code point.
    events = [
        event("e1", unit_price="50.00", service_date=date(2026, 2, 1)),
        event("e9", unit_price="50.00", service_date=date(2026, 1, 10)),
        event("e10", unit_price="50.00", service_date=date(2026, 1, 10)),
    ]
    result = balance_amounts(events, D("70.00"))
    assert result == {
        "e1": amounts("50.00", "0.00", "50.00"),
        "e9": amounts("50.00", "20.00", "30.00"),
        "e10": amounts("50.00", "50.00", "0.00"),
    }
    assert list(result) == ["e1", "e9", "e10"]  # the caller's order back


@pytest.mark.parametrize(
    ("status", "deleted"),
    [("REJECTED", False), ("CREDITED", False), ("APPROVED", True)],
)
def test_non_counting_events_do_not_consume_the_balance(status: str, deleted: bool) -> None:
    events = [
        event("e1", unit_price="60.00", status=status, deleted=deleted),
        event("e2", unit_price="60.00", service_date=date(2026, 1, 6)),
    ]
    assert balance_amounts(events, D("100.00"))["e2"] == amounts("60.00", "60.00", "0.00")
    assert used_amount(events, D("100.00")) == D("60.00")


@pytest.mark.parametrize("status", ["RECORDED", "UNDER_REVIEW", "APPROVED"])
def test_every_counting_status_consumes_the_balance(status: str) -> None:
    events = [
        event("e1", unit_price="60.00", status=status),
        event("e2", unit_price="60.00", service_date=date(2026, 1, 6)),
    ]
    assert balance_amounts(events, D("100.00"))["e2"] == amounts("60.00", "40.00", "20.00")


def test_balance_of_no_events_is_empty() -> None:
    assert balance_amounts([], D("100.00")) == {}
    assert used_amount([], D("100.00")) == D("0.00")


def test_balance_amounts_refuses_duplicate_ids() -> None:
    with pytest.raises(ValueError, match="unique"):
        balance_amounts([event("e1"), event("e1")], D("100.00"))


def test_used_units_counts_counting_events_of_the_content() -> None:
    events = [
        event("e1", units="1.5"),
        event("e2", units="2", status="UNDER_REVIEW"),
        event("e3", units="0.25", status="APPROVED"),
        event("e4", units="4", status="REJECTED"),
        event("e5", units="8", status="CREDITED"),
        event("e6", units="16", deleted=True),
        event("e7", units="32", content_id="k2"),
    ]
    assert used_units(events, "k1") == D("3.75")
    assert used_units(events, "k2") == D("32")
    assert str(used_units(events, "k3")) == "0.00"


def test_used_units_by_content_answers_used_units_for_every_content() -> None:
    events = [
        event("e1", units="1.5"),
        event("e2", units="2", status="UNDER_REVIEW"),
        event("e3", units="4", status="REJECTED"),
        event("e4", units="16", deleted=True),
        event("e5", units="32", content_id="k2"),
        event("e6", units="8", content_id="k3", status="CREDITED"),
    ]
    by_content = used_units_by_content(events)
    assert by_content == {"k1": D("3.5"), "k2": D("32")}  # k3 has no counting event
    for content in ("k1", "k2", "k3"):
        assert by_content.get(content, D("0.00")) == used_units(events, content)


@pytest.mark.parametrize("deleted", [False, True])
@pytest.mark.parametrize("status", [status.value for status in WorkflowStatus])
def test_event_facts_hold_the_seven_facts_and_whether_they_count(
    status: str, deleted: bool
) -> None:
    values = ("e1", "k1", date(2026, 1, 5), D("1.5"), D("45.00"), status, deleted)
    built = EventFacts(*values)
    assert type(built) is EventFacts
    assert tuple(built) == (*values, is_counting(status, deleted))


@pytest.mark.parametrize("status", ["SETTLED", "recorded", ""])
def test_a_deleted_event_never_counts_whatever_its_status_says(status: str) -> None:
    # As is_counting: the status is not even read (the live-event check refuses it).
    facts = EventFacts("e1", "k1", date(2026, 1, 5), D("1"), D("1.00"), status, True)
    assert facts.counting is False


@pytest.mark.parametrize(
    ("units", "others", "granted", "review"),
    [
        ("1", "38", "40", False),
        ("2", "38", "40", False),  # equal to the grant is not over it
        ("2.01", "38", "40", True),
        ("41", "0", "40", True),
        ("0.01", "0", "0", True),
    ],
)
def test_needs_review_only_when_over_the_grant(
    units: str, others: str, granted: str, review: bool
) -> None:
    assert needs_review(D(units), D(others), D(granted)) is review


def test_totals_sum_each_column() -> None:
    rows = [amounts("67.50", "48.00", "19.50"), amounts("1.01", "1.01", "0.00")]
    assert totals(rows) == Totals(D("68.51"), D("49.01"), D("19.50"))
    assert totals([]) == Totals(D("0.00"), D("0.00"), D("0.00"))


def test_event_facts_derive_counting_when_copied_or_changed() -> None:
    # The facts are an immutable value: copies, pickles and changed copies keep the
    # seven stored facts and derive `counting` from them afresh.
    recorded = event("e7", status="RECORDED")
    for same in (
        copy.copy(recorded),
        copy.deepcopy(recorded),
        pickle.loads(pickle.dumps(recorded)),
    ):
        assert same == recorded and same.counting
    deleted = recorded._replace(deleted=True)
    assert deleted.deleted and not deleted.counting
    assert deleted._replace(deleted=False) == recorded
    with pytest.raises(TypeError):
        recorded._replace(counting=False)  # derived, never given
