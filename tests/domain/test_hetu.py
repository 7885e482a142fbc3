"""Tests of the personal identity code (hetu) rules."""

from datetime import date

import pytest

from voucher_graph.domain.errors import BadInput
from voucher_graph.domain.hetu import (
    Hetu,
    HetuError,
    is_valid_hetu,
    make_hetu,
    normalize_hetu,
    parse_hetu,
)


@pytest.mark.parametrize(
    ("code", "birth_date"),
    [
        ("010101+002S", date(1801, 1, 1)),
        ("131052-308T", date(1952, 10, 13)),
        ("010594Y987S", date(1994, 5, 1)),
        ("150680X456V", date(1980, 6, 15)),
        ("150680W456V", date(1980, 6, 15)),
        ("150680V456V", date(1980, 6, 15)),
        ("150680U456V", date(1980, 6, 15)),
        ("290200A1239", date(2000, 2, 29)),
        ("150605B0458", date(2005, 6, 15)),
        ("150605C0458", date(2005, 6, 15)),
        ("150605D0458", date(2005, 6, 15)),
        ("150605E0458", date(2005, 6, 15)),
        ("311299F8997", date(2099, 12, 31)),
    ],
)
def test_every_century_sign_gives_its_century(code: str, birth_date: date) -> None:
    assert parse_hetu(code).birth_date == birth_date


@pytest.mark.parametrize(
    ("code", "valid"),
    [
        ("290296-9015", True),  # 1996 is a leap year
        ("290297-123A", False),  # 1997 is not
        ("290200A1239", True),  # 2000 is a leap year (divisible by 400)
        ("290200-1239", False),  # 1900 is not (divisible by 100)
        ("290200+5557", False),  # nor 1800
        ("290204A999K", True),
    ],
)
def test_29_february_only_in_leap_years(code: str, valid: bool) -> None:
    assert is_valid_hetu(code) is valid


@pytest.mark.parametrize(
    ("code", "individual_number", "temporary"),
    [
        ("010101+002S", 2, False),
        ("311299F8997", 899, False),
        ("291100+900L", 900, True),
        ("290204A999K", 999, True),
    ],
)
def test_individual_numbers_900_and_up_are_temporary(
    code: str, individual_number: int, temporary: bool
) -> None:
    hetu = parse_hetu(code)
    assert (hetu.individual_number, hetu.temporary) == (individual_number, temporary)


@pytest.mark.parametrize("code", ["010100+000E", "010100+001F"])
def test_individual_numbers_000_and_001_are_rejected(code: str) -> None:
    with pytest.raises(HetuError, match="individual number"):
        parse_hetu(code)


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("", "form"),
        ("131052-308", "form"),
        ("131052-308TT", "form"),
        ("131052 308T", "century sign"),
        ("131052G308T", "century sign"),
        ("131052Z308T", "century sign"),
        ("13105a-308T", "form"),
        ("١٣١٠٥٢-308T", "form"),  # Arabic-Indic digits are not ASCII digits
        ("131052-308U", "check character"),
        ("131052-308G", "check character"),  # G is never a check character
        ("321052-308T", "birth date"),
        ("131352-308T", "birth date"),
        ("000152-308T", "birth date"),
    ],
)
def test_malformed_codes_are_rejected_without_echoing(code: str, reason: str) -> None:
    with pytest.raises(HetuError, match=reason) as raised:
        parse_hetu(code)
    assert raised.value.code == "BAD_USER_INPUT"
    if code:
        assert code not in str(raised.value)


def test_hetu_error_is_bad_input() -> None:
    assert issubclass(HetuError, BadInput)


@pytest.mark.parametrize("text", ["131052-308t", " 131052-308T\n", "\t131052-308t "])
def test_lowercase_and_surrounding_space_are_normalized(text: str) -> None:
    assert normalize_hetu(text) == "131052-308T"
    assert parse_hetu(text) == Hetu("131052-308T", date(1952, 10, 13), 308, False)


def test_normalize_rejects_invalid_codes() -> None:
    with pytest.raises(HetuError):
        normalize_hetu("131052-308U")


@pytest.mark.parametrize(
    ("birth_date", "number", "sign", "expected"),
    [
        (date(1952, 10, 13), 308, None, "131052-308T"),
        (date(1801, 1, 1), 2, None, "010101+002S"),
        (date(2000, 2, 29), 123, None, "290200A1239"),
        (date(2004, 2, 29), 999, None, "290204A999K"),
        (date(1994, 5, 1), 987, "Y", "010594Y987S"),
        (date(2005, 6, 15), 45, "E", "150605E0458"),
    ],
)
def test_make_hetu_builds_valid_codes(
    birth_date: date, number: int, sign: str | None, expected: str
) -> None:
    assert make_hetu(birth_date, number, sign) == expected
    assert parse_hetu(expected).birth_date == birth_date


@pytest.mark.parametrize(
    ("birth_date", "number", "sign"),
    [
        (date(1952, 10, 13), 1, None),
        (date(1952, 10, 13), 1000, None),
        (date(1952, 10, 13), 308, "A"),
        (date(1952, 10, 13), 308, "Q"),
        (date(1799, 12, 31), 308, None),
        (date(2100, 1, 1), 308, None),
    ],
)
def test_make_hetu_refuses_what_no_code_can_say(
    birth_date: date, number: int, sign: str | None
) -> None:
    with pytest.raises(HetuError):
        make_hetu(birth_date, number, sign)
