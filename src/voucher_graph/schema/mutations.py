"""The write side: record, edit and delete events (kirjaus), review, credit, error reports
and customer numbers.

Each resolver finds the object through the viewer's "read" scope first (an id the viewer
cannot see is NOT_FOUND, exactly as an absent one), then asks the policy whether the
viewer may act (FORBIDDEN), then applies the domain rules, and writes only after every
check has passed, so a failed mutation leaves nothing behind.
"""

from __future__ import annotations

import datetime
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal

import strawberry

from ..data import commands
from ..data import models as m
from ..data.loaders import Loaders
from ..domain import recording
from ..domain.amounts import WorkflowStatus
from ..domain.errors import BadInput, Forbidden, NotFound
from ..domain.event_values import check_event_values
from ..domain.money import ZERO
from ..domain.recording import checked_text
from ..domain.settlement import settlement_date
from ..domain.workflow import (
    check_approve,
    check_credit,
    check_delete,
    check_edit,
    check_reject,
    check_report_error,
)
from .context import Context, Info
from .reports import CorrectionRequest
from .types import Customer, Event


@strawberry.input(description="An event to record, or the new values of one to edit (id set).")
class RecordEventInput:
    id: strawberry.ID | None = None
    purchasing_power_id: strawberry.ID
    content_id: strawberry.ID
    service_date: datetime.date
    units: Decimal
    unit_price: Decimal
    description: str | None = ""
    idempotency_key: str | None = None


@asynccontextmanager
async def _all_or_nothing(ctx: Context) -> AsyncIterator[None]:
    """Undo the request's writes when a mutation fails.

    Every Mutation field is non-null, so one failure nulls the whole response: the
    mutations of the same document that ran before it must not stay either, although
    the endpoint commits after every request.
    """
    try:
        yield
    except Exception:
        await commands.rollback(ctx.session)
        raise


def _not_found(kind: str) -> NotFound:
    return NotFound(f"no such {kind}")


def _refresh(ctx: Context) -> None:
    # Loaders and amounts cached before a write would answer the old values; a document
    # may hold several mutations, run one after the other.
    ctx.loaders = Loaders(ctx.session, ctx.gate.scopes, ctx.viewer.reference_generation)
    ctx.amounts_cache.clear()
    ctx.facts_cache.clear()


async def _visible_event(ctx: Context, event_id: str) -> m.Event:
    row: m.Event | None = await commands.visible_by_id(
        ctx.session, ctx.gate.query("read", m.Event), event_id
    )
    if row is None:
        raise _not_found("event")
    return row


async def _settlement_day(ctx: Context, event: m.Event, organizer_id: str) -> datetime.date | None:
    dates = await commands.settlement_dates(ctx.session, organizer_id)
    return settlement_date(dates, event.status, event.recorded_on, event.approved_on)


async def _check_recording(
    ctx: Context, pp: m.PurchasingPower, provider_id: str, content_id: str, day: datetime.date
) -> None:
    """DOMAIN.md "Recording": the content, the service date and the reservation, each
    fact read only once the checks before it have passed."""
    if pp.kind == recording.BALANCE:
        known = await commands.service_has_content(ctx.session, pp.service_id, content_id)
    else:
        known = await commands.pp_content(ctx.session, pp.id, content_id) is not None
    recording.check_content(known)
    recording.check_service_date(day, ctx.today, pp.valid_from, pp.valid_to)
    recording.check_reservation(
        await commands.has_reservation(ctx.session, provider_id, pp.id, content_id, day)
    )


async def _status_after_recording(
    ctx: Context, pp: m.PurchasingPower, content_id: str, units: Decimal, edited: str | None
) -> str:
    """UNDER_REVIEW when the units exceed what is left of the grant (DOMAIN.md "Review").

    Called with the purchasing power locked, so that two recordings that each fit alone
    but not together queue here and the second one sees the first.
    """
    if not recording.is_reviewed(pp.kind):
        return WorkflowStatus.RECORDED.value
    grant = await commands.pp_content(ctx.session, pp.id, content_id)
    granted = grant.granted_units if grant is not None else ZERO
    others = await commands.other_events_units(ctx.session, pp.id, content_id, edited)
    status = recording.status_after_recording(
        units, ((row.units, row.status) for row in others), granted
    )
    return status.value


