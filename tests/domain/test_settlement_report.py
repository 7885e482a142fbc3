"""The settlement report rule as plain functions: which events count, lines, order, total."""

from datetime import date
from decimal import Decimal

from voucher_graph.domain.amounts import Amounts
from voucher_graph.domain.settlement_report import (
    counts_in_report,
    group_by_customer,
    previous_settlement_date,
    report_lines,
    report_total,
)

DAY = date(2026, 2, 8)


def _amounts(price: str, share: str) -> Amounts:
    return Amounts(
        price=Decimal(price), voucher_share=Decimal(share), copay=Decimal(price) - Decimal(share)
    )


def test_previous_settlement_date() -> None:
    dates = [date(2026, 3, 8), date(2026, 1, 8), DAY]
    assert previous_settlement_date(dates, DAY) == date(2026, 1, 8)
    assert previous_settlement_date(dates, date(2026, 1, 8)) is None
    assert previous_settlement_date([], DAY) is None


def test_only_settled_events_of_that_date_count() -> None:
    assert counts_in_report(DAY, "SETTLED", DAY)
    assert not counts_in_report(date(2026, 1, 8), "SETTLED", DAY)
    assert not counts_in_report(DAY, "CREDITED", DAY)  # keeps its date, is out
    assert not counts_in_report(DAY, "RECORDED", DAY)  # the date is not yet past
    assert not counts_in_report(None, "UNDER_REVIEW", DAY)


def test_lines_are_summed_per_customer_and_ordered_numbers_first() -> None:
    grouped = group_by_customer(
        [
            ("c3", _amounts("10.00", "8.00")),
            ("c1", _amounts("5.00", "5.00")),
            ("c3", _amounts("2.50", "0.00")),
            ("c2", _amounts("1.00", "1.00")),
            ("c4", _amounts("4.00", "3.00")),
        ]
    )
    numbers = {"c1": None, "c2": "b", "c3": "B", "c4": None}
    lines = report_lines(grouped, numbers)
    # Code points: "B" < "b"; without a number last, then by customer id.
    assert [(line.customer_number, line.customer_id) for line in lines] == [
        ("B", "c3"),
        ("b", "c2"),
        (None, "c1"),
        (None, "c4"),
    ]
    first = lines[0]
    assert (first.events, first.price, first.voucher_share, first.copay) == (
        2,
        Decimal("12.50"),
        Decimal("8.00"),
        Decimal("4.50"),
    )
    assert report_total(lines) == Decimal("17.00")


def test_an_empty_report_totals_zero() -> None:
    assert report_lines({}, {}) == []
    assert report_total([]) == Decimal("0.00")
