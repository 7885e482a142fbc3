"""Derived events: what an Event field derives (status, settlement date, amounts,
rights), as `DerivedEvent`, from the domain's `EventFacts` of its voucher's events.

Computed by the domain functions from batched loads; cached per request so that an
event's amounts, a copay statement and a balance never disagree within a response.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from ..data import models as m
from ..domain.amounts import (
    Amounts,
    EventFacts,
    balance_amounts,
    regular_amounts,
    used_amount,
    used_units_by_content,
)
from ..domain.money import ZERO
from ..domain.settlement import (
    is_deletable,
    is_editable,
    reported_status,
    settlement_date,
    settlement_date_in_order,
)
from .context import Context


def facts(event: m.Event) -> EventFacts:
    return EventFacts(
        event.id, event.content_id, event.service_date, event.units, event.unit_price,
        event.status, event.deleted,
    )  # fmt: skip


async def facts_of_pp(ctx: Context, pp_id: str) -> list[EventFacts]:
    """The domain's view of every non-deleted event of one purchasing power."""
    cached = ctx.facts_cache.get(pp_id)
    if cached is None:
        await ctx.loaders.pp_rows([pp_id])
        cached = _facts_of_loaded(ctx, pp_id)
    return cached


def _facts_of_loaded(ctx: Context, pp_id: str) -> list[EventFacts]:
    """As `facts_of_pp`, for a purchasing power whose rows `loaders.vouchers` loaded."""
    cached = ctx.facts_cache.get(pp_id)
    if cached is None:
        cached = [facts(e) for e in ctx.loaders.pp_events(pp_id)]
        ctx.facts_cache[pp_id] = cached
    return cached


def _amounts_of_loaded(ctx: Context, pp: m.PurchasingPower) -> dict[str, Amounts]:
    """Amounts of every non-deleted event of a purchasing power whose rows are loaded."""
    cached = ctx.amounts_cache.get(pp.id)
    if cached is not None:
        return cached
    events = _facts_of_loaded(ctx, pp.id)
    if pp.kind == "BALANCE":
        result = balance_amounts(events, pp.granted_amount or Decimal("0"))
    else:
        values = {c.content_id: c.unit_value for c in ctx.loaders.pp_content_rows(pp.id)}
        result = {e.id: regular_amounts(e, values.get(e.content_id, Decimal("0"))) for e in events}
    ctx.amounts_cache[pp.id] = result
    return result


def _amounts_of_listed(ctx: Context, pp: m.PurchasingPower, event: m.Event) -> Amounts:
    """The amounts of a listed event, computed with its voucher's loaded events.

    Each read sees the database as of its own statement, and a page reads its
    vouchers' rows before its events lists (schema/batch_fields.py,
    `_customer_lists_ahead`): an event recorded in between is listed, but its voucher's
    rows lack it. It joins them then, so that it has amounts as every listed event
    does, computed with it as a later read would (the voucher's other fields read in
    this request after it count it too)."""
    found = _amounts_of_loaded(ctx, pp).get(event.id)
    if found is None:
        ctx.facts_cache[pp.id] = [*_facts_of_loaded(ctx, pp.id), facts(event)]
        ctx.amounts_cache.pop(pp.id, None)
        found = _amounts_of_loaded(ctx, pp)[event.id]
    return found


async def amounts_of_pp(ctx: Context, pp: m.PurchasingPower) -> dict[str, Amounts]:
    """Amounts of every non-deleted event of one purchasing power (one batched load)."""
    await ctx.loaders.pp_rows([pp.id])
    return _amounts_of_loaded(ctx, pp)


async def event_amounts(ctx: Context, event: m.Event) -> Amounts:
    pp = (await ctx.loaders.pp_rows([event.purchasing_power_id]))[event.purchasing_power_id]
    return _amounts_of_loaded(ctx, pp)[event.id]


async def event_settlement_date(ctx: Context, event: m.Event) -> date | None:
    pp = (await ctx.loaders.pp_rows([event.purchasing_power_id]))[event.purchasing_power_id]
    dates = (await ctx.loaders.settlement_dates_by_organizer()).get(pp.organizer_id, [])
    return settlement_date(dates, event.status, event.recorded_on, event.approved_on)


