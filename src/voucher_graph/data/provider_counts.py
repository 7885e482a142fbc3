"""A provider's exact count of visible customers, from a few thousand rows instead of
every pair.

Rule A (policies/polar) selects a provider's customers from rule A's relation: the
policy's statement is `SELECT pc.customer_id FROM provider_customers pc WHERE φ`, with φ
a condition on the pair's provider and facts (`last_date`, `reservation_open`).
Counting that set read every key of the provider's range: 250,000 for the biggest
provider at a million customers (20 ms), 1,900 at ten thousand.

`provider_customer_counts` holds the relation grouped by exactly those columns: per
provider, date and open state, how many pairs have them. φ reads nothing else, so it
holds for every pair of a class or for none, and the count is the sum of the classes
on which φ holds: the policy's own condition, evaluated on the classes (`restate`
refuses a φ that reads anything else, the customer for one, and the count then reads
the pairs as before). A provider has one class per date and open state its pairs
have: 5,022 for the biggest provider at a million customers (295,190 pairs),
bounded by the calendar however many customers it has.

The classes are kept in the same transaction as every write of a pair
(`count_change`, called by access_relation with the pair's facts before and after).
An upsert adds or subtracts one, so concurrent writers of one class queue on its row
and each adds to the other's committed count; a change touches its two classes in key
order, so two writers moving pairs between the same two classes cannot deadlock. A
class that reaches zero keeps its row (deleting it could race with a writer adding
to it); there are never more rows than dates.
"""

from __future__ import annotations

from datetime import date
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Select,
    Table,
    case,
    delete,
    distinct,
    func,
    insert,
    select,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from . import models as m
from .scoped_words import condition_on

PAIRS = cast(Table, m.ProviderCustomer.__table__)
COUNTS = cast(Table, m.ProviderCustomerCount.__table__)
# What φ may read for the classes to answer for it: the columns they group by.
_CLASS_COLUMNS = ("provider_id", "last_date", "reservation_open")

# A pair's facts as the classes group them: (last_date, reservation_open).
Facts = tuple[date | None, bool]


def _date_key(last_date: Any) -> Any:
    return func.coalesce(last_date, m.NO_DATE)


async def derive_provider_counts(session: AsyncSession) -> None:
    """(Re)build the classes from rule A's relation, on the server (called with it)."""
    await session.execute(delete(COUNTS))
    classes = select(
        PAIRS.c.provider_id,
        _date_key(PAIRS.c.last_date).label("date_key"),
        PAIRS.c.reservation_open,
        PAIRS.c.last_date,
        func.count().label("customer_count"),
    ).group_by(PAIRS.c.provider_id, PAIRS.c.last_date, PAIRS.c.reservation_open)
    await session.execute(
        insert(COUNTS).from_select(list(classes.selected_columns.keys()), classes)
    )


async def count_change(
    session: AsyncSession, provider_id: str, before: Facts | None, after: Facts
) -> None:
    """Move one pair of `provider_id` from class `before` (None: a new pair) to `after`.

    Call it under the pair's row lock, with the facts the pair had and has now."""
    if before == after:
        return
    changes = [(after, 1)] if before is None else [(before, -1), (after, 1)]
    # Key order: a writer moving a pair from class X to Y and another from Y to X take
    # the two row locks in the same order (an INSERT's rows are written in order).
    rows = [
        {
            "provider_id": provider_id,
            "date_key": last_date if last_date is not None else m.NO_DATE,
            "reservation_open": is_open,
            "last_date": last_date,
            "customer_count": step,
        }
        for (last_date, is_open), step in sorted(changes, key=lambda c: _sort_key(c[0]))
    ]
    dialect = session.get_bind().dialect.name
    dialect_insert = pg_insert if dialect == "postgresql" else sqlite_insert
    upsert = dialect_insert(COUNTS).values(rows)
    await session.execute(
        upsert.on_conflict_do_update(
            index_elements=[COUNTS.c.provider_id, COUNTS.c.date_key, COUNTS.c.reservation_open],
            set_={"customer_count": COUNTS.c.customer_count + upsert.excluded.customer_count},
        )
    )


def _sort_key(facts: Facts) -> tuple[date, bool]:
    last_date, is_open = facts
    return (last_date if last_date is not None else m.NO_DATE, is_open)


def provider_count_statement(keys: Select[Any]) -> Select[Any] | None:
    """The number of customers in `keys`, from the classes on which the policy's φ
    holds; None unless `keys` is `SELECT pc.customer_id FROM provider_customers pc
    WHERE φ` with φ reading only the columns the classes group by.

    A pair is one customer of one provider, so when the matching classes are of one
    provider their sum counts distinct customers, and φ holds for a pair exactly when
    it holds for its class. Should φ ever match classes of two providers (a customer
    may be a pair of each), the same statement counts the policy's keys with DISTINCT
    instead, as `service_sets.set_count_statement` does for organizers.
    """
    condition: ColumnElement[bool] | None = condition_on(keys, PAIRS, _CLASS_COLUMNS, COUNTS)
    if condition is None:
        return None
    distinct_keys = select(func.count()).select_from(keys.distinct().subquery()).scalar_subquery()
    return select(
        case(
            (
                func.count(distinct(COUNTS.c.provider_id)) <= 1,
                func.coalesce(func.sum(COUNTS.c.customer_count), 0),
            ),
            else_=distinct_keys,
        )
    ).where(condition)
