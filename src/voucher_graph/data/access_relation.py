"""Rule A's persisted relation (`provider_customers`): derived in bulk, kept per write."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Date,
    Integer,
    case,
    cast,
    delete,
    func,
    insert,
    literal,
    null,
    select,
    union_all,
)
from sqlalchemy import update as sql_update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from . import models as m
from .scoped_words import PROVIDER_WORDS, derive_provider_words, refresh_provider_words

PC = m.ProviderCustomer


def _facts(provider_id: Any = None, customer_id: Any = None) -> dict[str, Any]:
    """The three facts of rule A, as scalar subqueries over events and reservations.

    With ids given they are correlated to that one pair; `derive_provider_customers`
    computes the same facts grouped over every pair instead.
    """
    events = select(func.max(m.Event.service_date)).where(
        m.Event.provider_id == provider_id,
        m.Event.customer_id == customer_id,
        m.EVENT_NOT_DELETED,
    )
    reservations = (m.Reservation.provider_id == provider_id) & (
        m.Reservation.customer_id == customer_id
    )
    return {
        "last_event_date": events.scalar_subquery(),
        "reservation_open": select(m.Reservation.id)
        .where(reservations, m.Reservation.valid_to.is_(None))
        .exists(),
        "last_reservation_end": select(func.max(m.Reservation.valid_to))
        .where(reservations)
        .scalar_subquery(),
    }


async def derive_provider_customers(session: AsyncSession) -> int:
    """(Re)build the whole relation from events and reservations, on the server.

    One `INSERT ... SELECT ... GROUP BY`: call it after bulk-writing the base tables
    (`load`, `generate`, the migration does the same in SQL). The pairs' name words
    (data/scoped_words.py) are derived with it. The caller owns the transaction.
    Returns the number of (provider, customer) pairs written.
    """
    event_part = select(
        m.Event.provider_id.label("provider_id"),
        m.Event.customer_id.label("customer_id"),
        m.Event.service_date.label("event_date"),
        literal(0, Integer).label("open"),
        cast(null(), Date).label("reservation_end"),
    ).where(m.EVENT_NOT_DELETED)
    reservation_part = select(
        m.Reservation.provider_id,
        m.Reservation.customer_id,
        cast(null(), Date),
        case((m.Reservation.valid_to.is_(None), 1), else_=0),
        m.Reservation.valid_to,
    )
    facts = union_all(event_part, reservation_part).subquery()
    grouped = select(
        facts.c.provider_id,
        facts.c.customer_id,
        func.max(facts.c.event_date),
        func.max(facts.c.open) == 1,
        func.max(facts.c.reservation_end),
    ).group_by(facts.c.provider_id, facts.c.customer_id)
    await session.execute(delete(PROVIDER_WORDS))  # its rows reference the relation's
    await session.execute(delete(PC))
    result = await session.execute(
        insert(PC).from_select(
            [
                "provider_id",
                "customer_id",
                "last_event_date",
                "reservation_open",
                "last_reservation_end",
            ],
            grouped,
        )
    )
    await derive_provider_words(session)
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def refresh_provider_customer(
    session: AsyncSession, provider_id: str, customer_id: str
) -> None:
    """Recompute one pair after its events changed (call after the change is flushed).

    Two statements on purpose. The first creates or locks the pair's row, so that the
    writers of one pair queue there. The second recomputes from the data in a new
    statement: under READ COMMITTED it sees every event change committed by a writer
    that held the lock before, and a writer after us recomputes again. So whatever the
    interleaving, the last to commit wrote a value that counts every committed event.
    A single `INSERT ... ON CONFLICT DO UPDATE SET x = (subquery)` would not do: its
    subquery keeps the snapshot taken before it waited for the lock. The pair's name
    words then copy the facts just written, still under that lock (a third statement).
    """
    dialect = session.get_bind().dialect.name
    dialect_insert = pg_insert if dialect == "postgresql" else sqlite_insert
    upsert = dialect_insert(PC).values(
        provider_id=provider_id, customer_id=customer_id, reservation_open=False
    )
    await session.execute(
        upsert.on_conflict_do_update(
            index_elements=[PC.provider_id, PC.customer_id],
            # Setting a column to itself: no change, but the row is now locked.
            set_={"reservation_open": PC.reservation_open},
        )
    )
    await session.execute(
        sql_update(PC)
        .where(PC.provider_id == provider_id, PC.customer_id == customer_id)
        .values(_facts(provider_id, customer_id))
        .execution_options(synchronize_session=False)
    )
    await refresh_provider_words(session, provider_id, customer_id)
