"""Column types shared by the models: exact decimals stored as canonical text."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import String
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class ExactDecimal(TypeDecorator[Decimal]):
    """A Decimal stored as its canonical two-decimal text.

    SQLite has no exact decimal type (its NUMERIC is a float), so money and units are
    stored as text on every database and all arithmetic happens in `domain/` in Python.
    """

    impl = String(32)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return format(Decimal(value).quantize(Decimal("0.01")), "f")

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        return None if value is None else parse_stored(value)


def parse_stored(value: Any) -> Decimal:
    """A stored amount as a Decimal (data/raw_rows.py calls this directly)."""
    # A page holds thousands of amounts but few distinct texts ("1.00", "52.35"):
    # a Decimal is immutable, so equal texts share one (a dict lookup, not a parse).
    found = _PARSED.get(value)
    if found is None:
        if len(_PARSED) >= _PARSED_SIZE:
            _PARSED.clear()
        found = _PARSED[value] = Decimal(value)
    return found


_PARSED: dict[str, Decimal] = {}
_PARSED_SIZE = 65536