async def event_status(ctx: Context, event: m.Event) -> str:
    return reported_status(event.status, await event_settlement_date(ctx, event), ctx.today)


class DerivedEvent(NamedTuple):
    """Everything an Event field derives, computed once for a list of events (a named
    tuple: one per event shown, built three times faster than a frozen dataclass)."""

    status: str
    settlement_date: date | None
    # None when the list was derived without amounts (`derive_events(amounts=False)`).
    amounts: Amounts | None
    editable: bool
    deletable: bool


def amounts_of(derived: DerivedEvent) -> Amounts:
    """The amounts of an event derived with them."""
    if derived.amounts is None:
        raise RuntimeError("this event's amounts were not derived")
    return derived.amounts


async def derive_events(
    ctx: Context, events: Sequence[m.Event], *, amounts: bool = True
) -> list[DerivedEvent]:
    """Derived facts for a whole list at once: a page of events then resolves its
    fields without one awaitable per field or per event, the loads being shared.

    Amounts need every event of each voucher (two statements). Without them
    (`amounts=False`: no price, voucher share or copay asked for), status, settlement
    date and rights need only the event's organizer, which the reference tables kept
    per process already give: an event's content is one of its voucher's service's
    contents, and a voucher is granted by its service's organizer (both checked on
    every load and write), so the content's service names the voucher's organizer.
    """
    if not events:
        return []
    organizer_of: Callable[[m.Event], str]
    if amounts:
        vouchers = await ctx.loaders.pp_rows(e.purchasing_power_id for e in events)

        def organizer_of(event: m.Event) -> str:
            return vouchers[event.purchasing_power_id].organizer_id  # type: ignore[no-any-return]
    else:
        contents = await ctx.loaders.contents()
        services = await ctx.loaders.services()

        def organizer_of(event: m.Event) -> str:
            return services[contents[event.content_id].service_id].organizer_id  # type: ignore[no-any-return]

    dates_by_organizer = await ctx.loaders.settlement_dates_by_organizer()
    today = ctx.today
    may_change = ctx.gate.may_change_event
    derived: list[DerivedEvent] = []
    for event in events:
        status = event.status
        day = settlement_date_in_order(  # the loader keeps each list in order
            dates_by_organizer.get(organizer_of(event), ()), status, event.recorded_on,
            event.approved_on,
        )  # fmt: skip
        derived.append(
            DerivedEvent(
                reported_status(status, day, today),  # status
                day,  # settlement_date
                (  # amounts
                    _amounts_of_listed(ctx, vouchers[event.purchasing_power_id], event)
                    if amounts
                    else None
                ),
                # The dates first: no policy lookup for an event past its time.
                is_editable(status, day, today) and may_change("edit", event),  # editable
                is_deletable(status, day, today) and may_change("delete", event),  # deletable
            )
        )
    return derived


async def pp_used_units(ctx: Context, pp_id: str, content_id: str) -> Decimal:
    facts = await facts_of_pp(ctx, pp_id)
    # Every content of the voucher from one pass over its events, kept with the very
    # list it was summed from: a listed event joining the facts later
    # (`_amounts_of_listed`) makes a new list, and so a new sum.
    kept = ctx.units_cache.get(pp_id)
    if kept is None or kept[0] is not facts:
        kept = ctx.units_cache[pp_id] = (facts, used_units_by_content(facts))
    return kept[1].get(content_id, ZERO)


async def pp_used_amount(ctx: Context, pp: m.PurchasingPower) -> Decimal:
    if pp.kind != "BALANCE":  # not asked for today; the domain's own definition
        return used_amount(await facts_of_pp(ctx, pp.id), pp.granted_amount or ZERO)
    # The shares its events' amounts already split (`used_amount`, without a second
    # split of the same events): a balance and its events' amounts always agree.
    amounts = await amounts_of_pp(ctx, pp)
    return sum((a.voucher_share for a in amounts.values()), ZERO)
