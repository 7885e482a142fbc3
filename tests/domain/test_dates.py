"""Tests of Helsinki today, the 3-year window and strict date input."""

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from voucher_graph.domain.dates import helsinki_today, in_window, parse_date, window_start
from voucher_graph.domain.errors import BadInput


@pytest.mark.parametrize(
    ("today", "start"),
    [
        (date(2026, 3, 15), date(2023, 3, 15)),
        (date(2026, 1, 1), date(2023, 1, 1)),
        (date(2024, 2, 29), date(2021, 2, 28)),
        (date(2027, 2, 28), date(2024, 2, 28)),
        (date(2027, 3, 1), date(2024, 3, 1)),
    ],
)
def test_window_starts_three_years_back(today: date, start: date) -> None:
    assert window_start(today) == start


@pytest.mark.parametrize(
    ("day", "today", "inside"),
    [
        (date(2023, 3, 15), date(2026, 3, 15), True),
        (date(2023, 3, 14), date(2026, 3, 15), False),
        (date(2026, 3, 15), date(2026, 3, 15), True),
        (date(2027, 1, 1), date(2026, 3, 15), True),  # future days are inside
        (date(2021, 2, 28), date(2024, 2, 29), True),
        (date(2021, 2, 27), date(2024, 2, 29), False),
        (date(2021, 3, 1), date(2024, 2, 29), True),
    ],
)
def test_in_window_on_both_sides_of_the_start(day: date, today: date, inside: bool) -> None:
    assert in_window(day, today) is inside


@pytest.mark.parametrize(
    ("now", "today"),
    [
        (datetime(2026, 1, 15, 21, 59, tzinfo=UTC), date(2026, 1, 15)),  # 23:59 EET
        (datetime(2026, 1, 15, 22, 0, tzinfo=UTC), date(2026, 1, 16)),  # 00:00 EET
        (datetime(2026, 7, 15, 20, 59, tzinfo=UTC), date(2026, 7, 15)),  # 23:59 EEST
        (datetime(2026, 7, 15, 21, 0, tzinfo=UTC), date(2026, 7, 16)),  # 00:00 EEST
        (datetime(2026, 7, 16, 0, 30, tzinfo=timezone(timedelta(hours=-5))), date(2026, 7, 16)),
    ],
)
def test_helsinki_today_follows_helsinki_midnight(now: datetime, today: date) -> None:
    assert helsinki_today(now) == today


def test_helsinki_today_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError):
        helsinki_today(datetime(2026, 1, 15, 12, 0))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-01-05", date(2026, 1, 5)),
        ("2024-02-29", date(2024, 2, 29)),
        ("0001-01-01", date(1, 1, 1)),
        ("9999-12-31", date(9999, 12, 31)),
    ],
)
def test_parse_date_accepts_iso_days(text: str, expected: date) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "2026-02-30",
        "2025-02-29",
        "2026-13-01",
        "2026-00-10",
        "2026-01-00",
        "0000-01-01",
        "2026-2-3",
        "26-02-03",
        "2026/02/03",
        "20260203",
        " 2026-02-03",
        "2026-02-03 ",
        "2026-02-03\n",
        "2026-02-03T00:00",
        "+2026-02-03",
        "２０２６-02-03",  # full-width digits
    ],
)
def test_parse_date_rejects_anything_else(text: str) -> None:
    with pytest.raises(BadInput, match=r"serviceDate is not a valid date \(YYYY-MM-DD\)"):
        parse_date(text, field="serviceDate")
