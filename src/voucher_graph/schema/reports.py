"""Organizer/provider reports: settlement report and correction requests."""

from __future__ import annotations

import asyncio
import datetime
from collections import defaultdict
from decimal import Decimal

import strawberry

from ..data import models as m
from ..data import reports as report_data
from ..domain.amounts import Amounts, totals
from ..domain.errors import Forbidden, NotFound
from ..domain.money import ZERO
from ..domain.settlement import SETTLED
from . import event_facts
from .context import Context, Info


@strawberry.type
class CorrectionRequest:
    """A provider's report of an error in an event, addressed to the organizer."""

    id: strawberry.ID
    event_id: strawberry.ID
    message: str
    provider_id: strawberry.ID
    created_on: datetime.date

    @classmethod
    def of(cls, row: m.CorrectionRequest) -> CorrectionRequest:
        return cls(
            id=strawberry.ID(row.id),
            event_id=strawberry.ID(row.event_id),
            message=row.message,
            provider_id=strawberry.ID(row.provider_id),
            created_on=row.created_on,
        )


@strawberry.type
class SettlementLine:
    """One customer's settled events: the provider's customer number, never an identity."""

    customer_number: str | None
    events: int
    price: Decimal
    voucher_share: Decimal
    copay: Decimal


@strawberry.type
class SettlementReport:
    """The invoice basis: what the organizer pays the provider for one settlement date."""

    organizer_id: strawberry.ID
    settlement_date: datetime.date
    lines: list[SettlementLine]
    total: Decimal


def _may_read(ctx: Context, report: str, organizer_id: str) -> bool:
    rule = ctx.gate.oso.query_rule_once("may_read_report", ctx.gate.actor, report, organizer_id)
    return bool(rule)


async def settlement_report(
    ctx: Context, organizer_id: str, day: datetime.date
) -> SettlementReport:
    """The viewer's provider's events reported SETTLED whose settlement date is `day`,
    whether or not the provider still sees the customer; one line per customer."""
    if not _may_read(ctx, "settlementReport", organizer_id):
        raise Forbidden("the settlement report is for provider users")
    provider_id = ctx.viewer.provider_id
    if provider_id is None:  # the policy admits provider users only; never reached
        raise Forbidden("the settlement report is for provider users")
    if await report_data.organizer(ctx.session, organizer_id) is None:
        raise NotFound("no such organizer")
    dates = await ctx.loaders.settlement_dates.load(organizer_id)
    earlier = [d for d in dates if d < day]
    candidates = await report_data.settlement_candidates(
        ctx.session,
        provider_id=provider_id,
        organizer_id=organizer_id,
        after=max(earlier) if earlier else None,
        until=day,
    )
    # The domain decides: settlement date is `day` and the reported status SETTLED.
    settled_on = await asyncio.gather(
        *(event_facts.event_settlement_date(ctx, e) for e in candidates)
    )
    statuses = await asyncio.gather(*(event_facts.event_status(ctx, e) for e in candidates))
    settled = [
        e
        for e, d, s in zip(candidates, settled_on, statuses, strict=True)
        if d == day and s == SETTLED
    ]
    pps = await ctx.loaders.pp.load_many(sorted({e.purchasing_power_id for e in settled}))
    await asyncio.gather(*(event_facts.amounts_of_pp(ctx, pp) for pp in pps if pp is not None))
    amounts = await asyncio.gather(*(event_facts.event_amounts(ctx, e) for e in settled))
    by_customer: dict[str, list[Amounts]] = defaultdict(list)
    for event, amount in zip(settled, amounts, strict=True):
        by_customer[event.customer_id].append(amount)
    customer_ids = sorted(by_customer)
    # The provider's own numbers, whether or not it still sees the customer.
    numbers = await ctx.loaders.customer_number.load_many(customer_ids)
    rows = []
    for customer_id, number in zip(customer_ids, numbers, strict=True):
        sums = totals(by_customer[customer_id])
        line = SettlementLine(
            customer_number=number,
            events=len(by_customer[customer_id]),
            price=sums.price,
            voucher_share=sums.voucher_share,
            copay=sums.copay,
        )
        # Numbers by code point, lines without one last; the customer id only breaks
        # ties among those and is never shown.
        rows.append(((number is None, number or "", customer_id), line))
    rows.sort(key=lambda row: row[0])
    lines = [line for _, line in rows]
    return SettlementReport(
        organizer_id=strawberry.ID(organizer_id),
        settlement_date=day,
        lines=lines,
        total=sum((line.voucher_share for line in lines), ZERO),
    )


@strawberry.type
class ReportsQuery:
    @strawberry.field(description="Provider users only; organizer users get FORBIDDEN.")
    async def settlement_report(
        self, info: Info, organizer_id: strawberry.ID, settlement_date: datetime.date
    ) -> SettlementReport:
        return await settlement_report(info.context, str(organizer_id), settlement_date)

    @strawberry.field(description="For the organizer's ADMIN users; others get FORBIDDEN.")
    async def correction_requests(
        self, info: Info, organizer_id: strawberry.ID
    ) -> list[CorrectionRequest]:
        ctx = info.context
        if not _may_read(ctx, "correctionRequests", str(organizer_id)):
            raise Forbidden("correction requests are for the organizer's admins")
        rows = await report_data.correction_requests(ctx.session, str(organizer_id))
        return [CorrectionRequest.of(row) for row in rows]
