"""Calendar rules: Helsinki today, the 3-year window and strict date input."""

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from voucher_graph.domain.errors import BadInput

HELSINKI = ZoneInfo("Europe/Helsinki")
WINDOW_YEARS = 3

# [0-9] rather than \d: \d also matches non-ASCII digits, which int() would accept.
_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")


def window_start(today: date) -> date:
    """The first day inside the 3-year window: the same month and day three years earlier."""
    # 29 February has no twin three years earlier (never a leap year); 28 Feb stands in.
    day = 28 if (today.month, today.day) == (2, 29) else today.day
    return date(today.year - WINDOW_YEARS, today.month, day)


def in_window(day: date, today: date) -> bool:
    """Whether `day` is on or after the window start (future days included)."""
    return day >= window_start(today)


def helsinki_today(now: datetime) -> date:
    """The calendar date in Europe/Helsinki at the instant `now`, which must be tz-aware."""
    if now.tzinfo is None or now.utcoffset() is None:
        # A naive datetime would silently be read as the server's local time.
        raise ValueError("now must be timezone-aware")
    return now.astimezone(HELSINKI).date()


def parse_date(text: str, *, field: str = "date") -> date:
    """Parse strict `YYYY-MM-DD`, a real calendar day; raises BadInput naming `field`."""
    # The message names the field, not the text, so that no input is echoed back.
    shape = _ISO_DATE.fullmatch(text)
    if shape is None:
        raise BadInput(f"{field} is not a valid date (YYYY-MM-DD)")
    year, month, day = (int(part) for part in shape.groups())
    try:
        return date(year, month, day)
    except ValueError:
        raise BadInput(f"{field} is not a valid date (YYYY-MM-DD)") from None


def last_day_in_window(day: date) -> date:
    """The last today whose 3-year window still contains `day` (explaining access:
    until when an event or a reservation end keeps a provider's customer visible).

    Decided by `window_start` itself, 29 February included: from the same day three
    years later (28 Feb for 29 Feb), step on while the next day's window still starts
    on or before `day`.
    """
    later = date(
        day.year + WINDOW_YEARS, day.month, 28 if (day.month, day.day) == (2, 29) else day.day
    )
    while window_start(later + timedelta(days=1)) <= day:
        later += timedelta(days=1)
    while window_start(later) > day:  # never for this rule; kept exact should it change
        later -= timedelta(days=1)
    return later
