"""Level resolvers of the read side's async fields, for the batched executor.

Each resolves one field for every object of a level with one batched load (the same
loaders, and so the same authorized statements, as the per-field resolvers in
types.py); the values must equal what those resolvers return, which
tests/model/test_executor_differential.py checks.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from ..data.loaders import EventsKey, ReservationsKey
from ..domain.errors import BadInput
from . import derived_events
from .access import access_loader
from .context import Context
from .enums import EventStatus
from .executor import BatchedField, Registry
from .query import DEFAULT_COUNT_AT_MOST, capped, customers_connection
from .types import (
    BalancePurchasingPower,
    Content,
    Customer,
    Event,
    PurchasingPower,
    PurchasingPowerContent,
    Reservation,
    Service,
)

Args = Mapping[str, Any]


async def _customer_numbers(ctx: Context, customers: Sequence[Customer], _: Args) -> list[Any]:
    return await ctx.loaders.level(ctx.loaders.customer_number, [c.row.id for c in customers])


async def _regular_pps(ctx: Context, customers: Sequence[Customer], _: Args) -> list[Any]:
    lists = await ctx.loaders.level(ctx.loaders.purchasing_powers, [c.row.id for c in customers])
    return [[PurchasingPower(row=r) for r in rows if r.kind == "REGULAR"] for rows in lists]


async def _balance_pps(ctx: Context, customers: Sequence[Customer], _: Args) -> list[Any]:
    lists = await ctx.loaders.level(ctx.loaders.purchasing_powers, [c.row.id for c in customers])
    return [[BalancePurchasingPower(row=r) for r in rows if r.kind == "BALANCE"] for rows in lists]


async def _reservations(ctx: Context, customers: Sequence[Customer], args: Args) -> list[Any]:
    include_ended = bool(args.get("include_ended", False))
    keys = [ReservationsKey(c.row.id, include_ended, ctx.today) for c in customers]
    lists = await ctx.loaders.level(ctx.loaders.reservations, keys)
    return [[Reservation(row=r) for r in rows] for rows in lists]


# The Event fields derived from every event of the event's voucher.
AMOUNT_FIELDS = frozenset({"price", "voucherShare", "copay"})

# The selections below a Customer whose batched resolvers (below) read the vouchers'
# rows (Loaders.pp_rows and pp_contents): a voucher's contents and their used units, a
# balance voucher's used amount and balance, an event's amounts (`_events`).
VOUCHER_ROW_SELECTIONS = (
    "purchasingPowers.contents",
    "balancePurchasingPowers.usedAmount",
    "balancePurchasingPowers.balance",
    *(f"events.{name}" for name in sorted(AMOUNT_FIELDS)),
)


def _customer_lists_ahead(
    ctx: Context, customers: Sequence[Customer], selected: Mapping[str, list[Args]]
) -> asyncio.Future[None] | None:
    """Before a customer level's loads: its vouchers' rows, when a deeper level will
    read them, are read first (Loaders.read_vouchers_ahead), while Python builds the
    level's lists; and its reservations and events together."""
    ids = [c.row.id for c in customers]
    started = None
    # `events(from:, to:)` with from after to errs without reading (`_events`).
    events = selected.get("events", [])
    erring = bool(events) and _dates_out_of_order(events[0])
    if any(
        p in selected and not (erring and p.startswith("events.")) for p in VOUCHER_ROW_SELECTIONS
    ):
        # Even when no customer of the level turns out to have such a voucher or
        # event (the lazy read would then not have been sent): a request's statements
        # do not depend on what its page holds.
        started = ctx.loaders.read_vouchers_ahead(ids)
    _customer_lists_together(ctx, ids, selected)
    return started


def _customer_lists_together(
    ctx: Context, ids: list[str], selected: Mapping[str, list[Args]]
) -> None:
    """A customer level that selects `reservations` and `events` reads both in one
    statement (Loaders.read_together): the two fields then find them read. With
    several selections of either (aliases with other arguments), the first of each:
    the others' loads read theirs. At every page size, so that a request's statements
    do not depend on it (measured against reading them apart, `ab_servers.py`: pages
    of 10 and 100 0-6 % faster, of 500 1-3 % slower, where the union's wider rows cost
    more than the round trip saved)."""
    reservations, events = selected.get("reservations", []), selected.get("events", [])
    if not reservations or not events or _dates_out_of_order(events[0]):
        return
    ctx.loaders.read_together(
        ids,
        bool(reservations[0].get("include_ended", False)),
        ctx.today,
        events[0].get("from_"),
        events[0].get("to"),
    )


