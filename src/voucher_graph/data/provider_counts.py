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
on which φ holds: the policy's own condition, evaluated on the classes
(`scoped_words.condition_on` gives None for a φ that reads anything else, the customer
for one, and the count then reads the pairs as before). A provider has at most two
classes per date (open or not) and two without a date: 5,022 for the biggest provider
at a million customers (295,190 pairs), bounded by the calendar however many
customers it has.

The classes are kept in the same transaction as every write of a pair: access_relation
tells `count_change` the pair's facts before and after, and the transaction's moves are
written at its commit as one upsert that adds or subtracts (`_write_moves`). Concurrent
writers of one class queue on its row and each adds to the other's committed count;
the rows are taken in key order and last, so writers cannot deadlock on them. A class
that reaches zero keeps its row (deleting it could race with a writer adding to it).
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Select,
    Table,
    delete,
    event,
    func,
    insert,
    select,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from . import models as m
from .scoped_words import condition_on, summed_within_one_scope

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
        PAIRS.c.last_date.is_not(None).label("dated"),
        _date_key(PAIRS.c.last_date).label("date_key"),
        PAIRS.c.reservation_open,
        PAIRS.c.last_date,
        func.count().label("customer_count"),
    ).group_by(PAIRS.c.provider_id, PAIRS.c.last_date, PAIRS.c.reservation_open)
    # Written in key order, so that a provider's classes lie together on disk: a hash
    # aggregate's order spread the biggest provider's 5,022 classes over 1,906 of the
    # table's pages at a million customers, and its count read every one of them.
    classes = classes.order_by(PAIRS.c.provider_id, "dated", "date_key", PAIRS.c.reservation_open)
    await session.execute(
        insert(COUNTS).from_select(list(classes.selected_columns.keys()), classes)
    )


# The class moves of the session's transaction not yet written: {class key: step}.
_PENDING = "provider_class_moves"
ClassKey = tuple[str, bool, date, bool]  # provider, dated, date_key, open: the primary key


def _class_key(provider_id: str, facts: Facts) -> ClassKey:
    last_date, is_open = facts
    return (provider_id, last_date is not None, last_date or m.NO_DATE, is_open)


def count_change(
    session: AsyncSession, provider_id: str, before: Facts | None, after: Facts
) -> None:
    """Note that one pair of `provider_id` moves from class `before` (None: a new pair)
    to `after`. Call it under the pair's row lock, with the facts the pair had and has.

    The move is written when the transaction commits (`_write_moves`), or before a
    total is read in it (`write_pending_moves`), not now: a class row written now would
    stay locked through the rest of the request (a document's later mutations, the
    access log), and a writer of the same provider holding a lock that request waits
    for could then wait on the class row: a deadlock. Written last, in key order, class
    rows are the last locks a transaction takes, held only to its commit.
    """
    if before == after:
        return
    moves: Counter[ClassKey] = session.sync_session.info.setdefault(_PENDING, Counter())
    if before is not None:
        moves[_class_key(provider_id, before)] -= 1
    moves[_class_key(provider_id, after)] += 1


async def write_pending_moves(session: AsyncSession) -> None:
    """Write the transaction's class moves now, so that a total read in the same
    transaction counts them (a request that writes, then reads a total)."""
    if session.sync_session.info.get(_PENDING):
        await session.run_sync(_write_moves)


def _write_moves(session: Session) -> None:
    moves: Counter[ClassKey] | None = session.info.pop(_PENDING, None)
    rows = [
        {
            "provider_id": provider_id,
            "dated": dated,
            "date_key": date_key,
            "reservation_open": is_open,
            "last_date": date_key if dated else None,
            "customer_count": step,
        }
        # Key order: writers moving pairs between the same classes in opposite
        # directions take the rows' locks in the same order (an INSERT writes its rows
        # in order), so they cannot deadlock.
        for (provider_id, dated, date_key, is_open), step in sorted((moves or {}).items())
        if step != 0
    ]
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    dialect_insert = pg_insert if dialect == "postgresql" else sqlite_insert
    upsert = dialect_insert(COUNTS).values(rows)
    session.execute(
        upsert.on_conflict_do_update(
            index_elements=list(COUNTS.primary_key.columns),
            set_={"customer_count": COUNTS.c.customer_count + upsert.excluded.customer_count},
        )
    )


@event.listens_for(Session, "before_commit")
def _write_moves_before_commit(session: Session) -> None:
    # Runs inside the async session's commit (SQLAlchemy runs it in the same greenlet),
    # so the statement is part of the transaction being committed.
    _write_moves(session)


@event.listens_for(Session, "after_rollback")
def _forget_moves(session: Session) -> None:
    session.info.pop(_PENDING, None)


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
    return summed_within_one_scope(keys, COUNTS.c.provider_id, COUNTS.c.customer_count).where(
        condition
    )
