"""The event status matrix: which action each status and settlement date allows."""

from datetime import date

from voucher_graph.domain.amounts import WorkflowStatus, workflow_status
from voucher_graph.domain.errors import InvalidState, SettlementClosed
from voucher_graph.domain.settlement import (
    SETTLED,
    is_deletable,
    is_editable,
    is_past,
    reported_status,
)


def _check_open(settlement_day: date | None, today: date) -> None:
    # CONTRACT.md: a provider's edit or delete after the settlement date is
    # SETTLEMENT_CLOSED, and that is told before any status reason.
    if is_past(settlement_day, today):
        raise SettlementClosed("the event's settlement date has passed")


def check_edit(status: str, settlement_day: date | None, today: date) -> None:
    """A provider's edit: only RECORDED, up to and including the settlement date.

    Past the settlement date the answer is SettlementClosed whatever the status, so a
    CREDITED event (which keeps its past date) is closed too; a status with no date
    (UNDER_REVIEW, REJECTED) or APPROVED before its date is InvalidState.
    """
    _check_open(settlement_day, today)
    if not is_editable(status, settlement_day, today):
        raise InvalidState(f"an event in status {workflow_status(status).value} cannot be edited")


def check_delete(status: str, settlement_day: date | None, today: date) -> None:
    """A provider's delete: RECORDED, UNDER_REVIEW or APPROVED, up to the settlement date.

    Past the date is SettlementClosed (a CREDITED event included, as in check_edit);
    REJECTED, which has no date, is InvalidState.
    """
    _check_open(settlement_day, today)
    if not is_deletable(status, settlement_day, today):
        raise InvalidState(f"an event in status {workflow_status(status).value} cannot be deleted")


def _check_under_review(status: str, action: str) -> None:
    if workflow_status(status) is not WorkflowStatus.UNDER_REVIEW:
        raise InvalidState(f"only an event under review can be {action}")


def check_approve(status: str, settlement_day: date | None, today: date) -> None:
    """An organizer admin's approval: UNDER_REVIEW only (which has no settlement date)."""
    _check_under_review(status, "approved")


def check_reject(status: str, settlement_day: date | None, today: date) -> None:
    """An organizer admin's rejection: UNDER_REVIEW only (which has no settlement date)."""
    _check_under_review(status, "rejected")


def _check_settled(status: str, settlement_day: date | None, today: date, action: str) -> None:
    if reported_status(status, settlement_day, today) != SETTLED:
        raise InvalidState(f"only a settled event can be {action}")


def check_credit(status: str, settlement_day: date | None, today: date) -> None:
    """An organizer admin's credit (hyvitys): the reported status must be SETTLED.

    A CREDITED event is not SETTLED, so crediting twice is InvalidState.
    """
    _check_settled(status, settlement_day, today, "credited")


def check_report_error(status: str, settlement_day: date | None, today: date) -> None:
    """A provider's error report: the reported status must be SETTLED (credited ones are not)."""
    _check_settled(status, settlement_day, today, "reported as erroneous")
