"""Rule A's persisted relation (`provider_customers`): derived in bulk, kept per write."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Integer,
    case,
    delete,
    func,
    insert,
    literal,
    select,
    union_all,
)
from sqlalchemy import update as sql_update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from . import models as m
from .provider_counts import Facts, count_change, derive_provider_counts
from .scoped_words import PROVIDER_WORDS, derive_provider_words, refresh_provider_words

PC = m.ProviderCustomer


def _facts(provider_id: Any = None, customer_id: Any = None) -> dict[str, Any]:
    """Rule A's facts of one pair, as scalar subqueries over events and reservations.

    `last_date`: the latest of its non-deleted events' service dates and its
    reservations' ends (an aggregate over both, which skips the NULL end of an open
    reservation in both databases, where GREATEST would not on SQLite).
    `derive_provider_customers` computes the same facts grouped over every pair.
    """
    reservations = (m.Reservation.provider_id == provider_id) & (
        m.Reservation.customer_id == customer_id
    )
    dates = union_all(
        select(m.Event.service_date.label("day")).where(
            m.Event.provider_id == provider_id,
            m.Event.customer_id == customer_id,
            m.EVENT_NOT_DELETED,
        ),
        select(m.Reservation.valid_to).where(reservations, m.Reservation.valid_to.is_not(None)),
    ).subquery()
    return {
        "last_date": select(func.max(dates.c.day)).scalar_subquery(),
        "reservation_open": select(m.Reservation.id)
        .where(reservations, m.Reservation.valid_to.is_(None))
        .exists(),
    }


async def derive_provider_customers(session: AsyncSession) -> int:
    """(Re)build the whole relation from events and reservations, on the server.

    One `INSERT ... SELECT ... GROUP BY`: call it after bulk-writing the base tables
    (`load`, `generate`, the migration does the same in SQL). The pairs' name words
    (data/scoped_words.py) and its classes (data/provider_counts.py) are derived with
    it. The caller owns the transaction.
    Returns the number of (provider, customer) pairs written.
    """
    event_part = select(
        m.Event.provider_id.label("provider_id"),
        m.Event.customer_id.label("customer_id"),
        m.Event.service_date.label("day"),
        literal(0, Integer).label("open"),
    ).where(m.EVENT_NOT_DELETED)
    reservation_part = select(
        m.Reservation.provider_id,
        m.Reservation.customer_id,
        m.Reservation.valid_to,
        case((m.Reservation.valid_to.is_(None), 1), else_=0),
    )
    facts = union_all(event_part, reservation_part).subquery()
    grouped = select(
        facts.c.provider_id,
        facts.c.customer_id,
        func.max(facts.c.day),
        func.max(facts.c.open) == 1,
    ).group_by(facts.c.provider_id, facts.c.customer_id)
    await session.execute(delete(PROVIDER_WORDS))  # its rows reference the relation's
    await session.execute(delete(PC))
    result = await session.execute(
        insert(PC).from_select(
            [
                "provider_id",
                "customer_id",
                "last_date",
                "reservation_open",
            ],
            grouped,
        )
    )
    await derive_provider_words(session)
    await derive_provider_counts(session)
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def refresh_provider_customer(
    session: AsyncSession, provider_id: str, customer_id: str
) -> None:
    """Recompute one pair after its events changed (call after the change is flushed).

    First the pair's row is locked (or created, and so locked), so that the writers of
    one pair queue there; then its facts are recomputed in a new statement: under READ
    COMMITTED that sees every event change committed by a writer that held the lock
    before, and a writer after us recomputes again. So whatever the interleaving, the
    last to commit wrote a value that counts every committed event. A single `INSERT
    ... ON CONFLICT DO UPDATE SET x = (subquery)` would not do: its subquery keeps the
    snapshot taken before it waited for the lock. Still under that lock, the pair's
    name words copy the facts just written, and its provider's classes move it from
    the facts it had to the ones it has (data/provider_counts.py).
    """
    pair = (PC.provider_id == provider_id) & (PC.customer_id == customer_id)
    before = await _lock_pair(session, provider_id, customer_id)
    after = (
        await session.execute(
            sql_update(PC)
            .where(pair)
            .values(_facts(provider_id, customer_id))
            .returning(PC.last_date, PC.reservation_open)
            .execution_options(synchronize_session=False)
        )
    ).one()
    facts = (after[0], bool(after[1]))
    if facts != before:  # else its word rows and its class are already right
        await refresh_provider_words(session, provider_id, customer_id)
        count_change(session, provider_id, before, facts)


async def _lock_pair(session: AsyncSession, provider_id: str, customer_id: str) -> Facts | None:
    """Lock the pair's row and return its facts; create it (None: it is new) if absent.

    An existing pair (the usual case) is one `SELECT ... FOR UPDATE`. An absent one is
    inserted; if another writer inserted it meanwhile, the insert waits for that
    writer's commit and does nothing, and the pair is then locked as an existing one.
    (SQLite has no FOR UPDATE and needs none: it runs one writer at a time.)
    """
    pair = (PC.provider_id == provider_id) & (PC.customer_id == customer_id)
    # FOR NO KEY UPDATE, as an UPDATE of its non-key columns takes: the pair's key never
    # changes, so writers of rows referencing it are not blocked.
    locked = select(PC.last_date, PC.reservation_open).where(pair).with_for_update(key_share=True)
    found = (await session.execute(locked)).first()
    if found is None:
        dialect = session.get_bind().dialect.name
        dialect_insert = pg_insert if dialect == "postgresql" else sqlite_insert
        inserted = await session.execute(
            dialect_insert(PC)
            .values(provider_id=provider_id, customer_id=customer_id, reservation_open=False)
            .on_conflict_do_nothing(index_elements=[PC.provider_id, PC.customer_id])
        )
        if inserted.rowcount == 1:  # type: ignore[attr-defined]
            return None
        found = (await session.execute(locked)).one()
    return (found[0], bool(found[1]))
