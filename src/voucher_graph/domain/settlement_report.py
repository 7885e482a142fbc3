"""The settlement report (tilitysraportti, DOMAIN.md "Reports"): which events count, one
line per customer, lines without a customer number last, and the total.

Plain functions of plain facts: the schema layer loads the candidates, their settlement
dates, reported statuses, amounts and the provider's customer numbers, and asks here.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from voucher_graph.domain.amounts import Amounts, totals
from voucher_graph.domain.money import ZERO
from voucher_graph.domain.settlement import SETTLED


def previous_settlement_date(settlement_dates: Iterable[date], day: date) -> date | None:
    """The organizer's last settlement date before `day`: events that became settleable
    on or before it were settled then, so only later ones can belong to `day`'s report."""
    earlier = [d for d in settlement_dates if d < day]
    return max(earlier) if earlier else None


def counts_in_report(settlement_day: date | None, reported_status: str, day: date) -> bool:
    """An event is on `day`'s report when its settlement date is `day` and it is reported
    SETTLED (a credited event keeps its date but is no longer SETTLED)."""
    return settlement_day == day and reported_status == SETTLED


@dataclass(frozen=True)
class ReportLine:
    """One customer's settled events; the customer id is only for ordering, never shown."""

    customer_id: str
    customer_number: str | None
    events: int
    price: Decimal
    voucher_share: Decimal
    copay: Decimal


def group_by_customer(settled: Iterable[tuple[str, Amounts]]) -> dict[str, list[Amounts]]:
    """(customer id, amounts) of each settled event, grouped by customer id."""
    by_customer: dict[str, list[Amounts]] = defaultdict(list)
    for customer_id, amounts in settled:
        by_customer[customer_id].append(amounts)
    return dict(by_customer)


def report_lines(
    by_customer: Mapping[str, Sequence[Amounts]], numbers: Mapping[str, str | None]
) -> list[ReportLine]:
    """One line per customer, summed. Ordered by customer number (code points), lines
    without a number last; the customer id only breaks ties among those."""
    lines = []
    for customer_id, amounts in by_customer.items():
        sums = totals(amounts)
        lines.append(
            ReportLine(
                customer_id=customer_id,
                customer_number=numbers.get(customer_id),
                events=len(amounts),
                price=sums.price,
                voucher_share=sums.voucher_share,
                copay=sums.copay,
            )
        )
    lines.sort(
        key=lambda line: (
            line.customer_number is None,
            line.customer_number or "",
            line.customer_id,
        )
    )
    return lines


def report_total(lines: Iterable[ReportLine]) -> Decimal:
    """What the organizer pays the provider: the sum of the lines' voucher shares."""
    return sum((line.voucher_share for line in lines), ZERO)
