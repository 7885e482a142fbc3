"""Validate a whole world file (CONTRACT.md, "World file") before anything is written.

`validate_world(raw)` takes the parsed JSON and returns a `World`, or raises
`WorldError` naming the first wrong entry, for instance
`events[12] (id "e0013"): purchasingPowerId "pp999" does not resolve`. Indexes count
from 0. Lists are checked in the order below, each entry completely before the next,
so "first" means the earliest entry of the earliest list. Every reference points to a
list checked earlier, so one pass is enough.

Decisions where the contract is silent:
- A missing top-level list is an empty list; an unknown top-level key, or an unknown
  key in an entry, is an error (it is most likely a misspelt key).
- An optional key given as null is the same as an absent one.
- Decimals must be JSON strings ("1.5"), never JSON numbers (floats lose cents).
- Names must be non-blank strings; descriptions may be empty.
- Messages quote ids, enum values, dates and decimals, never a customer's name or hetu.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from voucher_graph.domain.dates import parse_date
from voucher_graph.domain.errors import BadInput
from voucher_graph.domain.event_values import check_event_values
from voucher_graph.domain.hetu import HetuError, parse_hetu
from voucher_graph.domain.money import parse_decimal
from voucher_graph.world.model import (
    KINDS,
    PROVIDER_ROLES,
    ROLES,
    UNITS,
    WORKFLOW_STATUSES,
    Content,
    Customer,
    CustomerNumber,
    Event,
    Organizer,
    Provider,
    PurchasingPower,
    PurchasingPowerContent,
    Reservation,
    Service,
    Team,
    User,
    World,
)

# The top-level lists, in the order they are checked (and may be loaded).
LIST_KEYS: tuple[str, ...] = (
    "organizers",
    "providers",
    "services",
    "users",
    "teams",
    "customers",
    "customerNumbers",
    "purchasingPowers",
    "reservations",
    "events",
)

Progress = Callable[[str, int], None]

_BUSINESS_ID = re.compile(r"([0-9]{7})-([0-9])")
_BUSINESS_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2)
_MAX_QUOTE = 60
_MISSING = object()


class WorldError(ValueError):
    """A world file that cannot be loaded; the message names the first wrong entry."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where}: {problem}")
        self.where = where
        self.problem = problem


def business_id_check_digit(digits: str) -> int | None:
    """The check digit for seven digits, or None when no valid business id starts with them."""
    remainder = sum(int(d) * w for d, w in zip(digits, _BUSINESS_ID_WEIGHTS, strict=True)) % 11
    if remainder == 1:
        return None
    return 0 if remainder == 0 else 11 - remainder


def is_valid_business_id(text: str) -> bool:
    """Whether `text` is a Finnish business id (Y-tunnus) `1234567-8` with a right check digit."""
    shape = _BUSINESS_ID.fullmatch(text)
    if shape is None:
        return False
    digits, check = shape.groups()
    return business_id_check_digit(digits) == int(check)


def _quote(value: object) -> str:
    """A short JSON rendering of a value for a message (ids, enum values, dates, decimals)."""
    text = json.dumps(value, ensure_ascii=False)
    if len(text) > _MAX_QUOTE:
        text = text[: _MAX_QUOTE - 1] + "…"
    return text