def _dates_out_of_order(args: Args) -> bool:
    """`events(from:, to:)` with from after to (the field errs, types.py)."""
    from_, to = args.get("from_"), args.get("to")
    return from_ is not None and to is not None and bool(from_ > to)


async def _events(
    ctx: Context, customers: Sequence[Customer], args: Args, selected: frozenset[str]
) -> list[Any]:
    from_, to = args.get("from_"), args.get("to")
    if _dates_out_of_order(args):
        # As the Customer.events resolver (types.py): every customer's field errs.
        return [BadInput("from must not be after to") for _ in customers]
    keys = [EventsKey(c.row.id, from_, to) for c in customers]
    lists = await ctx.loaders.level(ctx.loaders.events, keys)
    # One derivation for the events of the whole level (statuses, amounts, rights);
    # the vouchers' rows are read only when an amount is asked for.
    rows = [row for rows in lists for row in rows]
    amounts = not AMOUNT_FIELDS.isdisjoint(selected)
    derived = iter(await derived_events.derive_events(ctx, rows, amounts=amounts))
    status = args.get("status")
    wanted = None if status is None else {s.value for s in status}
    result: list[Any] = []
    for rows in lists:
        events = [Event(row=row, derived=next(derived)) for row in rows]
        if wanted is not None:
            events = [e for e in events if e.derived is not None and e.derived.status in wanted]
        result.append(events)
    return result


async def _customer(
    ctx: Context, roots: Sequence[Any], args: Args, children: Mapping[str, list[Args]]
) -> list[Any]:
    """Query.customer(id), as its resolver (query.py); with `events` selected once, the
    customer's events are read in the same statement and the events level finds them
    loaded (Loaders.customer_with_events): a frontend's customer view, one round trip."""
    customer_id = str(args["id"])
    events = children.get("events", [])
    if len(events) == 1 and not _dates_out_of_order(events[0]):
        key = EventsKey(customer_id, events[0].get("from_"), events[0].get("to"))
        row = await ctx.loaders.customer_with_events(key)
    else:
        row = await ctx.loaders.customer.load(customer_id)
    return [Customer(row=row) if row is not None else None for _ in roots]


async def _customers(
    ctx: Context, roots: Sequence[Any], args: Args, children: Mapping[str, list[Args]]
) -> list[Any]:
    """Query.customers, as its resolver (query.py), with what the selection asks of the
    page's own statement: the total when `totalCount` is selected and the viewer's
    customer numbers when `edges.node.customerNumber` is (two round trips fewer)."""
    connection = await customers_connection(
        ctx,
        **args,
        with_total="totalCount" in children,
        with_numbers="edges.node.customerNumber" in children,
    )
    return [connection for _ in roots]


async def _access(ctx: Context, customers: Sequence[Customer], _: Args) -> list[Any]:
    # The level's customers in one batch of the same loader as Customer.access.
    return list(await access_loader(ctx).load_many([c.row.id for c in customers]))


async def _services(ctx: Context, vouchers: Sequence[Any], _: Args) -> list[Any]:
    rows = await ctx.loaders.services()
    made: dict[str, Service] = {}
    return [_memo(made, v.row.service_id, rows, Service.of) for v in vouchers]


async def _content_by_row(ctx: Context, objects: Sequence[Any], _: Args) -> list[Any]:
    rows = await ctx.loaders.contents()
    made: dict[str, Content] = {}
    return [_memo(made, o.row.content_id, rows, Content.of) for o in objects]


def _memo(made: dict[str, Any], key: str, rows: Mapping[str, Any], make: Any) -> Any:
    """One GraphQL object per reference row and level (a page refers to few of them)."""
    found = made.get(key)
    if found is None:
        found = made[key] = make(rows[key])
    return found


async def _pp_contents(ctx: Context, vouchers: Sequence[PurchasingPower], _: Args) -> list[Any]:
    lists = await ctx.loaders.level(ctx.loaders.pp_contents, [v.row.id for v in vouchers])
    return [[PurchasingPowerContent(row=r) for r in rows] for rows in lists]


