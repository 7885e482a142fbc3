"""GraphQL object types of the read side. Each wraps a model row; resolvers load the rest."""

from __future__ import annotations

import datetime
from collections.abc import Awaitable, Callable, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, TypeVar

import strawberry

from ..data import models as m
from ..data.loaders import EventsKey, ReservationsKey
from ..domain.errors import BadInput, Forbidden
from . import derived_events
from .access import AccessReason, access_loader
from .context import Info
from .derived_events import amounts_of
from .enums import EventStatus, Role, Unit
from .executor import reads_row

T = TypeVar("T")

if TYPE_CHECKING:  # a cycle at run time: statements.py builds on these types
    from .statements import CopayStatement


@strawberry.type
class User:
    id: strawberry.ID
    name: str
    role: Role
    provider_id: strawberry.ID | None
    organizer_id: strawberry.ID | None


@strawberry.type
class Service:
    id: strawberry.ID
    name: str
    organizer_id: strawberry.ID

    @classmethod
    def of(cls, row: m.Service) -> Service:
        return cls(
            id=strawberry.ID(row.id), name=row.name, organizer_id=strawberry.ID(row.organizer_id)
        )


@strawberry.type
class Content:
    id: strawberry.ID
    name: str
    unit: Unit

    @classmethod
    def of(cls, row: m.Content) -> Content:
        return cls(id=strawberry.ID(row.id), name=row.name, unit=Unit(row.unit))


async def load_service(info: Info, service_id: str) -> Service:
    return Service.of(await info.context.loaders.service.load(service_id))


async def load_content(info: Info, content_id: str) -> Content:
    return Content.of(await info.context.loaders.content.load(content_id))


@strawberry.type
class PurchasingPowerContent:
    row: strawberry.Private[m.PurchasingPowerContent]

    @strawberry.field
    async def content(self, info: Info) -> Content:
        return await load_content(info, self.row.content_id)

    @strawberry.field
    @reads_row("unit_value")
    def unit_value(self) -> Decimal:
        return self.row.unit_value

    @strawberry.field
    @reads_row("granted_units")
    def granted_units(self) -> Decimal:
        return self.row.granted_units

    @strawberry.field
    async def used_units(self, info: Info) -> Decimal:
        return await derived_events.pp_used_units(
            info.context, self.row.purchasing_power_id, self.row.content_id
        )


@strawberry.interface
class Voucher:
    """Fields both kinds of purchasing power share."""

    row: strawberry.Private[m.PurchasingPower]

    @strawberry.field
    @reads_row("id")
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.row.id)

    @strawberry.field
    @reads_row("voucher_number")
    def voucher_number(self) -> str:
        return self.row.voucher_number

    @strawberry.field
    async def service(self, info: Info) -> Service:
        return await load_service(info, self.row.service_id)

    @strawberry.field
    @reads_row("organizer_id")
    def organizer_id(self) -> strawberry.ID:
        return strawberry.ID(self.row.organizer_id)

    @strawberry.field
    @reads_row("valid_from")
    def valid_from(self) -> datetime.date:
        return self.row.valid_from

    @strawberry.field
    @reads_row("valid_to")
    def valid_to(self) -> datetime.date:
        return self.row.valid_to


@strawberry.type
class PurchasingPower(Voucher):
    """Ostovoima: a voucher with a value per unit for each content."""

    @strawberry.field
    async def contents(self, info: Info) -> list[PurchasingPowerContent]:
        rows = await info.context.loaders.pp_contents.load(self.row.id)
        return [PurchasingPowerContent(row=r) for r in rows]


@strawberry.type
class BalancePurchasingPower(Voucher):
    """Saldo-ostovoima: a voucher holding a euro balance that events consume."""

    @strawberry.field
    def granted_amount(self) -> Decimal:
        return self.row.granted_amount or Decimal("0")

    @strawberry.field
    async def used_amount(self, info: Info) -> Decimal:
        return await derived_events.pp_used_amount(info.context, self.row)

    @strawberry.field
    async def balance(self, info: Info) -> Decimal:
        used = await derived_events.pp_used_amount(info.context, self.row)
        return (self.row.granted_amount or Decimal("0")) - used