async def _record(ctx: Context, data: RecordEventInput) -> m.Event:
    viewer = ctx.viewer
    key = data.idempotency_key
    if key is not None:
        first = await commands.event_by_idempotency_key(ctx.session, viewer.id, key)
        if first is not None:
            return first
    pp: m.PurchasingPower | None = await commands.visible_by_id(
        ctx.session, ctx.gate.query("read", m.PurchasingPower), str(data.purchasing_power_id)
    )
    if pp is None:
        raise _not_found("purchasing power")
    refusal = "this user may not record events"
    if not ctx.gate.is_allowed("record", pp):
        raise Forbidden(refusal)
    provider_id = ctx.acting_provider(refusal)
    check_event_values(data.units, data.unit_price)
    description = checked_text(data.description or "", "description", required=False)
    content_id = str(data.content_id)
    await _check_recording(ctx, pp, provider_id, content_id, data.service_date)
    pp = await commands.lock_purchasing_power(ctx.session, pp.id)
    status = await _status_after_recording(ctx, pp, content_id, data.units, None)
    event = m.Event(
        id=commands.new_id("ev"),
        purchasing_power_id=pp.id,
        customer_id=pp.customer_id,
        content_id=content_id,
        provider_id=provider_id,
        service_date=data.service_date,
        units=data.units,
        unit_price=data.unit_price,
        description=description,
        status=status,
        recorded_on=ctx.today,
        approved_on=None,
        deleted=False,
        reason=None,
        recorded_by=viewer.id,
        idempotency_key=key,
    )
    inserted = await commands.insert_event(ctx.session, event)
    if inserted is None and key is not None:
        # Another request of the same user with the same key won the race.
        first = await commands.event_by_idempotency_key(ctx.session, viewer.id, key)
        if first is not None:
            return first
        raise RuntimeError("idempotency key taken but its event not found")
    return event


async def _edit(ctx: Context, event_id: str, data: RecordEventInput) -> m.Event:
    event = await _visible_event(ctx, event_id)
    if not ctx.gate.is_allowed("edit", event):
        raise Forbidden("this user may not edit this event")
    if str(data.purchasing_power_id) != event.purchasing_power_id:
        raise BadInput("an edit may not change the purchasing power")
    # Lock order: purchasing power, then event (as every command does).
    pp = await commands.lock_purchasing_power(ctx.session, event.purchasing_power_id)
    event = await commands.lock_event(ctx.session, event_id)
    if event.deleted:
        raise _not_found("event")
    check_edit(event.status, await _settlement_day(ctx, event, pp.organizer_id), ctx.today)
    check_event_values(data.units, data.unit_price)
    description = checked_text(data.description or "", "description", required=False)
    content_id = str(data.content_id)
    await _check_recording(ctx, pp, event.provider_id, content_id, data.service_date)
    event.status = await _status_after_recording(ctx, pp, content_id, data.units, event.id)
    event.content_id = content_id
    event.service_date = data.service_date
    event.units = data.units
    event.unit_price = data.unit_price
    event.description = description
    return event


async def _locked_for_review(ctx: Context, event_id: str, action: str) -> tuple[m.Event, str]:
    """The visible event, locked, once the viewer may `action` on its purchasing power."""
    event = await _visible_event(ctx, event_id)
    pp = await commands.purchasing_power(ctx.session, event.purchasing_power_id)
    if not ctx.gate.is_allowed(action, pp):
        raise Forbidden("only an admin of the purchasing power's organizer may do this")
    event = await commands.lock_event(ctx.session, event_id)
    if event.deleted:
        raise _not_found("event")
    return event, pp.organizer_id


