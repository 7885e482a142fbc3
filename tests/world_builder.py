"""The tests' one builder of worlds: world files in the contract's format, as dicts that
tests load through the real validator and loader (support.load_world).

A test states what matters to it; the rest has defaults. Names are "Organizer o1",
"Provider p1" and so on; a purchasing power belongs to its service's organizer, is
valid from 2020 to 2030 (or what the World was given) and, when regular, grants every
content of its service; a purchasing power, reservation or event names the world's
first service or provider unless told otherwise, and the first content its purchasing
power allows; a reservation starts when its purchasing power does and has no end; an
event is recorded on its service date and, when APPROVED, approved then too.

Nothing here comes from the product: the personal identity codes are made from
DOMAIN.md's rule, so that the product's validator is checked against the rule rather
than against its own maker (tests/model/test_independence.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from typing import Any, NamedTuple

Day = str | date  # an ISO date, or a date

# DOMAIN.md "Personal identity code": DDMMYYCZZZQ, Q = CHECK_CHARS[int(DDMMYYZZZ) % 31].
CHECK_CHARS = "0123456789ABCDEFHJKLMNPRSTUVWXY"
CENTURY_SIGN = {1800: "+", 1900: "-", 2000: "A"}
# Valid business ids, given to the providers in turn; a fourth provider states its own.
BUSINESS_IDS = ("1083742-9", "1604913-2", "2358330-9")
# The world file's lists, in the contract's order.
SECTIONS = (
    "organizers providers services users teams customers customerNumbers purchasingPowers"
    " reservations events"
).split()
PROVIDER_ROLES = ("RECORDER", "REPORTER")


def hetu(born: date, individual: int) -> str:
    """A valid personal identity code, made from DOMAIN.md alone (not the product's maker),
    so that the product's validator is checked against the rule, not against itself."""
    birth = f"{born.day:02d}{born.month:02d}{born.year % 100:02d}"
    number = f"{individual:03d}"
    sign = CENTURY_SIGN[born.year // 100 * 100]
    return birth + sign + number + CHECK_CHARS[int(birth + number) % len(CHECK_CHARS)]


def iso(value: Day | None) -> str | None:
    return value.isoformat() if isinstance(value, date) else value


class Content(NamedTuple):
    """One content of a service (a bare id is an HOUR content)."""

    id: str
    unit: str = "HOUR"
    name: str | None = None


# (content id, unit value, granted units) of a regular purchasing power
Grant = tuple[str, str, str]


class World:
    """A world under construction; `raw` is the world file, ready to load."""

    def __init__(self, *, valid_from: Day = "2020-01-01", valid_to: Day = "2030-12-31") -> None:
        self.raw: dict[str, Any] = {section: [] for section in SECTIONS}
        self._valid = (iso(valid_from), iso(valid_to))
        self._by_id: dict[tuple[str, str], dict[str, Any]] = {}

    def _add(self, section: str, entry: dict[str, Any]) -> None:
        self.raw[section].append(entry)
        if "id" in entry:
            self._by_id[section, entry["id"]] = entry

    def _first(self, section: str) -> str:
        ident: str = self.raw[section][0]["id"]
        return ident

    def ids(self, section: str) -> list[str]:
        return [entry["id"] for entry in self.raw[section]]

    def organizer(
        self, ident: str, settlement_dates: Iterable[Day] = (), *, name: str | None = None
    ) -> None:
        self._add(
            "organizers",
            {
                "id": ident,
                "name": name or f"Organizer {ident}",
                "settlementDates": [iso(d) for d in settlement_dates],
            },
        )

    def provider(
        self, ident: str, *, name: str | None = None, business_id: str | None = None
    ) -> None:
        business_id = business_id or BUSINESS_IDS[len(self.raw["providers"])]
        self._add(
            "providers",
            {"id": ident, "name": name or f"Provider {ident}", "businessId": business_id},
        )

    def service(
        self, ident: str, organizer: str, *contents: str | Content, name: str | None = None
    ) -> None:
        parts = [Content(c) if isinstance(c, str) else c for c in contents]
        self._add(
            "services",
            {
                "id": ident,
                "organizerId": organizer,
                "name": name or f"Service {ident}",
                "contents": [
                    {"id": c.id, "name": c.name or f"Content {c.id}", "unit": c.unit} for c in parts
                ],
            },
        )

    def user(self, ident: str, role: str, at: str, *, name: str | None = None) -> None:
        """A user of provider `at` (RECORDER, REPORTER) or of organizer `at` (the others)."""
        side = "providerId" if role in PROVIDER_ROLES else "organizerId"
        self._add("users", {"id": ident, "name": name or f"User {ident}", "role": role, side: at})

    def team(
        self,
        ident: str,
        organizer: str,
        services: Sequence[str] = (),
        members: Sequence[str] = (),
        *,
        name: str | None = None,
    ) -> None:
        self._add(
            "teams",
            {
                "id": ident,
                "organizerId": organizer,
                "name": name or f"Team {ident}",
                "serviceIds": list(services),
                "memberIds": list(members),
            },
        )

    def customer(
        self, ident: str, first: str = "Maija", last: str = "Virtanen", *, ssn: str | None = None
    ) -> str:
        """Adds the customer; its personal identity code (distinct for each customer)."""
        n = len(self.raw["customers"])
        ssn = ssn or hetu(date(1950, 1, 1) + timedelta(days=n), 100 + n)
        self._add("customers", {"id": ident, "firstName": first, "lastName": last, "ssn": ssn})
        return ssn

    def number(self, provider: str, customer: str, number: str) -> None:
        """The customer's number at the provider."""
        self._add(
            "customerNumbers", {"providerId": provider, "customerId": customer, "number": number}
        )

    def _power(
        self,
        ident: str,
        kind: str,
        customer: str,
        service: str | None,
        voucher: str | None,
        valid_from: Day | None,
        valid_to: Day | None,
    ) -> dict[str, Any]:
        service = service or self._first("services")
        return {
            "id": ident,
            "kind": kind,
            "customerId": customer,
            "organizerId": self._by_id["services", service]["organizerId"],
            "serviceId": service,
            "voucherNumber": voucher or f"V-{ident}",
            "validFrom": iso(valid_from) or self._valid[0],
            "validTo": iso(valid_to) or self._valid[1],
        }

    def regular(
        self,
        ident: str,
        customer: str,
        service: str | None = None,
        grants: Sequence[Grant] | None = None,
        *,
        voucher: str | None = None,
        valid_from: Day | None = None,
        valid_to: Day | None = None,
    ) -> None:
        """A regular purchasing power; by default 100 units at 30.00 of each content."""
        power = self._power(ident, "REGULAR", customer, service, voucher, valid_from, valid_to)
        if grants is None:
            contents = self._by_id["services", power["serviceId"]]["contents"]
            grants = [(c["id"], "30.00", "100") for c in contents]
        power["contents"] = [
            {"contentId": content, "unitValue": value, "grantedUnits": units}
            for content, value, units in grants
        ]
        self._add("purchasingPowers", power)

    def balance(
        self,
        ident: str,
        customer: str,
        service: str | None = None,
        amount: str = "1000.00",
        *,
        voucher: str | None = None,
        valid_from: Day | None = None,
        valid_to: Day | None = None,
    ) -> None:
        power = self._power(ident, "BALANCE", customer, service, voucher, valid_from, valid_to)
        power["grantedAmount"] = amount
        self._add("purchasingPowers", power)

    def contents_of(self, pp: str) -> list[str]:
        """The contents that events and reservations on purchasing power `pp` may name."""
        power = self._by_id["purchasingPowers", pp]
        if power["kind"] == "REGULAR":
            return [c["contentId"] for c in power["contents"]]
        return [c["id"] for c in self._by_id["services", power["serviceId"]]["contents"]]

    def reservation(
        self,
        ident: str,
        pp: str,
        provider: str | None = None,
        *,
        content: str | None = None,
        valid_from: Day | None = None,
        valid_to: Day | None = None,
    ) -> None:
        self._add(
            "reservations",
            {
                "id": ident,
                "purchasingPowerId": pp,
                "contentId": content or self.contents_of(pp)[0],
                "providerId": provider or self._first("providers"),
                "validFrom": iso(valid_from) or self._by_id["purchasingPowers", pp]["validFrom"],
                "validTo": iso(valid_to),
            },
        )

    def event(
        self,
        ident: str,
        pp: str,
        day: Day,
        units: str = "1",
        unit_price: str = "30.00",
        *,
        content: str | None = None,
        provider: str | None = None,
        status: str = "RECORDED",
        recorded_on: Day | None = None,
        approved_on: Day | None = None,
        deleted: bool = False,
    ) -> None:
        """An event served on `day`."""
        recorded = iso(recorded_on) or iso(day)
        if approved_on is None and status == "APPROVED":
            approved_on = recorded
        self._add(
            "events",
            {
                "id": ident,
                "purchasingPowerId": pp,
                "contentId": content or self.contents_of(pp)[0],
                "providerId": provider or self._first("providers"),
                "serviceDate": iso(day),
                "units": units,
                "unitPrice": unit_price,
                "description": "",
                "status": status,
                "recordedOn": recorded,
                "approvedOn": iso(approved_on),
                "deleted": deleted,
            },
        )