@strawberry.type
class Reservation:
    row: strawberry.Private[m.Reservation]

    @strawberry.field
    @reads_row("id")
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.row.id)

    @strawberry.field
    @reads_row("purchasing_power_id")
    def purchasing_power_id(self) -> strawberry.ID:
        return strawberry.ID(self.row.purchasing_power_id)

    @strawberry.field
    async def content(self, info: Info) -> Content:
        return await load_content(info, self.row.content_id)

    @strawberry.field
    @reads_row("provider_id")
    def provider_id(self) -> strawberry.ID:
        return strawberry.ID(self.row.provider_id)

    @strawberry.field
    @reads_row("valid_from")
    def valid_from(self) -> datetime.date:
        return self.row.valid_from

    @strawberry.field
    @reads_row("valid_to")
    def valid_to(self) -> datetime.date | None:
        return self.row.valid_to


@strawberry.type
class Event:
    """Palvelutapahtuma: a delivered service recorded against a purchasing power."""

    row: strawberry.Private[m.Event]
    derived: strawberry.Private[derived_events.DerivedEvent | None] = None

    @strawberry.field
    @reads_row("id")
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.row.id)

    @strawberry.field
    @reads_row("purchasing_power_id")
    def purchasing_power_id(self) -> strawberry.ID:
        return strawberry.ID(self.row.purchasing_power_id)

    @strawberry.field
    async def content(self, info: Info) -> Content:
        return await load_content(info, self.row.content_id)

    @strawberry.field
    @reads_row("provider_id")
    def provider_id(self) -> strawberry.ID:
        return strawberry.ID(self.row.provider_id)

    @strawberry.field
    @reads_row("service_date")
    def service_date(self) -> datetime.date:
        return self.row.service_date

    @strawberry.field
    @reads_row("units")
    def units(self) -> Decimal:
        return self.row.units

    @strawberry.field
    @reads_row("unit_price")
    def unit_price(self) -> Decimal:
        return self.row.unit_price

    @strawberry.field
    def description(self) -> str:
        return self.row.description or ""

    # The derived fields answer from `derived` when the list that made this Event
    # computed it for all its events at once (derived_events.derive_events); otherwise they
    # return an awaitable that derives this one event.
    def _derive(self, info: Info) -> Awaitable[derived_events.DerivedEvent]:
        async def derive() -> derived_events.DerivedEvent:
            if self.derived is None or self.derived.amounts is None:
                self.derived = (await derived_events.derive_events(info.context, [self.row]))[0]
            return self.derived

        return derive()

    def _answer(
        self,
        info: Info,
        pick: Callable[[derived_events.DerivedEvent], T],
        amounts: bool = False,
    ) -> T | Awaitable[T]:
        derived = self.derived
        if derived is not None and (derived.amounts is not None or not amounts):
            return pick(derived)

        async def later() -> T:
            return pick(await self._derive(info))

        return later()

    @strawberry.field
    def status(self, info: Info) -> EventStatus:
        return self._answer(info, lambda d: EventStatus(d.status))  # type: ignore[return-value]

    @strawberry.field
    def settlement_date(self, info: Info) -> datetime.date | None:
        return self._answer(info, lambda d: d.settlement_date)  # type: ignore[return-value]

    @strawberry.field
    def price(self, info: Info) -> Decimal:
        return self._answer(info, lambda d: amounts_of(d).price, amounts=True)  # type: ignore[return-value]

    @strawberry.field
    def voucher_share(self, info: Info) -> Decimal:
        return self._answer(info, lambda d: amounts_of(d).voucher_share, amounts=True)  # type: ignore[return-value]

    @strawberry.field
    def copay(self, info: Info) -> Decimal:
        return self._answer(info, lambda d: amounts_of(d).copay, amounts=True)  # type: ignore[return-value]

    @strawberry.field(description="Whether the viewer may edit this event today.")
    def editable(self, info: Info) -> bool:
        return self._answer(info, lambda d: d.editable)  # type: ignore[return-value]

    @strawberry.field(description="Whether the viewer may delete this event today.")
    def deletable(self, info: Info) -> bool:
        return self._answer(info, lambda d: d.deletable)  # type: ignore[return-value]