async def _saved(ctx: Context, event: m.Event) -> Event:
    """Write the changed event and answer it with fresh loaders."""
    await commands.flush(ctx.session)
    _refresh(ctx)
    return Event(row=event)


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Record an event, or edit one when input.id is set.")
    async def record_event(self, info: Info, input: RecordEventInput) -> Event:
        ctx = info.context
        async with _all_or_nothing(ctx):
            if input.id is not None:
                row = await _edit(ctx, str(input.id), input)
            else:
                row = await _record(ctx, input)
            await commands.keep_access(ctx.session, row)
            return await _saved(ctx, row)

    @strawberry.mutation(description="Delete an event (soft: the row stays for audit).")
    async def delete_event(self, info: Info, id: strawberry.ID) -> bool:
        ctx = info.context
        async with _all_or_nothing(ctx):
            event = await _visible_event(ctx, str(id))
            if not ctx.gate.is_allowed("delete", event):
                raise Forbidden("this user may not delete this event")
            event = await commands.lock_event(ctx.session, event.id)
            if event.deleted:
                raise _not_found("event")
            pp = await commands.purchasing_power(ctx.session, event.purchasing_power_id)
            check_delete(
                event.status, await _settlement_day(ctx, event, pp.organizer_id), ctx.today
            )
            event.deleted = True
            await commands.keep_access(ctx.session, event)
            _refresh(ctx)
            return True

    @strawberry.mutation(description="Approve an event under review (organizer ADMIN).")
    async def approve_event(self, info: Info, id: strawberry.ID) -> Event:
        ctx = info.context
        async with _all_or_nothing(ctx):
            event, _organizer = await _locked_for_review(ctx, str(id), "review_events")
            check_approve(event.status, None, ctx.today)
            event.status = WorkflowStatus.APPROVED.value
            event.approved_on = ctx.today
            return await _saved(ctx, event)

    @strawberry.mutation(
        description="Reject an event under review, with a reason (organizer ADMIN)."
    )
    async def reject_event(self, info: Info, id: strawberry.ID, reason: str) -> Event:
        ctx = info.context
        async with _all_or_nothing(ctx):
            event, _organizer = await _locked_for_review(ctx, str(id), "review_events")
            check_reject(event.status, None, ctx.today)
            event.reason = checked_text(reason, "reason", required=True)
            event.status = WorkflowStatus.REJECTED.value
            return await _saved(ctx, event)

    @strawberry.mutation(
        description="Credit (hyvitys) a settled event, with a reason (organizer ADMIN)."
    )
    async def credit_event(self, info: Info, id: strawberry.ID, reason: str) -> Event:
        ctx = info.context
        async with _all_or_nothing(ctx):
            event, organizer_id = await _locked_for_review(ctx, str(id), "credit_events")
            check_credit(event.status, await _settlement_day(ctx, event, organizer_id), ctx.today)
            event.reason = checked_text(reason, "reason", required=True)
            # approved_on and recorded_on stay: a credited event keeps its settlement date.
            event.status = WorkflowStatus.CREDITED.value
            return await _saved(ctx, event)

    @strawberry.mutation(description="Report an error in a settled event to the organizer admins.")
    async def report_event_error(
        self, info: Info, id: strawberry.ID, message: str
    ) -> CorrectionRequest:
        ctx = info.context
        async with _all_or_nothing(ctx):
            event = await _visible_event(ctx, str(id))
            if not ctx.gate.is_allowed("report_error", event):
                raise Forbidden("only a recorder of the recording provider may report an error")
            pp = await commands.purchasing_power(ctx.session, event.purchasing_power_id)
            check_report_error(
                event.status, await _settlement_day(ctx, event, pp.organizer_id), ctx.today
            )
            row = await commands.insert_correction_request(
                ctx.session,
                m.CorrectionRequest(
                    id=commands.new_id("cr"),
                    event_id=event.id,
                    provider_id=event.provider_id,
                    organizer_id=pp.organizer_id,
                    user_id=ctx.viewer.id,
                    message=checked_text(message, "message", required=True),
                    created_on=ctx.today,
                ),
            )
            return CorrectionRequest.of(row)

    @strawberry.mutation(description="Set the provider's number for a customer; null clears it.")
    async def set_customer_number(
        self, info: Info, customer_id: strawberry.ID, number: str | None = None
    ) -> Customer:
        ctx = info.context
        async with _all_or_nothing(ctx):
            customer: m.Customer | None = await commands.visible_by_id(
                ctx.session, ctx.gate.query("read", m.Customer), str(customer_id)
            )
            if customer is None:
                raise _not_found("customer")
            allowed = await commands.visible_by_id(
                ctx.session, ctx.gate.query("set_number", m.Customer), customer.id
            )
            refusal = "only a recorder of a provider may set customer numbers"
            if allowed is None:
                raise Forbidden(refusal)
            provider_id = ctx.acting_provider(refusal)
            number = recording.customer_number(number)
            try:
                await commands.set_customer_number(ctx.session, provider_id, customer.id, number)
            except commands.NumberTaken:
                raise BadInput(
                    "the provider already gives this number to another customer"
                ) from None
            _refresh(ctx)
            return Customer(row=customer)
