"""The database side of the write commands: row locks, lookups and writes.

Every lock here is `SELECT ... FOR UPDATE` on PostgreSQL. On SQLite, which has no row
locks, it is a no-op write that takes the database's write lock at once (see
`_sqlite_write_lock`). Locks are taken in one order, purchasing power
before event, so that two commands never wait on each other in a cycle. Writes that may
hit a unique constraint run in a savepoint, so that losing a race leaves the request's
transaction usable (PostgreSQL aborts a whole transaction on a failed statement).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, and_, delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from . import models as m
from .access_relation import refresh_provider_customer


class NumberTaken(Exception):
    """Another customer of the provider already has this customer number."""


def new_id(prefix: str) -> str:
    """An API-assigned id: the prefix and 32 hex digits."""
    return f"{prefix}-{uuid.uuid4().hex}"


async def visible_by_id(session: AsyncSession, authorized: Select[Any], row_id: str) -> Any:
    """The row with this id among the viewer's authorized rows (a policy statement), or None."""
    model = authorized.column_descriptions[0]["entity"]
    result = await session.scalars(authorized.where(model.id == row_id).limit(1))
    return result.first()


async def _sqlite_write_lock(session: AsyncSession, column: Any, row_id: str) -> None:
    """On SQLite, begin the write transaction now with a write that changes nothing.

    pysqlite sends BEGIN only before the first write, so without it the reads that
    decide a write are not serialized with other writers, and a SAVEPOINT opened
    outside a transaction commits at its RELEASE, which the request could not undo.
    """
    if session.get_bind().dialect.name != "sqlite":
        return
    model = column.class_
    await session.execute(
        update(model)
        .where(model.id == row_id)
        .values({column.key: column})
        .execution_options(synchronize_session=False)
    )


async def _locked(session: AsyncSession, column: Any, row_id: str) -> Any:
    """The row of `column`'s table with this id, as committed now, locked until commit."""
    await _sqlite_write_lock(session, column, row_id)
    model = column.class_
    # populate_existing: a copy read earlier in the request (the visibility check) may
    # be stale by the time the lock is granted.
    statement = (
        select(model)
        .where(model.id == row_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.scalars(statement)).one()


async def lock_purchasing_power(session: AsyncSession, pp_id: str) -> m.PurchasingPower:
    """The purchasing power, locked: recordings on it queue here for the review threshold."""
    row: m.PurchasingPower = await _locked(session, m.PurchasingPower.voucher_number, pp_id)
    return row


async def lock_event(session: AsyncSession, event_id: str) -> m.Event:
    """The event, locked: an edit, a delete or a review of it queue here."""
    row: m.Event = await _locked(session, m.Event.description, event_id)
    return row


async def settlement_dates(session: AsyncSession, organizer_id: str) -> list[date]:
    rows = await session.scalars(
        select(m.SettlementDate.day).where(m.SettlementDate.organizer_id == organizer_id)
    )
    return list(rows.all())


async def purchasing_power(session: AsyncSession, pp_id: str) -> m.PurchasingPower:
    return (
        await session.scalars(select(m.PurchasingPower).where(m.PurchasingPower.id == pp_id))
    ).one()


async def pp_content(
    session: AsyncSession, pp_id: str, content_id: str
) -> m.PurchasingPowerContent | None:
    """A regular purchasing power's grant for one content, or None."""
    return await session.get(m.PurchasingPowerContent, (pp_id, content_id))


async def service_has_content(session: AsyncSession, service_id: str, content_id: str) -> bool:
    found = await session.scalar(
        select(m.Content.id).where(m.Content.id == content_id, m.Content.service_id == service_id)
    )
    return found is not None


async def has_reservation(
    session: AsyncSession, provider_id: str, pp_id: str, content_id: str, day: date
) -> bool:
    """Whether the provider has a reservation for the content whose period covers `day`."""
    found = await session.scalar(
        select(m.Reservation.id)
        .where(
            m.Reservation.provider_id == provider_id,
            m.Reservation.purchasing_power_id == pp_id,
            m.Reservation.content_id == content_id,
            m.Reservation.valid_from <= day,
            or_(m.Reservation.valid_to.is_(None), m.Reservation.valid_to >= day),
        )
        .limit(1)
    )
    return found is not None


@dataclass(frozen=True)
class UnitsRow:
    """The facts of another event that the review threshold needs."""

    units: Decimal
    status: str


async def other_events_units(
    session: AsyncSession, pp_id: str, content_id: str, excluding: str | None
) -> list[UnitsRow]:
    """Units and status of the non-deleted events on a content, but the one being edited.

    Read as plain columns, not ORM rows, so that the identity map cannot serve stale
    values: called after the purchasing power is locked, this sees every commit before.
    """
    statement = select(m.Event.units, m.Event.status).where(
        m.Event.purchasing_power_id == pp_id,
        m.Event.content_id == content_id,
        m.EVENT_NOT_DELETED,
    )
    if excluding is not None:
        statement = statement.where(m.Event.id != excluding)
    rows = await session.execute(statement)
    return [UnitsRow(units=units, status=status) for units, status in rows]


async def event_by_idempotency_key(session: AsyncSession, user_id: str, key: str) -> m.Event | None:
    """The event the user recorded with this key, if any."""
    return (
        await session.scalars(
            select(m.Event).where(
                and_(m.Event.recorded_by == user_id, m.Event.idempotency_key == key)
            )
        )
    ).first()


async def insert_event(session: AsyncSession, event: m.Event) -> m.Event | None:
    """Insert; None when the user's idempotency key was taken meanwhile (a lost race)."""
    try:
        async with session.begin_nested():
            session.add(event)
    except IntegrityError:
        if event.idempotency_key is None or event.recorded_by is None:
            raise
        return None
    return event


async def keep_access(session: AsyncSession, event: m.Event) -> None:
    """Bring rule A's relation up to date with a recorded, edited or deleted event.

    In the request's transaction, so that the relation and the events commit together.
    Called after the event's locks, so the relation row and then its provider's class
    rows (in key order, data/provider_counts.py) are always the last locks taken.
    """
    await session.flush()
    await refresh_provider_customer(session, event.provider_id, event.customer_id)


async def rollback(session: AsyncSession) -> None:
    """Undo everything the request wrote so far."""
    await session.rollback()


async def flush(session: AsyncSession) -> None:
    """Write pending changes now, so that the rest of the request reads them."""
    await session.flush()


async def insert_correction_request(
    session: AsyncSession, request: m.CorrectionRequest
) -> m.CorrectionRequest:
    session.add(request)
    await session.flush()
    return request


async def set_customer_number(
    session: AsyncSession, provider_id: str, customer_id: str, number: str | None
) -> None:
    """Set (or, with None, clear) the provider's number; NumberTaken when another has it."""
    await _sqlite_write_lock(session, m.Customer.first_name, customer_id)
    if number is not None:
        holder = await session.scalar(
            select(m.CustomerNumber.customer_id).where(
                m.CustomerNumber.provider_id == provider_id, m.CustomerNumber.number == number
            )
        )
        if holder is not None and holder != customer_id:
            raise NumberTaken(number)
    try:
        async with session.begin_nested():
            await session.execute(
                delete(m.CustomerNumber).where(
                    m.CustomerNumber.provider_id == provider_id,
                    m.CustomerNumber.customer_id == customer_id,
                )
            )
            if number is not None:
                session.add(
                    m.CustomerNumber(
                        provider_id=provider_id, customer_id=customer_id, number=number
                    )
                )
    except IntegrityError as exc:
        # Another request gave the number to another customer after the check above.
        raise NumberTaken(number or "") from exc
