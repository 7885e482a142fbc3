"""Statements behind the copay statement and the reports: each one query, whatever the size."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ..domain.amounts import COUNTING
from ..domain.settlement import SETTLEABLE
from . import models as m

_COUNTING = sorted(status.value for status in COUNTING)
_SETTLEABLE = sorted(status.value for status in SETTLEABLE)


async def statement_events(
    session: AsyncSession,
    events_scope: Select[Any],
    *,
    customer_id: str,
    service_id: str,
    from_date: date,
    to_date: date,
) -> list[m.Event]:
    """The counting events of one customer and service in the period, within the viewer's
    authorized events, ordered by service date then id (code points, as Python orders str)."""
    pps_of_service = select(m.PurchasingPower.id).where(
        m.PurchasingPower.customer_id == customer_id,
        m.PurchasingPower.service_id == service_id,
    )
    statement = events_scope.where(
        m.Event.customer_id == customer_id,
        m.Event.purchasing_power_id.in_(pps_of_service),
        m.Event.service_date >= from_date,
        m.Event.service_date <= to_date,
        m.Event.status.in_(_COUNTING),
        m.EVENT_NOT_DELETED,
    )
    rows = list((await session.scalars(statement)).all())
    rows.sort(key=lambda e: (e.service_date, e.id))
    return rows


async def settlement_candidates(
    session: AsyncSession,
    *,
    provider_id: str,
    organizer_id: str,
    after: date | None,
    until: date,
) -> list[m.Event]:
    """The provider's settleable events of the organizer that became settleable in
    (after, until]: a superset of those settled on `until`; the caller applies the
    domain rule to each. Narrowing here keeps the report independent of history size."""
    # domain.settlement.settleable_on, in SQL.
    settleable_on = func.coalesce(m.Event.approved_on, m.Event.recorded_on)
    statement = (
        select(m.Event)
        .join(m.PurchasingPower, m.PurchasingPower.id == m.Event.purchasing_power_id)
        .where(
            m.Event.provider_id == provider_id,
            m.PurchasingPower.organizer_id == organizer_id,
            m.EVENT_NOT_DELETED,
            m.Event.status.in_(_SETTLEABLE),
            settleable_on <= until,
        )
    )
    if after is not None:
        statement = statement.where(settleable_on > after)
    return list((await session.scalars(statement)).all())


async def correction_requests(
    session: AsyncSession, organizer_id: str
) -> list[m.CorrectionRequest]:
    """The organizer's correction requests, oldest first (ties by id, code points)."""
    rows = list(
        (
            await session.scalars(
                select(m.CorrectionRequest).where(m.CorrectionRequest.organizer_id == organizer_id)
            )
        ).all()
    )
    rows.sort(key=lambda r: (r.created_on, r.id))
    return rows


async def organizer(session: AsyncSession, organizer_id: str) -> m.Organizer | None:
    return await session.get(m.Organizer, organizer_id)


async def provider(session: AsyncSession, provider_id: str) -> m.Provider | None:
    return await session.get(m.Provider, provider_id)
