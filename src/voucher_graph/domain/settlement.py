"""Settlement dates (tilityspäivä) and what they lock: reported status, editable, deletable."""

from bisect import bisect_left
from collections.abc import Sequence
from datetime import date

from voucher_graph.domain.amounts import WorkflowStatus, status_name, workflow_status

SETTLED = "SETTLED"

# Statuses that have no settlement date: not yet settleable, or never.
_UNSETTLEABLE = frozenset({WorkflowStatus.UNDER_REVIEW, WorkflowStatus.REJECTED})
# The statuses that get a settlement date and are then reported SETTLED; data/ builds its
# SQL filter from this set.
SETTLEABLE = frozenset({WorkflowStatus.RECORDED, WorkflowStatus.APPROVED})
_DELETABLE = frozenset(
    {WorkflowStatus.RECORDED, WorkflowStatus.UNDER_REVIEW, WorkflowStatus.APPROVED}
)
# The sets above by status name, for the checks asked for every event a page shows
# (`status_name`: no Enum hashing).
_UNSETTLEABLE_NAMES = frozenset(status.value for status in _UNSETTLEABLE)
_SETTLEABLE_NAMES = frozenset(status.value for status in SETTLEABLE)
_DELETABLE_NAMES = frozenset(status.value for status in _DELETABLE)


def settleable_on(recorded_on: date, approved_on: date | None) -> date:
    """The day an event became settleable: its approval day when it went through review,
    else its recording day (data/reports.py says the same in SQL, as a coalesce)."""
    return approved_on if approved_on is not None else recorded_on


def settlement_date(
    settlement_dates: Sequence[date],
    status: str,
    recorded_on: date,
    approved_on: date | None,
) -> date | None:
    """The first of the organizer's settlement dates on or after the event became settleable.

    That day is `approved_on` for an event that went through review (approved_on set),
    else `recorded_on`. UNDER_REVIEW and REJECTED events have none; a CREDITED one keeps
    the date it was settled on, which is the same computation. `settlement_dates` may
    come in any order.
    """
    return settlement_date_in_order(sorted(settlement_dates), status, recorded_on, approved_on)


def settlement_date_in_order(
    ordered: Sequence[date],
    status: str,
    recorded_on: date,
    approved_on: date | None,
) -> date | None:
    """`settlement_date`, with the settlement dates given in ascending order (a page asks
    for every event it shows, with the same few lists)."""
    if status_name(status) in _UNSETTLEABLE_NAMES:
        return None
    index = bisect_left(ordered, settleable_on(recorded_on, approved_on))
    return ordered[index] if index < len(ordered) else None


def is_past(settlement_day: date | None, today: date) -> bool:
    """Whether today is after the settlement date; the date itself is not yet past."""
    return settlement_day is not None and today > settlement_day


def reported_status(status: str, settlement_day: date | None, today: date) -> str:
    """The status the API reports: SETTLED for RECORDED or APPROVED once past the date."""
    name = status_name(status)
    if name in _SETTLEABLE_NAMES and is_past(settlement_day, today):
        return SETTLED
    return name


def is_editable(status: str, settlement_day: date | None, today: date) -> bool:
    """Whether the recording provider may still edit: RECORDED, up to its settlement date."""
    return workflow_status(status) is WorkflowStatus.RECORDED and not is_past(settlement_day, today)


def is_deletable(status: str, settlement_day: date | None, today: date) -> bool:
    """Whether the recording provider may still delete: not REJECTED nor CREDITED, nor past."""
    return status_name(status) in _DELETABLE_NAMES and not is_past(settlement_day, today)
