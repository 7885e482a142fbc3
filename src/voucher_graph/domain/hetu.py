"""The Finnish personal identity code (henkilötunnus, hetu): parsing, validation, making."""

import re
from dataclasses import dataclass
from datetime import date

from voucher_graph.domain.errors import BadInput

CHECK_CHARS = "0123456789ABCDEFHJKLMNPRSTUVWXY"

# Every sign of a century maps to its first year; the canonical sign comes first.
CENTURY_SIGNS: dict[str, int] = {
    "+": 1800,
    "-": 1900,
    "Y": 1900,
    "X": 1900,
    "W": 1900,
    "V": 1900,
    "U": 1900,
    "A": 2000,
    "B": 2000,
    "C": 2000,
    "D": 2000,
    "E": 2000,
    "F": 2000,
}
_CANONICAL_SIGNS = {1800: "+", 1900: "-", 2000: "A"}

# [0-9] rather than \d: \d also matches non-ASCII digits, which int() would accept.
_SHAPE = re.compile(r"([0-9]{2})([0-9]{2})([0-9]{2})(.)([0-9]{3})(.)")

FIRST_INDIVIDUAL_NUMBER = 2
FIRST_TEMPORARY_NUMBER = 900
LAST_INDIVIDUAL_NUMBER = 999


class HetuError(BadInput):
    """A malformed personal identity code; the message never repeats the code."""


@dataclass(frozen=True)
class Hetu:
    """A validated personal identity code and what it tells."""

    code: str
    birth_date: date
    individual_number: int
    temporary: bool


def check_char(birth_digits: str, individual_digits: str) -> str:
    """The check character for DDMMYY and ZZZ."""
    return CHECK_CHARS[int(birth_digits + individual_digits) % len(CHECK_CHARS)]


def parse_hetu(text: str) -> Hetu:
    """Validate `text` (surrounding space and case are forgiven) and return what it says."""
    code = text.strip().upper()
    shape = _SHAPE.fullmatch(code)
    if shape is None:
        raise HetuError("personal identity code must have the form DDMMYYCZZZQ")
    day, month, year, sign, individual, check = shape.groups()
    century = CENTURY_SIGNS.get(sign)
    if century is None:
        raise HetuError("personal identity code has an unknown century sign")
    try:
        birth_date = date(century + int(year), int(month), int(day))
    except ValueError:
        raise HetuError("personal identity code has an invalid birth date") from None
    number = int(individual)
    if number < FIRST_INDIVIDUAL_NUMBER:
        raise HetuError("personal identity code has an invalid individual number")
    if check != check_char(day + month + year, individual):
        raise HetuError("personal identity code has a wrong check character")
    return Hetu(
        code=code,
        birth_date=birth_date,
        individual_number=number,
        temporary=number >= FIRST_TEMPORARY_NUMBER,
    )


def normalize_hetu(text: str) -> str:
    """The canonical (trimmed, upper-case) form of a valid code; raises HetuError otherwise."""
    return parse_hetu(text).code


def is_valid_hetu(text: str) -> bool:
    """Whether `text` is a valid personal identity code."""
    try:
        parse_hetu(text)
    except HetuError:
        return False
    return True


def make_hetu(birth_date: date, individual_number: int, sign: str | None = None) -> str:
    """Build a valid code, for demo data and tests; `sign` defaults to the canonical one."""
    century = birth_date.year // 100 * 100
    if century not in _CANONICAL_SIGNS:
        raise HetuError("personal identity codes cover birth years 1800-2099 only")
    if sign is None:
        sign = _CANONICAL_SIGNS[century]
    if CENTURY_SIGNS.get(sign) != century:
        raise HetuError("century sign does not match the birth year")
    if not FIRST_INDIVIDUAL_NUMBER <= individual_number <= LAST_INDIVIDUAL_NUMBER:
        raise HetuError("individual number must be between 002 and 999")
    birth_digits = birth_date.strftime("%d%m") + f"{birth_date.year % 100:02d}"
    individual = f"{individual_number:03d}"
    return birth_digits + sign + individual + check_char(birth_digits, individual)