def _type_name(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


class _Entry:
    """One object of a list, with typed accessors that raise WorldError naming it."""

    __slots__ = ("obj", "where")

    def __init__(
        self,
        where: str,
        obj: object,
        required: tuple[str, ...],
        optional: tuple[str, ...] = (),
        *,
        has_id: bool = True,
    ) -> None:
        if not isinstance(obj, dict):
            raise WorldError(where, f"must be an object, not {_type_name(obj)}")
        self.obj: dict[str, Any] = obj
        self.where = where
        if has_id:
            ident = obj.get("id")
            if isinstance(ident, str) and ident:
                self.where = f"{where} (id {_quote(ident)})"
        for key in obj:
            if key not in required and key not in optional:
                raise self.error(f"unknown key {_quote(key)}")
        for key in required:
            if key not in obj:
                raise self.error(f"{key} is missing")

    def error(self, problem: str) -> WorldError:
        return WorldError(self.where, problem)

    def get(self, key: str) -> Any:
        """The value, or _MISSING when the key is absent or null."""
        value = self.obj.get(key, _MISSING)
        return _MISSING if value is None else value

    def string(self, key: str, *, non_blank: bool = True) -> str:
        value = self.get(key)
        if value is _MISSING:
            raise self.error(f"{key} is missing")
        if not isinstance(value, str):
            raise self.error(f"{key} must be a string, not {_type_name(value)}")
        if non_blank and not value.strip():
            raise self.error(f"{key} must not be empty")
        return value

    def optional_string(self, key: str, default: str) -> str:
        if self.get(key) is _MISSING:
            return default
        return self.string(key, non_blank=False)

    def ident(self, key: str = "id") -> str:
        value = self.get(key)
        if value is _MISSING:
            raise self.error(f"{key} is missing")
        if not isinstance(value, str):
            raise self.error(f"{key} must be a string, not {_type_name(value)}")
        if not value:
            raise self.error(f"{key} must not be empty")
        return value

    def ref(self, key: str, table: Mapping[str, Any]) -> str:
        value = self.ident(key)
        if value not in table:
            raise self.error(f"{key} {_quote(value)} does not resolve")
        return value

    def enum(self, key: str, choices: tuple[str, ...]) -> str:
        value = self.string(key)
        if value not in choices:
            raise self.error(f"{key} {_quote(value)} is not one of {', '.join(choices)}")
        return value

    def day(self, key: str) -> date:
        value = self.get(key)
        if value is _MISSING:
            raise self.error(f"{key} is missing")
        return self._parse_day(key, value)

    def optional_day(self, key: str) -> date | None:
        value = self.get(key)
        if value is _MISSING:
            return None
        return self._parse_day(key, value)

    def _parse_day(self, key: str, value: object) -> date:
        if not isinstance(value, str):
            raise self.error(f"{key} must be a date string YYYY-MM-DD, not {_type_name(value)}")
        try:
            return parse_date(value, field=key)
        except BadInput as exc:
            raise self.error(f"{exc.message} (got {_quote(value)})") from None

    def decimal(self, key: str, *, positive: bool = False, non_negative: bool = False) -> Decimal:
        value = self.get(key)
        if value is _MISSING:
            raise self.error(f"{key} is missing")
        if not isinstance(value, str):
            raise self.error(f"{key} must be a decimal string, not {_type_name(value)}")
        try:
            return parse_decimal(
                value, field=key, max_places=2, positive=positive, non_negative=non_negative
            )
        except BadInput as exc:
            raise self.error(f"{exc.message} (got {_quote(value)})") from None

    def boolean(self, key: str, default: bool) -> bool:
        value = self.get(key)
        if value is _MISSING:
            return default
        if not isinstance(value, bool):
            raise self.error(f"{key} must be true or false, not {_type_name(value)}")
        return value

    def items(self, key: str, *, required: bool = True) -> list[Any]:
        value = self.get(key)
        if value is _MISSING:
            if required:
                raise self.error(f"{key} is missing")
            return []
        if not isinstance(value, list):
            raise self.error(f"{key} must be a list, not {_type_name(value)}")
        return value

    def id_list(self, key: str, table: Mapping[str, Any]) -> tuple[str, ...]:
        """A list of distinct ids, each resolving in `table`."""
        seen: set[str] = set()
        for index, value in enumerate(self.items(key, required=False)):
            label = f"{key}[{index}]"
            if not isinstance(value, str):
                raise self.error(f"{label} must be a string, not {_type_name(value)}")
            if value not in table:
                raise self.error(f"{label} {_quote(value)} does not resolve")
            if value in seen:
                raise self.error(f"{label} {_quote(value)} is listed twice")
            seen.add(value)
        return tuple(self.items(key, required=False))


class _Ids:
    """Ids of one list, remembering where each was first seen."""

    __slots__ = ("first", "name")

    def __init__(self, name: str) -> None:
        self.name = name
        self.first: dict[str, str] = {}

    def claim(self, entry: _Entry, ident: str, place: str) -> None:
        earlier = self.first.get(ident)
        if earlier is not None:
            raise entry.error(f"id {_quote(ident)} is already used by {earlier}")
        self.first[ident] = place


def validate_world(raw: object, progress: Progress | None = None) -> World:
    """Check a parsed world file as a whole and return it as a `World`.

    Raises WorldError whose message names the first wrong entry. `progress`, when given,
    is called once per list, after it is checked, with the list's key and entry count.
    """
    if not isinstance(raw, dict):
        raise WorldError("world file", f"must be a JSON object, not {_type_name(raw)}")
    for key in raw:
        if key not in LIST_KEYS:
            raise WorldError("world file", f"unknown key {_quote(key)}")
    lists: dict[str, list[Any]] = {}
    for key in LIST_KEYS:
        value = raw.get(key)
        if value is None:
            value = []
        if not isinstance(value, list):
            raise WorldError(key, f"must be a list, not {_type_name(value)}")
        lists[key] = value
    return _Validator(lists, progress).run()


class _Validator:
    def __init__(self, lists: dict[str, list[Any]], progress: Progress | None) -> None:
        self.lists = lists
        self.progress = progress
        self.organizers: dict[str, Organizer] = {}
        self.providers: dict[str, Provider] = {}
        self.services: dict[str, Service] = {}
        self.contents: dict[str, Content] = {}
        self.users: dict[str, User] = {}
        self.teams: dict[str, Team] = {}
        self.customers: dict[str, Customer] = {}
        self.customer_numbers: list[CustomerNumber] = []
        self.purchasing_powers: dict[str, PurchasingPower] = {}
        self.reservations: dict[str, Reservation] = {}
        self.events: dict[str, Event] = {}
        # content ids a purchasing power's reservations and events may name
        self.allowed_contents: dict[str, frozenset[str]] = {}

    def run(self) -> World:
        steps: tuple[tuple[str, Callable[[str, object], None]], ...] = (
            ("organizers", self.organizer),
            ("providers", self.provider),
            ("services", self.service),
            ("users", self.user),
            ("teams", self.team),
            ("customers", self.customer),
            ("customerNumbers", self.customer_number),
            ("purchasingPowers", self.purchasing_power),
            ("reservations", self.reservation),
            ("events", self.event),
        )
        self.ids = {key: _Ids(key) for key, _ in steps}
        self.content_ids = _Ids("contents")
        self.ssns: dict[str, str] = {}
        self.numbers_by_customer: dict[tuple[str, str], str] = {}
        self.customers_by_number: dict[tuple[str, str], str] = {}
        self.voucher_numbers: dict[str, str] = {}
        for key, check in steps:
            entries = self.lists[key]
            for index, obj in enumerate(entries):
                check(f"{key}[{index}]", obj)
            if self.progress is not None:
                self.progress(key, len(entries))
        return World(
            organizers=tuple(self.organizers.values()),
            providers=tuple(self.providers.values()),
            services=tuple(self.services.values()),
            users=tuple(self.users.values()),
            teams=tuple(self.teams.values()),
            customers=tuple(self.customers.values()),
            customer_numbers=tuple(self.customer_numbers),
            purchasing_powers=tuple(self.purchasing_powers.values()),
            reservations=tuple(self.reservations.values()),
            events=tuple(self.events.values()),
        )

    def _id(self, entry: _Entry, list_key: str, where: str) -> str:
        ident = entry.ident()
        self.ids[list_key].claim(entry, ident, where)
        return ident

    # -- organizers, providers, services ------------------------------------------------

    def organizer(self, where: str, obj: object) -> None:
        entry = _Entry(where, obj, ("id", "name"), ("settlementDates",))
        ident = self._id(entry, "organizers", where)
        name = entry.string("name")
        days: dict[date, int] = {}
        for index, value in enumerate(entry.items("settlementDates", required=False)):
            key = f"settlementDates[{index}]"
            day = entry._parse_day(key, value)
            if day in days:
                raise entry.error(f"{key} {_quote(value)} is listed twice")
            days[day] = index
        self.organizers[ident] = Organizer(ident, name, tuple(sorted(days)))

    def provider(self, where: str, obj: object) -> None:
        entry = _Entry(where, obj, ("id", "name", "businessId"))
        ident = self._id(entry, "providers", where)
        name = entry.string("name")
        business_id = entry.string("businessId")
        if not is_valid_business_id(business_id):
            raise entry.error(
                f"businessId {_quote(business_id)} is not a valid business id (1234567-8)"
            )
        self.providers[ident] = Provider(ident, name, business_id)

    def service(self, where: str, obj: object) -> None:
        entry = _Entry(where, obj, ("id", "organizerId", "name"), ("contents",))
        ident = self._id(entry, "services", where)
        organizer_id = entry.ref("organizerId", self.organizers)
        name = entry.string("name")
        contents: list[Content] = []
        for index, item in enumerate(entry.items("contents", required=False)):
            place = f"{entry.where}, contents[{index}]"
            sub = _Entry(place, item, ("id", "name", "unit"))
            content_id = sub.ident()
            self.content_ids.claim(sub, content_id, place)
            content = Content(content_id, ident, sub.string("name"), sub.enum("unit", UNITS))  # type: ignore[arg-type]
            contents.append(content)
            self.contents[content_id] = content
        self.services[ident] = Service(ident, organizer_id, name, tuple(contents))

    # -- users and teams ----------------------------------------------------------------

    def user(self, where: str, obj: object) -> None:
        entry = _Entry(where, obj, ("id", "name", "role"), ("providerId", "organizerId"))
        ident = self._id(entry, "users", where)
        name = entry.string("name")
        role = entry.enum("role", ROLES)
        has_provider = entry.get("providerId") is not _MISSING
        has_organizer = entry.get("organizerId") is not _MISSING
        if has_provider and has_organizer:
            raise entry.error("has both providerId and organizerId; a user belongs to one")
        provider_id = organizer_id = None
        if role in PROVIDER_ROLES:
            if not has_provider:
                raise entry.error(f"role {role} needs a providerId")
            provider_id = entry.ref("providerId", self.providers)
        else:
            if not has_organizer:
                raise entry.error(f"role {role} needs an organizerId")
            organizer_id = entry.ref("organizerId", self.organizers)
        self.users[ident] = User(ident, name, role, provider_id, organizer_id)  # type: ignore[arg-type]

    def team(self, where: str, obj: object) -> None:
        entry = _Entry(where, obj, ("id", "organizerId", "name"), ("serviceIds", "memberIds"))
        ident = self._id(entry, "teams", where)
        organizer_id = entry.ref("organizerId", self.organizers)
        name = entry.string("name")
        service_ids = entry.id_list("serviceIds", self.services)
        for index, service_id in enumerate(service_ids):
            if self.services[service_id].organizer_id != organizer_id:
                raise entry.error(
                    f"serviceIds[{index}] {_quote(service_id)} belongs to another organizer"
                    f" than {_quote(organizer_id)}"
                )
        member_ids = entry.id_list("memberIds", self.users)
        self.teams[ident] = Team(ident, organizer_id, name, service_ids, member_ids)

    # -- customers ----------------------------------------------------------------------

    def customer(self, where: str, obj: object) -> None:
        entry = _Entry(where, obj, ("id", "firstName", "lastName", "ssn"))
        ident = self._id(entry, "customers", where)
        first_name = entry.string("firstName")
        last_name = entry.string("lastName")
        raw_ssn = entry.string("ssn")  # its message names the key, never the value
        try:
            ssn = parse_hetu(raw_ssn).code
        except HetuError:
            raise entry.error("ssn is not a valid personal identity code") from None
        earlier = self.ssns.get(ssn)
        if earlier is not None:
            raise entry.error(f"ssn is the same as that of {earlier}")
        self.ssns[ssn] = entry.where
        self.customers[ident] = Customer(ident, first_name, last_name, ssn)

    def customer_number(self, where: str, obj: object) -> None:
        entry = _Entry(where, obj, ("providerId", "customerId", "number"), has_id=False)
        provider_id = entry.ref("providerId", self.providers)
        customer_id = entry.ref("customerId", self.customers)
        number = entry.string("number")
        earlier = self.numbers_by_customer.get((provider_id, customer_id))
        if earlier is not None:
            raise entry.error(
                f"provider {_quote(provider_id)} already has a number for customer"
                f" {_quote(customer_id)} ({earlier})"
            )
        earlier = self.customers_by_number.get((provider_id, number))
        if earlier is not None:
            raise entry.error(
                f"number {_quote(number)} of provider {_quote(provider_id)} is already used"
                f" ({earlier})"
            )
        self.numbers_by_customer[(provider_id, customer_id)] = where
        self.customers_by_number[(provider_id, number)] = where
        self.customer_numbers.append(CustomerNumber(provider_id, customer_id, number))

    # -- purchasing powers, reservations, events -----------------------------------------

    def purchasing_power(self, where: str, obj: object) -> None:
        entry = _Entry(
            where,
            obj,
            (
                "id",
                "kind",
                "customerId",
                "organizerId",
                "serviceId",
                "voucherNumber",
                "validFrom",
                "validTo",
            ),
            ("contents", "grantedAmount"),
        )
        ident = self._id(entry, "purchasingPowers", where)
        kind = entry.enum("kind", KINDS)
        customer_id = entry.ref("customerId", self.customers)
        organizer_id = entry.ref("organizerId", self.organizers)
        service_id = entry.ref("serviceId", self.services)
        service = self.services[service_id]
        if service.organizer_id != organizer_id:
            raise entry.error(
                f"organizerId {_quote(organizer_id)} does not match the organizer"
                f" {_quote(service.organizer_id)} of service {_quote(service_id)}"
            )
        voucher_number = entry.string("voucherNumber")
        earlier = self.voucher_numbers.get(voucher_number)
        if earlier is not None:
            raise entry.error(
                f"voucherNumber {_quote(voucher_number)} is already used by {earlier}"
            )
        valid_from = entry.day("validFrom")
        valid_to = entry.day("validTo")
        if valid_from > valid_to:
            raise entry.error(
                f"validFrom {valid_from.isoformat()} is after validTo {valid_to.isoformat()}"
            )
        service_contents = {content.id for content in service.contents}
        contents: list[PurchasingPowerContent] = []
        granted_amount: Decimal | None = None
        if kind == "REGULAR":
            if entry.get("grantedAmount") is not _MISSING:
                raise entry.error("a REGULAR purchasing power has no grantedAmount")
            items = entry.items("contents", required=False)
            if not items:
                raise entry.error("a REGULAR purchasing power needs at least one of contents")
            seen: set[str] = set()
            for index, item in enumerate(items):
                sub = _Entry(
                    f"{entry.where}, contents[{index}]",
                    item,
                    ("contentId", "unitValue", "grantedUnits"),
                    has_id=False,
                )
                content_id = sub.ref("contentId", self.contents)
                if content_id not in service_contents:
                    raise sub.error(
                        f"contentId {_quote(content_id)} is not a content of service"
                        f" {_quote(service_id)}"
                    )
                if content_id in seen:
                    raise sub.error(f"contentId {_quote(content_id)} is listed twice")
                seen.add(content_id)
                contents.append(
                    PurchasingPowerContent(
                        content_id,
                        sub.decimal("unitValue", non_negative=True),
                        sub.decimal("grantedUnits", positive=True),
                    )
                )
            allowed = frozenset(seen)
        else:
            if entry.items("contents", required=False):
                raise entry.error("a BALANCE purchasing power has no contents")
            granted_amount = entry.decimal("grantedAmount", non_negative=True)
            allowed = frozenset(service_contents)
        self.voucher_numbers[voucher_number] = entry.where
        self.allowed_contents[ident] = allowed
        self.purchasing_powers[ident] = PurchasingPower(
            ident,
            kind,  # type: ignore[arg-type]
            customer_id,
            organizer_id,
            service_id,
            voucher_number,
            valid_from,
            valid_to,
            tuple(contents),
            granted_amount,
        )

    def _content_of(self, entry: _Entry, purchasing_power_id: str) -> str:
        content_id = entry.ref("contentId", self.contents)
        if content_id not in self.allowed_contents[purchasing_power_id]:
            power = self.purchasing_powers[purchasing_power_id]
            if power.kind == "REGULAR":
                owner = f"purchasing power {_quote(purchasing_power_id)}"
            else:
                owner = f"service {_quote(power.service_id)} of purchasing power"
                owner += f" {_quote(purchasing_power_id)}"
            raise entry.error(f"contentId {_quote(content_id)} is not a content of {owner}")
        return content_id

    def reservation(self, where: str, obj: object) -> None:
        entry = _Entry(
            where,
            obj,
            ("id", "purchasingPowerId", "contentId", "providerId", "validFrom"),
            ("validTo",),
        )
        ident = self._id(entry, "reservations", where)
        power_id = entry.ref("purchasingPowerId", self.purchasing_powers)
        content_id = self._content_of(entry, power_id)
        provider_id = entry.ref("providerId", self.providers)
        valid_from = entry.day("validFrom")
        valid_to = entry.optional_day("validTo")
        if valid_to is not None and valid_from > valid_to:
            raise entry.error(
                f"validFrom {valid_from.isoformat()} is after validTo {valid_to.isoformat()}"
            )
        self.reservations[ident] = Reservation(
            ident, power_id, content_id, provider_id, valid_from, valid_to
        )

    def event(self, where: str, obj: object) -> None:
        entry = _Entry(
            where,
            obj,
            (
                "id",
                "purchasingPowerId",
                "contentId",
                "providerId",
                "serviceDate",
                "units",
                "unitPrice",
                "status",
                "recordedOn",
            ),
            ("description", "approvedOn", "deleted"),
        )
        ident = self._id(entry, "events", where)
        power_id = entry.ref("purchasingPowerId", self.purchasing_powers)
        content_id = self._content_of(entry, power_id)
        provider_id = entry.ref("providerId", self.providers)
        service_date = entry.day("serviceDate")
        units = entry.decimal("units", positive=True)
        unit_price = entry.decimal("unitPrice", non_negative=True)
        try:
            check_event_values(units, unit_price)
        except BadInput as exc:
            raise entry.error(exc.message) from None
        description = entry.optional_string("description", "")
        if entry.get("status") == "SETTLED":
            raise entry.error(
                'status "SETTLED" is derived from the settlement dates; give the workflow'
                " status (RECORDED or APPROVED)"
            )
        status = entry.enum("status", WORKFLOW_STATUSES)
        recorded_on = entry.day("recordedOn")
        approved_on = entry.optional_day("approvedOn")
        deleted = entry.boolean("deleted", False)
        self.events[ident] = Event(
            ident,
            power_id,
            content_id,
            provider_id,
            service_date,
            units,
            unit_price,
            description,
            status,  # type: ignore[arg-type]
            recorded_on,
            approved_on,
            deleted,
        )
