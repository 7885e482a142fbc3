"""Exact money and unit arithmetic (rahamäärät): strict parsing, half-up cents, formatting."""

import re
from decimal import (
    ROUND_HALF_UP,
    Context,
    Decimal,
    DivisionByZero,
    Inexact,
    InvalidOperation,
    Overflow,
)

from voucher_graph.domain.errors import BadInput

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
MAX_INTEGER_DIGITS = 12

# Wide enough for any product of two parsed values, so that arithmetic itself never
# rounds: rounding happens in round_cents and nowhere else.
_TRAPS = [InvalidOperation, DivisionByZero, Overflow]
_WIDE = Context(prec=60, traps=_TRAPS)
_EXACT = Context(prec=60, traps=[*_TRAPS, Inexact])

# A plain decimal numeral: optional minus, digits, optional fraction; [0-9] rather
# than \d so that non-ASCII digits are refused.
_NUMERAL = re.compile(r"(-?)([0-9]+)(?:\.([0-9]+))?")


def round_cents(value: Decimal) -> Decimal:
    """Round to the cent, half up: the one place where money is rounded."""
    rounded = value.quantize(CENT, rounding=ROUND_HALF_UP, context=_WIDE)
    # -0.00 would print with its sign; zero has none.
    return rounded if rounded else ZERO


# Prices by (units, unit price): a page of 500 customers asks for about 11,000, of a
# few hundred distinct pairs. Equal decimals (1.5 and 1.50) give the same cents.
_PRICES: dict[tuple[Decimal, Decimal], Decimal] = {}
_PRICES_SIZE = 65536


def price(units: Decimal, unit_price: Decimal) -> Decimal:
    """units × unit price, rounded half up to the cent."""
    key = (units, unit_price)
    found = _PRICES.get(key)
    if found is None:
        if len(_PRICES) >= _PRICES_SIZE:
            _PRICES.clear()
        found = _PRICES[key] = round_cents(_EXACT.multiply(units, unit_price))
    return found


def parse_decimal(
    text: str,
    *,
    field: str = "value",
    max_places: int = 2,
    positive: bool = False,
    non_negative: bool = False,
) -> Decimal:
    """Parse a plain decimal such as "2", "1.5" or "12.50"; raises BadInput naming `field`.

    Refused: exponents, NaN, Infinity, a plus sign, any white space, an empty string,
    a bare point (".5", "5."), more than `max_places` decimals, more than 12 integer
    digits, and a minus sign when `positive` or `non_negative` forbids negatives. The
    value comes back with two decimals (more only when `max_places` allows more).
    """
    shape = _NUMERAL.fullmatch(text)
    if shape is None:
        raise BadInput(f"{field} must be a decimal number such as 12.50")
    minus, integer, fraction = shape.groups()
    if len(integer) > MAX_INTEGER_DIGITS:
        raise BadInput(f"{field} has more than {MAX_INTEGER_DIGITS} integer digits")
    if fraction is not None and len(fraction) > max_places:
        raise BadInput(f"{field} has more than {max_places} decimals")
    if minus and (positive or non_negative):
        raise BadInput(f"{field} must not be negative")
    value = Decimal(text)
    if positive and not value:
        raise BadInput(f"{field} must be greater than zero")
    # Quantizing to at least as many places as were allowed never rounds.
    places = Decimal(1).scaleb(-max(2, max_places))
    exact = value.quantize(places, context=_EXACT)
    return exact if exact else ZERO


# Formatted amounts by value: a page repeats a few prices thousands of times, and
# equal decimals (1.5 and 1.50) format alike, so the value is the key.
_FORMATTED: dict[Decimal, str] = {}
_FORMATTED_SIZE = 65536


def format_decimal(value: Decimal) -> str:
    """The API's form: exactly two decimals, such as "12.50"."""
    text = _FORMATTED.get(value)
    if text is None:
        if len(_FORMATTED) >= _FORMATTED_SIZE:
            _FORMATTED.clear()
        text = _FORMATTED[value] = f"{round_cents(value):f}"
    return text
