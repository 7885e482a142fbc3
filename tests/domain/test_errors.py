"""Tests of the domain exceptions' error codes."""

import pytest

from voucher_graph.domain.errors import (
    BadInput,
    DomainError,
    Forbidden,
    InvalidState,
    NoReservation,
    NotFound,
    SettlementClosed,
)


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (BadInput, "BAD_USER_INPUT"),
        (InvalidState, "INVALID_STATE"),
        (SettlementClosed, "SETTLEMENT_CLOSED"),
        (NoReservation, "NO_RESERVATION"),
        (Forbidden, "FORBIDDEN"),
        (NotFound, "NOT_FOUND"),
    ],
)
def test_each_error_carries_its_contract_code(error: type[DomainError], code: str) -> None:
    raised = error("what went wrong")
    assert isinstance(raised, DomainError)
    assert raised.code == code
    assert raised.message == str(raised) == "what went wrong"
