"""The bounds of an event's units and unit price (DOMAIN.md, Events)."""

from decimal import Decimal

from voucher_graph.domain.errors import BadInput
from voucher_graph.domain.money import ZERO

MAX_UNITS = Decimal("9999.99")
MAX_UNIT_PRICE = Decimal("99999.99")


def check_event_values(units: Decimal, unit_price: Decimal) -> None:
    """Units in (0, 9,999.99], unit price in [0.00, 99,999.99]; otherwise BadInput.

    Decimal places are the parser's concern (money.parse_decimal, the Decimal scalar);
    without the ceilings one event could make a statement's totals absurd."""
    if units <= ZERO:
        raise BadInput("units must be greater than zero")
    if units > MAX_UNITS:
        raise BadInput(f"units must be at most {MAX_UNITS}")
    if unit_price < ZERO:
        raise BadInput("unitPrice must not be negative")
    if unit_price > MAX_UNIT_PRICE:
        raise BadInput(f"unitPrice must be at most {MAX_UNIT_PRICE}")
