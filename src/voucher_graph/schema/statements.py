"""Copay statement (omavastuuerittely): its lines and totals, and its signed print link.

One code path computes a statement for the API and for the printable page, so both
show the same lines and totals; amounts come from derived_events, never recomputed here.
"""

from __future__ import annotations

import asyncio
import datetime
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urlencode

import strawberry

from ..data import models as m
from ..data import reports as report_data
from ..domain.amounts import Amounts, Totals, totals
from ..domain.errors import BadInput, NotFound
from ..print_links import PrintClaims, sign_print_token
from . import derived_events
from .context import Context, Info
from .enums import EventStatus, PurchasingPowerKind
from .types import Content, Service

PRINT_PATH = "/print/copay-statement"


# -- computation ---------------------------------------------------------------------


@dataclass(frozen=True)
class StatementLine:
    event: m.Event
    pp: m.PurchasingPower
    content: m.Content
    amounts: Amounts
    status: str


@dataclass(frozen=True)
class StatementData:
    service: m.Service
    from_date: datetime.date
    to_date: datetime.date
    lines: list[StatementLine]
    totals: Totals


async def compute_statement(
    ctx: Context,
    customer_id: str,
    service_id: str,
    from_date: datetime.date,
    to_date: datetime.date,
) -> StatementData:
    """The statement of a customer the viewer sees (the caller checked that).

    A service id that does not exist is NOT_FOUND; a real service with no events the
    viewer sees in the period gives no lines and zero totals. The SQL cost is fixed:
    events, service, purchasing powers, their events and contents, settlement dates
    and contents are each one batched statement, however many lines there are.
    """
    if from_date > to_date:
        raise BadInput("from must not be after to")
    service = await ctx.loaders.service.load(service_id)
    if service is None:
        raise NotFound("no such service")
    events = await report_data.statement_events(
        ctx.session,
        ctx.gate.scopes.events,
        customer_id=customer_id,
        service_id=service_id,
        from_date=from_date,
        to_date=to_date,
    )
    pps = {pp.id: pp for pp in await _purchasing_powers(ctx, events)}
    # Gathered so that each loader below sees the whole batch at once.
    await asyncio.gather(*(derived_events.amounts_of_pp(ctx, pp) for pp in pps.values()))
    amounts = await asyncio.gather(*(derived_events.event_amounts(ctx, e) for e in events))
    statuses = await asyncio.gather(*(derived_events.event_status(ctx, e) for e in events))
    contents = await ctx.loaders.content.load_many([e.content_id for e in events])
    lines = [
        StatementLine(event=e, pp=pps[e.purchasing_power_id], content=c, amounts=a, status=s)
        for e, c, a, s in zip(events, contents, amounts, statuses, strict=True)
    ]
    return StatementData(
        service=service,
        from_date=from_date,
        to_date=to_date,
        lines=lines,
        totals=totals(line.amounts for line in lines),
    )


async def _purchasing_powers(ctx: Context, events: list[m.Event]) -> list[m.PurchasingPower]:
    ids = sorted({e.purchasing_power_id for e in events})
    return [pp for pp in await ctx.loaders.pp.load_many(ids) if pp is not None]


# -- the signed print link (signed and read in print_links.py) ---------------------------


def print_url(ctx: Context, claims: PrintClaims) -> str:
    """An absolute URL under the service's public address (VOUCHER_GRAPH_PUBLIC_URL or the
    request's own, mount point included), so that another origin or an e-mail can open it."""
    root = (ctx.base_url() or ctx.root_path).rstrip("/")
    return f"{root}{PRINT_PATH}?{urlencode({'token': sign_print_token(ctx.settings, claims)})}"


# -- GraphQL types ---------------------------------------------------------------------


@strawberry.type
class CopayLine:
    event_id: strawberry.ID
    service_date: datetime.date
    content: Content
    units: Decimal
    unit_price: Decimal
    price: Decimal
    voucher_share: Decimal
    copay: Decimal
    purchasing_power_kind: PurchasingPowerKind
    voucher_number: str
    voucher_valid_from: datetime.date
    voucher_valid_to: datetime.date
    status: EventStatus

    @classmethod
    def of(cls, line: StatementLine) -> CopayLine:
        return cls(
            event_id=strawberry.ID(line.event.id),
            service_date=line.event.service_date,
            content=Content.of(line.content),
            units=line.event.units,
            unit_price=line.event.unit_price,
            price=line.amounts.price,
            voucher_share=line.amounts.voucher_share,
            copay=line.amounts.copay,
            purchasing_power_kind=PurchasingPowerKind(line.pp.kind),
            voucher_number=line.pp.voucher_number,
            voucher_valid_from=line.pp.valid_from,
            voucher_valid_to=line.pp.valid_to,
            status=EventStatus(line.status),
        )


@strawberry.type
class CopayStatement:
    """Omavastuuerittely: a customer's counting events of one service in a period."""

    service: Service
    from_: datetime.date = strawberry.field(name="from")
    to: datetime.date
    lines: list[CopayLine]
    total_price: Decimal
    total_voucher_share: Decimal
    total_copay: Decimal
    print_url: str


async def copay_statement(
    info: Info,
    customer_id: str,
    service_id: str,
    from_date: datetime.date,
    to_date: datetime.date,
) -> CopayStatement:
    """Customer.copayStatement: the statement, and a print link for the same viewer."""
    ctx = info.context
    data = await compute_statement(ctx, customer_id, service_id, from_date, to_date)
    claims = PrintClaims(
        viewer_id=ctx.viewer.id,
        customer_id=customer_id,
        service_id=service_id,
        from_date=from_date,
        to_date=to_date,
    )
    return CopayStatement(
        service=Service.of(data.service),
        from_=from_date,
        to=to_date,
        lines=[CopayLine.of(line) for line in data.lines],
        total_price=data.totals.price,
        total_voucher_share=data.totals.voucher_share,
        total_copay=data.totals.copay,
        print_url=print_url(ctx, claims),
    )
