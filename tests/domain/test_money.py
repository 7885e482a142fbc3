"""Tests of exact money: strict decimal input, half-up cents and the API's format."""

from decimal import Decimal
from typing import Any

import pytest

from voucher_graph.domain.errors import BadInput
from voucher_graph.domain.money import CENT, format_decimal, parse_decimal, price, round_cents


@pytest.mark.parametrize(
    ("value", "rounded"),
    [
        ("1.005", "1.01"),  # half up; half-even would give 1.00
        ("0.335", "0.34"),
        ("0.125", "0.13"),  # half-even would give 0.12
        ("0.025", "0.03"),
        ("0.0249999", "0.02"),
        ("2.675", "2.68"),  # a float would make this 2.67
        ("12.5", "12.50"),
        ("7", "7.00"),
        ("-0.001", "0.00"),  # no negative zero
    ],
)
def test_round_cents_rounds_half_up(value: str, rounded: str) -> None:
    result = round_cents(Decimal(value))
    assert result == Decimal(rounded)
    assert str(result) == rounded


@pytest.mark.parametrize(
    ("units", "unit_price", "expected"),
    [
        ("1.5", "0.67", "1.01"),  # 1.005
        ("0.5", "0.67", "0.34"),  # 0.335
        ("2.5", "0.01", "0.03"),  # 0.025
        ("0.5", "0.05", "0.03"),  # 0.025
        ("1.5", "45.00", "67.50"),
        ("0.33", "33.33", "11.00"),  # 10.9989
        ("999999999999.99", "999999999999.99", "999999999999980000000000.00"),
    ],
)
def test_price_is_units_times_unit_price_rounded_half_up(
    units: str, unit_price: str, expected: str
) -> None:
    assert price(Decimal(units), Decimal(unit_price)) == Decimal(expected)


def test_cent_is_one_hundredth() -> None:
    assert CENT == Decimal("0.01")


@pytest.mark.parametrize(
    ("text", "flags", "expected"),
    [
        ("1", {}, "1.00"),
        ("1.5", {}, "1.50"),
        ("1.50", {}, "1.50"),
        ("0", {}, "0.00"),
        ("-0.5", {}, "-0.50"),
        ("-0", {}, "0.00"),
        ("007", {}, "7.00"),
        ("999999999999.99", {}, "999999999999.99"),
        ("0", {"non_negative": True}, "0.00"),
        ("0.01", {"positive": True}, "0.01"),
        ("3", {"max_places": 0}, "3.00"),
        ("1.234", {"max_places": 3}, "1.234"),
    ],
)
def test_parse_decimal_accepts_plain_numerals(
    text: str, flags: dict[str, Any], expected: str
) -> None:
    result = parse_decimal(text, **flags)
    assert result == Decimal(expected)
    assert str(result) == expected


@pytest.mark.parametrize(
    ("text", "flags", "reason"),
    [
        ("", {}, "decimal number"),
        ("1e3", {}, "decimal number"),
        ("1E-2", {}, "decimal number"),
        ("NaN", {}, "decimal number"),
        ("sNaN", {}, "decimal number"),
        ("Infinity", {}, "decimal number"),
        ("-Infinity", {}, "decimal number"),
        ("1 000", {}, "decimal number"),
        ("1. 5", {}, "decimal number"),
        (" 1.5", {}, "decimal number"),
        ("1.5 ", {}, "decimal number"),
        ("+1", {}, "decimal number"),
        ("1,5", {}, "decimal number"),
        (".5", {}, "decimal number"),
        ("5.", {}, "decimal number"),
        ("--1", {}, "decimal number"),
        ("1_000", {}, "decimal number"),
        ("１", {}, "decimal number"),  # a full-width digit
        ("1.505", {}, "more than 2 decimals"),
        ("1.5", {"max_places": 0}, "more than 0 decimals"),
        ("1000000000000", {}, "more than 12 integer digits"),
        ("-0.5", {"non_negative": True}, "must not be negative"),
        ("-0.5", {"positive": True}, "must not be negative"),
        ("-0", {"non_negative": True}, "must not be negative"),
        ("0", {"positive": True}, "greater than zero"),
        ("0.00", {"positive": True}, "greater than zero"),
    ],
)
def test_parse_decimal_rejects_with_the_field_named(
    text: str, flags: dict[str, Any], reason: str
) -> None:
    with pytest.raises(BadInput, match=f"^units .*{reason}") as raised:
        parse_decimal(text, field="units", **flags)
    assert raised.value.code == "BAD_USER_INPUT"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("12.5", "12.50"),
        ("12", "12.00"),
        ("0", "0.00"),
        ("-0.00", "0.00"),
        ("1E+3", "1000.00"),
        ("1.005", "1.01"),
        ("-3.2", "-3.20"),
    ],
)
def test_format_decimal_gives_exactly_two_decimals(value: str, text: str) -> None:
    assert format_decimal(Decimal(value)) == text
