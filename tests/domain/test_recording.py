"""Recording rules as plain functions: checks, the review decision, text and numbers."""

from datetime import date
from decimal import Decimal

import pytest

from voucher_graph.domain.amounts import WorkflowStatus
from voucher_graph.domain.errors import BadInput, NoReservation
from voucher_graph.domain.recording import (
    MAX_NUMBER_LENGTH,
    MAX_TEXT_LENGTH,
    check_content,
    check_reservation,
    check_service_date,
    checked_text,
    customer_number,
    is_reviewed,
    status_after_recording,
)

TODAY = date(2026, 3, 10)
FROM, TO = date(2026, 1, 1), date(2026, 12, 31)


def test_unknown_content_is_bad_input() -> None:
    check_content(True)
    with pytest.raises(BadInput, match="content"):
        check_content(False)


@pytest.mark.parametrize("day", [FROM, TODAY, date(2026, 2, 28)])
def test_service_date_inside_validity_and_not_future_passes(day: date) -> None:
    check_service_date(day, TODAY, FROM, TO)


@pytest.mark.parametrize(
    ("day", "message"),
    [
        (date(2026, 3, 11), "after today"),
        (date(2025, 12, 31), "validity"),
    ],
)
def test_service_date_outside_is_bad_input(day: date, message: str) -> None:
    with pytest.raises(BadInput, match=message):
        check_service_date(day, TODAY, FROM, TO)


def test_validity_ending_before_today_refuses_the_day_after() -> None:
    check_service_date(date(2026, 2, 28), TODAY, FROM, date(2026, 2, 28))
    with pytest.raises(BadInput, match="validity"):
        check_service_date(date(2026, 3, 1), TODAY, FROM, date(2026, 2, 28))


def test_missing_reservation_is_no_reservation() -> None:
    check_reservation(True)
    with pytest.raises(NoReservation):
        check_reservation(False)


def test_balance_vouchers_are_never_reviewed() -> None:
    assert is_reviewed("REGULAR")
    assert not is_reviewed("BALANCE")


@pytest.mark.parametrize(
    ("units", "others", "granted", "expected"),
    [
        ("2", [], "2", WorkflowStatus.RECORDED),  # equal to the grant is fine
        ("2.01", [], "2", WorkflowStatus.UNDER_REVIEW),
        ("1", [("1", "RECORDED")], "2", WorkflowStatus.RECORDED),
        ("1", [("1", "UNDER_REVIEW")], "1.5", WorkflowStatus.UNDER_REVIEW),  # counts too
        ("1", [("1", "APPROVED")], "1.5", WorkflowStatus.UNDER_REVIEW),
        ("1", [("5", "REJECTED"), ("5", "CREDITED")], "1", WorkflowStatus.RECORDED),
        ("1", [], "0", WorkflowStatus.UNDER_REVIEW),  # no grant for the content
    ],
)
def test_status_after_recording(
    units: str, others: list[tuple[str, str]], granted: str, expected: WorkflowStatus
) -> None:
    rows = [(Decimal(u), status) for u, status in others]
    assert status_after_recording(Decimal(units), rows, Decimal(granted)) is expected


def test_status_after_recording_refuses_an_unknown_status() -> None:
    with pytest.raises(ValueError):
        status_after_recording(Decimal(1), [(Decimal(1), "SETTLED")], Decimal(5))


def test_text_rules() -> None:
    assert checked_text("", "description", required=False) == ""
    assert checked_text("  kept as is ", "reason", required=True) == "  kept as is "
    assert checked_text("x" * MAX_TEXT_LENGTH, "message", required=True)
    with pytest.raises(BadInput, match="reason must not be empty"):
        checked_text(" \n", "reason", required=True)
    with pytest.raises(BadInput, match="longer than"):
        checked_text("x" * (MAX_TEXT_LENGTH + 1), "description", required=False)


def test_customer_number_rules() -> None:
    assert customer_number(None) is None
    assert customer_number("  A-17 ") == "A-17"
    assert customer_number("n" * MAX_NUMBER_LENGTH) == "n" * MAX_NUMBER_LENGTH
    for bad in ["", "   ", "n" * (MAX_NUMBER_LENGTH + 1)]:
        with pytest.raises(BadInput, match="1 to"):
            customer_number(bad)