async def event_list(info: Info, rows: Sequence[m.Event]) -> list[Event]:
    """Events for a list field, their derived fields computed together."""
    derived = await derived_events.derive_events(info.context, rows)
    return [Event(row=row, derived=d) for row, d in zip(rows, derived, strict=True)]


def _identity(info: Info, row: m.Customer, field: str, value: str) -> str:
    """An identity field, if the policy lets the viewer read it of this customer (the
    real row); noted for the access log."""
    if not info.context.gate.can_read_field(field, row):
        raise Forbidden(f"{field} is not available to this role")
    info.context.disclose(row.id, field)
    return value


@strawberry.type
class Customer:
    """Asiakas, as the viewer sees them."""

    row: strawberry.Private[m.Customer]

    @strawberry.field
    @reads_row("id")
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.row.id)

    @strawberry.field(description="null, with a FORBIDDEN error, for a REPORTER.")
    def first_name(self, info: Info) -> str | None:
        return _identity(info, self.row, "firstName", self.row.first_name)

    @strawberry.field(description="null, with a FORBIDDEN error, for a REPORTER.")
    def last_name(self, info: Info) -> str | None:
        return _identity(info, self.row, "lastName", self.row.last_name)

    @strawberry.field(description="Henkilötunnus; null, with a FORBIDDEN error, for a REPORTER.")
    def ssn(self, info: Info) -> str | None:
        return _identity(info, self.row, "ssn", self.row.ssn)

    @strawberry.field(description="The viewer's provider's number for the customer.")
    async def customer_number(self, info: Info) -> str | None:
        number: str | None = await info.context.loaders.customer_number.load(self.row.id)
        return number

    @strawberry.field
    async def purchasing_powers(self, info: Info) -> list[PurchasingPower]:
        rows = await info.context.loaders.purchasing_powers.load(self.row.id)
        return [PurchasingPower(row=r) for r in rows if r.kind == "REGULAR"]

    @strawberry.field
    async def balance_purchasing_powers(self, info: Info) -> list[BalancePurchasingPower]:
        rows = await info.context.loaders.purchasing_powers.load(self.row.id)
        return [BalancePurchasingPower(row=r) for r in rows if r.kind == "BALANCE"]

    @strawberry.field
    async def reservations(
        self, info: Info, include_ended: bool | None = False
    ) -> list[Reservation]:
        key = ReservationsKey(self.row.id, bool(include_ended), info.context.today)
        return [Reservation(row=r) for r in await info.context.loaders.reservations.load(key)]

    @strawberry.field(description="Ordered by service date, then id.")
    async def events(
        self,
        info: Info,
        from_: Annotated[datetime.date | None, strawberry.argument(name="from")] = None,
        to: datetime.date | None = None,
        status: list[EventStatus] | None = None,
    ) -> list[Event]:
        if from_ is not None and to is not None and from_ > to:
            raise BadInput("from must not be after to")  # as in copayStatement
        rows = await info.context.loaders.events.load(EventsKey(self.row.id, from_, to))
        events = await event_list(info, rows)
        if status is None:
            return events
        # SETTLED is derived from dates, so the status filter runs on the derived value.
        wanted = {s.value for s in status}
        return [e for e in events if e.derived is not None and e.derived.status in wanted]

    @strawberry.field(description="Omavastuuerittely: counting events of a service in a period.")
    async def copay_statement(
        self,
        info: Info,
        service: strawberry.ID,
        from_: Annotated[datetime.date, strawberry.argument(name="from")],
        to: datetime.date,
    ) -> Annotated[CopayStatement, strawberry.lazy("voucher_graph.schema.statements")]:
        # Imported here: statements.py builds on the types of this module.
        from .statements import copay_statement

        return await copay_statement(info, self.row.id, str(service), from_, to)

    @strawberry.field(description="Why the viewer sees this customer; never empty.")
    async def access(self, info: Info) -> list[AccessReason]:
        reasons: list[AccessReason] = await access_loader(info.context).load(self.row.id)
        return reasons
