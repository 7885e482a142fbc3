"""Tests of settlement dates and what they lock."""

from datetime import date

import pytest

from voucher_graph.domain.settlement import (
    is_deletable,
    is_editable,
    reported_status,
    settlement_date,
    settlement_date_in_order,
)

# Deliberately unsorted, as an organizer's list may come.
DATES = [date(2026, 3, 8), date(2026, 1, 8), date(2026, 2, 8)]


@pytest.mark.parametrize(
    ("status", "recorded_on", "approved_on", "expected"),
    [
        ("RECORDED", date(2026, 1, 5), None, date(2026, 1, 8)),
        ("RECORDED", date(2026, 1, 8), None, date(2026, 1, 8)),  # on a settlement day itself
        ("RECORDED", date(2026, 1, 9), None, date(2026, 2, 8)),
        ("RECORDED", date(2025, 12, 1), None, date(2026, 1, 8)),
        ("RECORDED", date(2026, 3, 9), None, None),  # no date left
        ("APPROVED", date(2026, 1, 5), date(2026, 1, 20), date(2026, 2, 8)),  # moves on
        ("APPROVED", date(2026, 1, 5), date(2026, 2, 8), date(2026, 2, 8)),
        ("APPROVED", date(2026, 1, 5), date(2026, 3, 20), None),
        ("CREDITED", date(2026, 1, 5), None, date(2026, 1, 8)),  # keeps its date
        ("CREDITED", date(2026, 1, 5), date(2026, 1, 20), date(2026, 2, 8)),
        ("UNDER_REVIEW", date(2026, 1, 5), None, None),
        ("REJECTED", date(2026, 1, 5), None, None),
    ],
)
def test_settlement_date_is_the_first_on_or_after_the_settleable_day(
    status: str, recorded_on: date, approved_on: date | None, expected: date | None
) -> None:
    assert settlement_date(DATES, status, recorded_on, approved_on) == expected
    # Derived fields give the dates in order and skip the sort.
    ordered = sorted(DATES)
    assert settlement_date_in_order(ordered, status, recorded_on, approved_on) == expected


def test_settlement_date_without_dates_is_none() -> None:
    assert settlement_date([], "RECORDED", date(2026, 1, 5), None) is None


def test_settlement_date_refuses_reported_statuses() -> None:
    with pytest.raises(ValueError):
        settlement_date(DATES, "SETTLED", date(2026, 1, 5), None)
    with pytest.raises(ValueError):
        settlement_date_in_order(sorted(DATES), "SETTLED", date(2026, 1, 5), None)


CUTOFF = date(2026, 1, 8)
ON = date(2026, 1, 8)
AFTER = date(2026, 1, 9)


@pytest.mark.parametrize(
    ("status", "settlement_day", "today", "reported"),
    [
        ("RECORDED", CUTOFF, ON, "RECORDED"),
        ("RECORDED", CUTOFF, AFTER, "SETTLED"),
        ("APPROVED", CUTOFF, ON, "APPROVED"),
        ("APPROVED", CUTOFF, AFTER, "SETTLED"),
        ("RECORDED", None, AFTER, "RECORDED"),
        ("UNDER_REVIEW", None, AFTER, "UNDER_REVIEW"),
        ("REJECTED", None, AFTER, "REJECTED"),
        ("CREDITED", CUTOFF, AFTER, "CREDITED"),
    ],
)
def test_reported_status_is_settled_only_after_the_date(
    status: str, settlement_day: date | None, today: date, reported: str
) -> None:
    assert reported_status(status, settlement_day, today) == reported


@pytest.mark.parametrize(
    ("status", "settlement_day", "today", "editable", "deletable"),
    [
        ("RECORDED", CUTOFF, date(2026, 1, 7), True, True),
        ("RECORDED", CUTOFF, ON, True, True),  # the cutoff day itself is still open
        ("RECORDED", CUTOFF, AFTER, False, False),
        ("RECORDED", None, AFTER, True, True),  # no date yet: open
        ("UNDER_REVIEW", None, AFTER, False, True),
        ("APPROVED", CUTOFF, ON, False, True),
        ("APPROVED", CUTOFF, AFTER, False, False),
        ("REJECTED", None, ON, False, False),
        ("CREDITED", CUTOFF, AFTER, False, False),
    ],
)
def test_editable_and_deletable_up_to_and_including_the_cutoff(
    status: str, settlement_day: date | None, today: date, editable: bool, deletable: bool
) -> None:
    assert is_editable(status, settlement_day, today) is editable
    assert is_deletable(status, settlement_day, today) is deletable
