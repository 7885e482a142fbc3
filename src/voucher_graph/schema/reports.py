"""Organizer/provider reports: settlement report and correction requests."""

from __future__ import annotations

import asyncio
import datetime
from decimal import Decimal

import strawberry

from ..data import models as m
from ..data import reports as report_data
from ..domain import settlement_report as report_rule
from ..domain.errors import Forbidden, NotFound
from . import derived_events
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
    return ctx.gate.may_read_report(report, organizer_id)


async def settlement_report(
    ctx: Context, organizer_id: str, day: datetime.date
) -> SettlementReport:
    """The viewer's provider's events reported SETTLED whose settlement date is `day`,
    whether or not the provider still sees the customer; one line per customer
    (domain/settlement_report.py decides which events count and how lines are made)."""
    refusal = "the settlement report is for provider users"
    if not _may_read(ctx, "settlementReport", organizer_id):
        raise Forbidden(refusal)
    provider_id = ctx.acting_provider(refusal)
    if await report_data.organizer(ctx.session, organizer_id) is None:
        raise NotFound("no such organizer")
    dates = await ctx.loaders.settlement_dates.load(organizer_id)
    candidates = await report_data.settlement_candidates(
        ctx.session,
        provider_id=provider_id,
        organizer_id=organizer_id,
        after=report_rule.previous_settlement_date(dates, day),
        until=day,
    )
    settled_on = await asyncio.gather(
        *(derived_events.event_settlement_date(ctx, e) for e in candidates)
    )
    statuses = await asyncio.gather(*(derived_events.event_status(ctx, e) for e in candidates))
    settled = [
        e
        for e, d, s in zip(candidates, settled_on, statuses, strict=True)
        if report_rule.counts_in_report(d, s, day)
    ]
    pps = await ctx.loaders.pp.load_many(sorted({e.purchasing_power_id for e in settled}))
    await asyncio.gather(*(derived_events.amounts_of_pp(ctx, pp) for pp in pps if pp is not None))
    amounts = await asyncio.gather(*(derived_events.event_amounts(ctx, e) for e in settled))
    by_customer = report_rule.group_by_customer(
        (event.customer_id, amount) for event, amount in zip(settled, amounts, strict=True)
    )
    customer_ids = sorted(by_customer)
    # The provider's own numbers, whether or not it still sees the customer.
    numbers = await ctx.loaders.customer_number.load_many(customer_ids)
    lines = report_rule.report_lines(by_customer, dict(zip(customer_ids, numbers, strict=True)))
    return SettlementReport(
        organizer_id=strawberry.ID(organizer_id),
        settlement_date=day,
        lines=[
            SettlementLine(
                customer_number=line.customer_number,
                events=line.events,
                price=line.price,
                voucher_share=line.voucher_share,
                copay=line.copay,
            )
            for line in lines
        ],
        total=report_rule.report_total(lines),
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
