"""`Date` (YYYY-MM-DD) and `Decimal` (exactly two decimals) as CONTRACT.md defines them."""

from __future__ import annotations

import datetime
import decimal

import strawberry
from strawberry.types.scalar import ScalarDefinition

from ..domain.dates import parse_date
from ..domain.errors import BadInput
from ..domain.money import format_decimal, parse_decimal


def _parse_date(value: object) -> datetime.date:
    if not isinstance(value, str):
        raise BadInput("a Date is a string YYYY-MM-DD")
    return parse_date(value)


def _parse_decimal(value: object) -> decimal.Decimal:
    # Strings per the contract; plain JSON numbers are accepted when they are integers
    # or short decimals, since clients write `units: 2` naturally.
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise BadInput('a Decimal is a string such as "12.50"')
    return parse_decimal(str(value), field="Decimal", non_negative=False)


DateScalar = strawberry.scalar(
    name="Date",
    description="A calendar date, YYYY-MM-DD.",
    serialize=datetime.date.isoformat,  # a date's own method: no Python frame per value
    parse_value=_parse_date,
)

DecimalScalar = strawberry.scalar(
    name="Decimal",
    description='An exact decimal as a string with two decimals, such as "12.50".',
    serialize=format_decimal,
    parse_value=_parse_decimal,
)

# Python's date and Decimal map to these scalars everywhere in the schema.
SCALAR_MAP: dict[object, ScalarDefinition] = {
    datetime.date: DateScalar,
    decimal.Decimal: DecimalScalar,
}
