"""Customer search and keyset paging, on top of the viewer's authorized customers."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from . import models as m


class BadCursor(ValueError):
    """The `after` cursor was not made by this API."""


@dataclass(frozen=True)
class CustomerSearch:
    name_words: tuple[str, ...] = ()
    ssn: str | None = None
    voucher_number: str | None = None


@dataclass(frozen=True)
class Page:
    customers: list[m.Customer]
    total_count: int
    has_next_page: bool


# A cursor names only the customer's id: the ordering keys are its (lower-cased) names,
# which a REPORTER must never receive, not even base64-encoded inside a cursor.
def encode_cursor(customer: m.Customer) -> str:
    raw = json.dumps([customer.id])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    """The customer id inside a cursor made by `encode_cursor`, or BadCursor."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
    except (ValueError, UnicodeError) as exc:
        raise BadCursor("after is not a cursor of this list") from exc
    if not (isinstance(value, list) and len(value) == 1 and isinstance(value[0], str)):
        raise BadCursor("after is not a cursor of this list")
    return value[0]


def _like_prefix(word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"


def _code_point(column: Any, dialect: str) -> Any:
    # PostgreSQL compares text by its collation; "C" compares code points as SQLite does.
    return column.collate("C") if dialect == "postgresql" else column


def _criteria(search: CustomerSearch, visible_pps: Select[Any]) -> list[ColumnElement[bool]]:
    criteria: list[ColumnElement[bool]] = []
    for word in search.name_words:
        criteria.append(
            exists(
                select(m.CustomerNameWord.customer_id).where(
                    m.CustomerNameWord.customer_id == m.Customer.id,
                    m.CustomerNameWord.word.like(_like_prefix(word), escape="\\"),
                )
            )
        )
    if search.ssn is not None:
        criteria.append(m.Customer.ssn == search.ssn)
    if search.voucher_number is not None:
        pps = visible_pps.subquery()
        criteria.append(
            exists(
                select(pps.c.id).where(
                    pps.c.customer_id == m.Customer.id,
                    pps.c.voucher_number == search.voucher_number,
                )
            )
        )
    return criteria


async def search_customers(
    session: AsyncSession,
    visible_customers: Select[Any],
    visible_pps: Select[Any],
    search: CustomerSearch,
    *,
    first: int,
    after: str | None,
) -> Page:
    """A page of visible customers matching every criterion, and the total (2 statements,
    3 with `after`)."""
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    criteria = _criteria(search, visible_pps)
    matching = visible_customers.where(*criteria)

    last = _code_point(m.Customer.last_name_lower, dialect)
    first_name = _code_point(m.Customer.first_name_lower, dialect)
    ident = _code_point(m.Customer.id, dialect)
    page = matching
    if after is not None:
        # The keys of the cursor's customer, if the viewer still sees it; one that is
        # absent or hidden is refused exactly alike, so a cursor reveals nothing.
        keys = (
            await session.execute(
                visible_customers.with_only_columns(
                    m.Customer.last_name_lower, m.Customer.first_name_lower, m.Customer.id
                ).where(m.Customer.id == decode_cursor(after))
            )
        ).first()
        if keys is None:
            raise BadCursor("after is not a cursor of this list")
        a_last, a_first, a_id = keys
        page = page.where(
            or_(
                last > a_last,
                and_(last == a_last, first_name > a_first),
                and_(last == a_last, first_name == a_first, ident > a_id),
            )
        )
    page = page.order_by(last, first_name, ident).limit(first + 1)
    rows = list((await session.scalars(page)).all())
    total = await session.scalar(select(func.count()).select_from(matching.subquery()))
    return Page(
        customers=rows[:first], total_count=int(total or 0), has_next_page=len(rows) > first
    )
