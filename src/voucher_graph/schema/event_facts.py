"""Derived event facts for resolvers: amounts, settlement date and reported status.

Computed by the domain functions from batched loads; cached per request so that an
event's amounts, a copay statement and a balance never disagree within a response.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from ..data import models as m
from ..domain.amounts import (
    Amounts,
    EventFacts,
    balance_amounts,
    regular_amounts,
    used_amount,
    used_units,
)
from ..domain.settlement import reported_status, settlement_date
from .context import Context


def facts(event: m.Event) -> EventFacts:
    return EventFacts(
        id=event.id,
        content_id=event.content_id,
        service_date=event.service_date,
        units=event.units,
        unit_price=event.unit_price,
        status=event.status,
        deleted=event.deleted,
    )


async def amounts_of_pp(ctx: Context, pp: m.PurchasingPower) -> dict[str, Amounts]:
    """Amounts of every non-deleted event of one purchasing power (one batched load)."""
    cached = ctx.amounts_cache.get(pp.id)
    if cached is not None:
        return cached
    events = [facts(e) for e in await ctx.loaders.events_of_pp.load(pp.id)]
    if pp.kind == "BALANCE":
        result = balance_amounts(events, pp.granted_amount or Decimal("0"))
    else:
        values = {c.content_id: c.unit_value for c in await ctx.loaders.pp_contents.load(pp.id)}
        result = {e.id: regular_amounts(e, values.get(e.content_id, Decimal("0"))) for e in events}
    ctx.amounts_cache[pp.id] = result
    return result


async def event_amounts(ctx: Context, event: m.Event) -> Amounts:
    pp = await ctx.loaders.pp.load(event.purchasing_power_id)
    return (await amounts_of_pp(ctx, pp))[event.id]


async def event_settlement_date(ctx: Context, event: m.Event) -> date | None:
    pp = await ctx.loaders.pp.load(event.purchasing_power_id)
    dates = await ctx.loaders.settlement_dates.load(pp.organizer_id)
    return settlement_date(dates, event.status, event.recorded_on, event.approved_on)


async def event_status(ctx: Context, event: m.Event) -> str:
    return reported_status(event.status, await event_settlement_date(ctx, event), ctx.today)


async def pp_used_units(ctx: Context, pp_id: str, content_id: str) -> Decimal:
    events = [facts(e) for e in await ctx.loaders.events_of_pp.load(pp_id)]
    return used_units(events, content_id)


async def pp_used_amount(ctx: Context, pp: m.PurchasingPower) -> Decimal:
    events = [facts(e) for e in await ctx.loaders.events_of_pp.load(pp.id)]
    return used_amount(events, pp.granted_amount or Decimal("0"))
