"""The bounds of an event's units and unit price (DOMAIN.md, Events)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from voucher_graph.domain.errors import BadInput
from voucher_graph.domain.event_values import check_event_values

ALLOWED = [("0.01", "0.00"), ("9999.99", "99999.99"), ("1", "45.00")]
REFUSED = [
    ("0", "1", "greater than zero"),
    ("-1", "1", "greater than zero"),
    ("10000.00", "1", "units must be at most 9999.99"),
    ("9999.991", "1", "units must be at most"),
    ("1", "-0.01", "must not be negative"),
    ("1", "100000", "unitPrice must be at most 99999.99"),
    ("99999999.99", "99999999999.99", "units must be at most"),
]


@pytest.mark.parametrize(("units", "unit_price"), ALLOWED)
def test_values_within_the_bounds_pass(units: str, unit_price: str) -> None:
    check_event_values(Decimal(units), Decimal(unit_price))


@pytest.mark.parametrize(("units", "unit_price", "message"), REFUSED)
def test_values_outside_the_bounds_are_bad_input(units: str, unit_price: str, message: str) -> None:
    with pytest.raises(BadInput, match=message):
        check_event_values(Decimal(units), Decimal(unit_price))
