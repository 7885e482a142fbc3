"""Customer search and keyset paging, on top of the viewer's authorized customers."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    exists,
    func,
    select,
    tuple_,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import BinaryExpression, BindParameter, BooleanClauseList
from sqlalchemy.sql.selectable import ScalarSelect

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
        # A prefix LIKE: an index range on PostgreSQL too (varchar_pattern_ops, 0002).
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
        # The one purchasing power with this number, checked against the viewer's
        # purchasing-power rules for that row alone: never the whole visible set.
        criteria.append(
            exists(
                visible_pps.with_only_columns(m.PurchasingPower.id).where(
                    m.PurchasingPower.voucher_number == search.voucher_number,
                    m.PurchasingPower.customer_id == m.Customer.id,
                )
            )
        )
    return criteria


def _visible_keys(visible_customers: Select[Any]) -> Any:
    """The customer ids of `customers.id IN (keys)`, the shape of the policy's statement.

    Counting these keys reads only the relation's indexes (rule A's
    provider_customers, rules B and C's purchasing powers), not the customers table;
    every key is a customer (foreign keys). None for any other shape.
    """
    where = visible_customers.whereclause
    if (
        isinstance(where, BinaryExpression)
        and where.operator is operators.in_op
        and isinstance(where.right, ScalarSelect)
        and isinstance(where.left, ColumnElement)
        and where.left.compare(m.Customer.id.expression)
    ):
        return where.right.element
    return None


def _one_per_customer(keys: Any) -> bool:
    """Whether `keys` cannot name a customer twice: rule A's relation for one provider.

    (provider_id, customer_id) is its primary key, so with the provider fixed by an
    equality the ids are distinct already, and counting needs no DISTINCT (a hash of
    every visible id) but only the covering index's range.
    """
    if not isinstance(keys, Select):
        return False
    froms = keys.get_final_froms()
    table = getattr(froms[0], "element", froms[0]) if len(froms) == 1 else None  # unalias
    if getattr(table, "name", None) != m.ProviderCustomer.__tablename__:
        return False
    provider = froms[0].c.provider_id
    where = keys.whereclause
    clauses = list(where.clauses) if isinstance(where, BooleanClauseList) else [where]
    return any(
        isinstance(c, BinaryExpression)
        and c.operator is operators.eq
        and isinstance(c.left, ColumnElement)
        and c.left.compare(provider)
        and isinstance(c.right, BindParameter)
        for c in clauses
    ) and (not isinstance(where, BooleanClauseList) or where.operator is operators.and_)


async def _total(
    session: AsyncSession,
    visible_customers: Select[Any],
    matching: Select[Any],
    criteria: list[ColumnElement[bool]],
) -> int:
    keys = _visible_keys(visible_customers) if not criteria else None
    if keys is not None and _one_per_customer(keys):
        statement = select(func.count()).select_from(keys.subquery())
    elif keys is not None:
        key = keys.subquery().c[0]
        statement = select(func.count()).select_from(select(key).distinct().subquery())
    else:
        statement = matching.with_only_columns(func.count(), maintain_column_froms=True)
    return int(await session.scalar(statement) or 0)


async def search_customers(
    session: AsyncSession,
    visible_customers: Select[Any],
    visible_pps: Select[Any],
    search: CustomerSearch,
    *,
    first: int,
    after: str | None,
) -> Page:
    """A page of visible customers matching every criterion, and the total.

    The page walks the name-order index from the cursor (keyset) and checks each row
    against the criteria and the viewer's rules, so it costs what a page costs. The
    total is a separate count only when the page does not already tell it: a first
    page without a next page is the whole answer (so an ssn or voucherNumber lookup is
    one statement, the same whether its customer is absent or hidden). Statements: 1 or
    2, plus 1 with `after` (the cursor's customer, checked like any other row).
    """
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    criteria = _criteria(search, visible_pps)
    matching = visible_customers.where(*criteria)

    order = tuple_(
        _code_point(m.Customer.last_name_lower, dialect),
        _code_point(m.Customer.first_name_lower, dialect),
        _code_point(m.Customer.id, dialect),
    )
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
        # A row comparison: an index range on (last, first, id), not a filter.
        page = page.where(order > tuple_(*keys))
    page = page.order_by(*order.clauses).limit(first + 1)
    rows = list((await session.scalars(page)).all())
    if after is None and len(rows) <= first:
        total = len(rows)
    else:
        total = await _total(session, visible_customers, matching, criteria)
    return Page(customers=rows[:first], total_count=total, has_next_page=len(rows) > first)
