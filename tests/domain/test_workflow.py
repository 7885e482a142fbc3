"""Tests of the event status matrix."""

from collections.abc import Callable
from datetime import date

import pytest

from voucher_graph.domain.errors import DomainError, InvalidState, SettlementClosed
from voucher_graph.domain.workflow import (
    check_approve,
    check_credit,
    check_delete,
    check_edit,
    check_reject,
    check_report_error,
)

Check = Callable[[str, date | None, date], None]
CUTOFF = date(2026, 1, 8)
OPEN = date(2026, 1, 8)  # the cutoff day itself
CLOSED = date(2026, 1, 9)
ACTIONS: dict[str, Check] = {
    "edit": check_edit,
    "delete": check_delete,
    "approve": check_approve,
    "reject": check_reject,
    "credit": check_credit,
    "report": check_report_error,
}
ok = None
IS = InvalidState
SC = SettlementClosed

# One row per (status, settlement date, today); columns in the order of ACTIONS.
MATRIX: list[tuple[str, date | None, date, tuple[type[DomainError] | None, ...]]] = [
    ("RECORDED", None, CLOSED, (ok, ok, IS, IS, IS, IS)),
    ("RECORDED", CUTOFF, OPEN, (ok, ok, IS, IS, IS, IS)),
    ("RECORDED", CUTOFF, CLOSED, (SC, SC, IS, IS, ok, ok)),  # reported SETTLED
    ("UNDER_REVIEW", None, CLOSED, (IS, ok, ok, ok, IS, IS)),
    ("APPROVED", CUTOFF, OPEN, (IS, ok, IS, IS, IS, IS)),
    ("APPROVED", None, CLOSED, (IS, ok, IS, IS, IS, IS)),
    ("APPROVED", CUTOFF, CLOSED, (SC, SC, IS, IS, ok, ok)),  # reported SETTLED
    ("REJECTED", None, CLOSED, (IS, IS, IS, IS, IS, IS)),
    ("CREDITED", CUTOFF, CLOSED, (SC, SC, IS, IS, IS, IS)),  # keeps its past date
]


@pytest.mark.parametrize(
    ("status", "settlement_day", "today", "action", "error"),
    [
        (status, day, today, action, error)
        for status, day, today, errors in MATRIX
        for action, error in zip(ACTIONS, errors, strict=True)
    ],
)
def test_workflow_matrix(
    status: str,
    settlement_day: date | None,
    today: date,
    action: str,
    error: type[DomainError] | None,
) -> None:
    check = ACTIONS[action]
    if error is None:
        check(status, settlement_day, today)
    else:
        with pytest.raises(error) as raised:
            check(status, settlement_day, today)
        assert type(raised.value) is error
