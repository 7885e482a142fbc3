"""Frozen value objects for a validated world file.

Field names are the snake_case forms of the world file's keys. Dates are `date`,
money and units `Decimal`, lists tuples; every object here has passed
`voucher_graph.world.validate.validate_world`, so its references resolve.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

from voucher_graph.domain.amounts import WorkflowStatus as DomainWorkflowStatus

Unit = Literal["HOUR", "VISIT", "DAY", "PIECE"]
Role = Literal["RECORDER", "REPORTER", "STAFF", "ADMIN"]
Kind = Literal["REGULAR", "BALANCE"]
WorkflowStatus = Literal["RECORDED", "UNDER_REVIEW", "APPROVED", "REJECTED", "CREDITED"]

UNITS: tuple[str, ...] = ("HOUR", "VISIT", "DAY", "PIECE")
PROVIDER_ROLES: tuple[str, ...] = ("RECORDER", "REPORTER")
ORGANIZER_ROLES: tuple[str, ...] = ("STAFF", "ADMIN")
ROLES: tuple[str, ...] = PROVIDER_ROLES + ORGANIZER_ROLES
KINDS: tuple[str, ...] = ("REGULAR", "BALANCE")
# The workflow statuses a world file may hold, as the domain defines them; SETTLED is
# derived from the dates.
WORKFLOW_STATUSES: tuple[str, ...] = tuple(status.value for status in DomainWorkflowStatus)


@dataclass(frozen=True, slots=True)
class Organizer:
    id: str
    name: str
    settlement_dates: tuple[date, ...]  # sorted ascending, unique


@dataclass(frozen=True, slots=True)
class Provider:
    id: str
    name: str
    business_id: str


@dataclass(frozen=True, slots=True)
class Content:
    id: str
    service_id: str
    name: str
    unit: Unit


@dataclass(frozen=True, slots=True)
class Service:
    id: str
    organizer_id: str
    name: str
    contents: tuple[Content, ...]


@dataclass(frozen=True, slots=True)
class User:
    id: str
    name: str
    role: Role
    provider_id: str | None  # set exactly for RECORDER and REPORTER
    organizer_id: str | None  # set exactly for STAFF and ADMIN


@dataclass(frozen=True, slots=True)
class Team:
    id: str
    organizer_id: str
    name: str
    service_ids: tuple[str, ...]
    member_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Customer:
    id: str
    first_name: str
    last_name: str
    ssn: str  # normalized: trimmed, upper case

    def __repr__(self) -> str:
        # Keep the hetu and the name out of logs and tracebacks.
        return f"Customer(id={self.id!r})"


@dataclass(frozen=True, slots=True)
class CustomerNumber:
    provider_id: str
    customer_id: str
    number: str


@dataclass(frozen=True, slots=True)
class PurchasingPowerContent:
    content_id: str
    unit_value: Decimal
    granted_units: Decimal


@dataclass(frozen=True, slots=True)
class PurchasingPower:
    id: str
    kind: Kind
    customer_id: str
    organizer_id: str
    service_id: str
    voucher_number: str
    valid_from: date
    valid_to: date
    contents: tuple[PurchasingPowerContent, ...]  # REGULAR: non-empty; BALANCE: empty
    granted_amount: Decimal | None  # BALANCE: set; REGULAR: None


@dataclass(frozen=True, slots=True)
class Reservation:
    id: str
    purchasing_power_id: str
    content_id: str
    provider_id: str
    valid_from: date
    valid_to: date | None  # None: open-ended


@dataclass(frozen=True, slots=True)
class Event:
    id: str
    purchasing_power_id: str
    content_id: str
    provider_id: str
    service_date: date
    units: Decimal
    unit_price: Decimal
    description: str
    status: WorkflowStatus
    recorded_on: date
    approved_on: date | None
    deleted: bool


@dataclass(frozen=True, slots=True)
class World:
    organizers: tuple[Organizer, ...] = ()
    providers: tuple[Provider, ...] = ()
    services: tuple[Service, ...] = ()
    users: tuple[User, ...] = ()
    teams: tuple[Team, ...] = ()
    customers: tuple[Customer, ...] = ()
    customer_numbers: tuple[CustomerNumber, ...] = ()
    purchasing_powers: tuple[PurchasingPower, ...] = ()
    reservations: tuple[Reservation, ...] = ()
    events: tuple[Event, ...] = ()

    @property
    def contents(self) -> tuple[Content, ...]:
        """Every content of every service, in file order."""
        return tuple(content for service in self.services for content in service.contents)
