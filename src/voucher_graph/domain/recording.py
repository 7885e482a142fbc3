"""Recording an event (DOMAIN.md "Recording", "Review"): the checks, the review decision,
and the rules for free text and the provider's customer numbers.

Plain functions of plain facts. The resolver gathers the facts one at a time, in the
order below, so that a recording refused early costs no further statements.
"""

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from voucher_graph.domain.amounts import WorkflowStatus, is_counting, needs_review
from voucher_graph.domain.errors import BadInput, NoReservation
from voucher_graph.domain.money import ZERO

MAX_TEXT_LENGTH = 2000
MAX_NUMBER_LENGTH = 64

BALANCE = "BALANCE"


def check_content(known: bool) -> None:
    """The content must be one of the purchasing power's (a balance one: of its service)."""
    if not known:
        raise BadInput("the content is not one of the purchasing power's contents")


def check_service_date(service_date: date, today: date, valid_from: date, valid_to: date) -> None:
    """Not in the future, and inside the purchasing power's validity (both ends included)."""
    if service_date > today:
        raise BadInput("serviceDate must not be after today")
    if not valid_from <= service_date <= valid_to:
        raise BadInput("serviceDate is outside the purchasing power's validity")


def check_reservation(has_reservation: bool) -> None:
    """The recording provider must hold a reservation for the content on that date."""
    if not has_reservation:
        raise NoReservation("the provider has no reservation for this content on that date")


def is_reviewed(kind: str) -> bool:
    """Whether recordings on a purchasing power of this kind may go under review.

    Balance vouchers are never reviewed: an event beyond the granted amount is simply
    paid by the customer (its voucher share is what is left)."""
    return kind != BALANCE


def status_after_recording(
    units: Decimal,
    others: Iterable[tuple[Decimal, str]],
    granted_units: Decimal,
) -> WorkflowStatus:
    """UNDER_REVIEW when `units` and the counting ones among `others` (units, workflow
    status: the content's other non-deleted events) exceed the grant, else RECORDED."""
    counted = sum((u for u, status in others if is_counting(status, False)), ZERO)
    if needs_review(units, counted, granted_units):
        return WorkflowStatus.UNDER_REVIEW
    return WorkflowStatus.RECORDED


def checked_text(value: str, field: str, *, required: bool) -> str:
    """Free text (description, reason, message): at most MAX_TEXT_LENGTH characters,
    and not blank when `required`. The text is kept exactly as given."""
    if required and not value.strip():
        raise BadInput(f"{field} must not be empty")
    if len(value) > MAX_TEXT_LENGTH:
        raise BadInput(f"{field} is longer than {MAX_TEXT_LENGTH} characters")
    return value


def customer_number(number: str | None) -> str | None:
    """A provider's customer number, stripped: 1 to MAX_NUMBER_LENGTH characters;
    None clears it."""
    if number is None:
        return None
    number = number.strip()
    if not number or len(number) > MAX_NUMBER_LENGTH:
        raise BadInput(f"a customer number has 1 to {MAX_NUMBER_LENGTH} characters; null clears it")
    return number