async def _used_units(
    ctx: Context, contents: Sequence[PurchasingPowerContent], _: Args
) -> list[Any]:
    await ctx.loaders.pp_rows(c.row.purchasing_power_id for c in contents)
    return [
        await derived_events.pp_used_units(ctx, c.row.purchasing_power_id, c.row.content_id)
        for c in contents
    ]


async def _used_amounts(ctx: Context, vouchers: Sequence[BalancePurchasingPower]) -> list[Decimal]:
    await ctx.loaders.pp_rows(v.row.id for v in vouchers)
    return [await derived_events.pp_used_amount(ctx, v.row) for v in vouchers]


async def _used_amount(
    ctx: Context, vouchers: Sequence[BalancePurchasingPower], _: Args
) -> list[Any]:
    return list(await _used_amounts(ctx, vouchers))


async def _balance(ctx: Context, vouchers: Sequence[BalancePurchasingPower], _: Args) -> list[Any]:
    used = await _used_amounts(ctx, vouchers)
    return [(v.row.granted_amount or Decimal("0")) - u for v, u in zip(vouchers, used, strict=True)]


async def _derive_missing(ctx: Context, events: Sequence[Event]) -> None:
    """Events reached one by one (`event(id)`) get their derived facts together."""
    missing = [e for e in events if e.derived is None]
    if missing:
        derived = await derived_events.derive_events(ctx, [e.row for e in missing])
        for event, facts in zip(missing, derived, strict=True):
            event.derived = facts


# EventStatus by value, looked up directly: calling the enum class is a Python-level
# search, once per event shown.
_EVENT_STATUS = {status.value: status for status in EventStatus}


def _derived(pick: Any) -> BatchedField:
    """A derived Event field, read from the facts `_derive_missing` made for the level
    (the same values the Event resolvers return, without a closure per event)."""
    return BatchedField(resolve=lambda _ctx, events, _args: [pick(e.derived) for e in events])


async def _total_counts(_ctx: Context, connections: Sequence[Any], _: Args) -> list[Any]:
    # A CustomerConnection counts its total only when totalCount is selected (query.py).
    return [await connection.count() for connection in connections]


async def _capped_counts(_ctx: Context, connections: Sequence[Any], args: Args) -> list[Any]:
    at_most = args.get("at_most", DEFAULT_COUNT_AT_MOST)
    return [await capped(connection, at_most) for connection in connections]


def _b(resolve: Any) -> BatchedField:
    return BatchedField(resolve=resolve)


REGISTRY = Registry(
    fields={
        ("Query", "customer"): BatchedField(resolve=_customer, lookahead=True),
        ("Query", "customers"): BatchedField(resolve=_customers, lookahead=True),
        ("CustomerConnection", "totalCount"): _b(_total_counts),
        ("CustomerConnection", "totalCountAtMost"): _b(_capped_counts),
        ("Customer", "customerNumber"): _b(_customer_numbers),
        ("Customer", "purchasingPowers"): _b(_regular_pps),
        ("Customer", "balancePurchasingPowers"): _b(_balance_pps),
        ("Customer", "reservations"): _b(_reservations),
        ("Customer", "events"): BatchedField(resolve=_events, selection=True),
        ("Customer", "access"): _b(_access),
        ("PurchasingPower", "service"): _b(_services),
        ("PurchasingPower", "contents"): _b(_pp_contents),
        ("BalancePurchasingPower", "service"): _b(_services),
        ("BalancePurchasingPower", "usedAmount"): _b(_used_amount),
        ("BalancePurchasingPower", "balance"): _b(_balance),
        ("PurchasingPowerContent", "content"): _b(_content_by_row),
        ("PurchasingPowerContent", "usedUnits"): _b(_used_units),
        ("Reservation", "content"): _b(_content_by_row),
        ("Event", "content"): _b(_content_by_row),
        ("Event", "status"): _derived(lambda d: _EVENT_STATUS[d.status]),
        ("Event", "settlementDate"): _derived(lambda d: d.settlement_date),
        ("Event", "price"): _derived(lambda d: derived_events.amounts_of(d).price),
        ("Event", "voucherShare"): _derived(lambda d: derived_events.amounts_of(d).voucher_share),
        ("Event", "copay"): _derived(lambda d: derived_events.amounts_of(d).copay),
        ("Event", "editable"): _derived(lambda d: d.editable),
        ("Event", "deletable"): _derived(lambda d: d.deletable),
    },
    prepare={"Event": _derive_missing},
    ahead={"Customer": _customer_lists_ahead},
)
