"""An independent reference model of DOMAIN.md's read rules, in plain Python over a world dict.

Written from DOMAIN.md alone: it imports nothing from the product, so that a shared
misreading cannot hide in both. It answers, for a user and a day taken as today, what
the API must show: visible customers, their lists, and every event's status and amounts.

Readings of points DOMAIN.md leaves open (the report to the lead lists them too):
- Deleted events are never shown, also on purchasing powers the user manages ("the row
  stays, hidden").
- An event "went through review" exactly when it has an `approvedOn`; its settleable day
  is then that day, else `recordedOn`. CREDITED events get a settlement date the same way
  (they keep the one they were settled on), and are never SETTLED.
- Lists whose order DOMAIN.md does not fix (purchasing powers, reservations) compare as sets.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
COUNTING = frozenset({"RECORDED", "UNDER_REVIEW", "APPROVED"})
SETTLEABLE = frozenset({"RECORDED", "APPROVED"})
NO_SETTLEMENT = frozenset({"UNDER_REVIEW", "REJECTED"})


def cents(value: Decimal) -> Decimal:
    """Money rounded half up to the cent."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def money(value: Decimal) -> str:
    """The contract's Decimal rendering: exactly two decimals."""
    return f"{cents(value):.2f}"


def window_start(today: date) -> date:
    """Today three years earlier; 29 Feb becomes 28 Feb."""
    if today.month == 2 and today.day == 29:
        return date(today.year - 3, 2, 28)
    return today.replace(year=today.year - 3)


def day(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)


@dataclass(frozen=True)
class EventFacts:
    """What any user who sees the event reads of its status and amounts."""

    id: str
    status: str
    settlement_date: date | None
    price: Decimal
    voucher_share: Decimal
    copay: Decimal


@dataclass(frozen=True)
class CustomerView:
    """What one user sees of one visible customer."""

    id: str
    names_readable: bool
    customer_number: str | None
    regular_powers: frozenset[str]
    balance_powers: frozenset[str]
    current_reservations: frozenset[str]
    all_reservations: frozenset[str]
    events: tuple[str, ...]  # by service date, then id by code point


class Reference:
    """DOMAIN.md's read rules over one world and one today."""

    def __init__(self, world: dict[str, Any], today: date) -> None:
        self.world = world
        self.today = today
        self.window_start = window_start(today)
        self.users = {user["id"]: user for user in world.get("users", [])}
        self.customers = {c["id"]: c for c in world.get("customers", [])}
        self.powers = {p["id"]: p for p in world.get("purchasingPowers", [])}
        self.reservations = world.get("reservations", [])
        self.events = {e["id"]: e for e in world.get("events", [])}
        self.settlement_dates = {
            o["id"]: sorted(date.fromisoformat(d) for d in o.get("settlementDates", []))
            for o in world.get("organizers", [])
        }
        self.facts = self._event_facts()

    # -- who sees what ----------------------------------------------------------------

    def provider_of(self, user_id: str) -> str | None:
        return self.users[user_id].get("providerId")

    def manages(self, user_id: str, power: dict[str, Any]) -> bool:
        """Rule B or C holds for the purchasing power's own service and organizer."""
        user = self.users[user_id]
        if user["role"] == "ADMIN" and user.get("organizerId") == power["organizerId"]:
            return True
        return any(
            user_id in team.get("memberIds", [])
            and team["organizerId"] == power["organizerId"]
            and power["serviceId"] in team.get("serviceIds", [])
            for team in self.world.get("teams", [])
        )

    def powers_of(self, customer_id: str) -> list[dict[str, Any]]:
        return [p for p in self.powers.values() if p["customerId"] == customer_id]

    def sees_customer(self, user_id: str, customer_id: str) -> bool:
        provider = self.provider_of(user_id)
        for power in self.powers_of(customer_id):
            if self.manages(user_id, power):  # rules B and C
                return True
            if provider is None:
                continue
            for event in self.events.values():  # rule A, events
                if (
                    event["purchasingPowerId"] == power["id"]
                    and event["providerId"] == provider
                    and not event.get("deleted", False)
                    and date.fromisoformat(event["serviceDate"]) >= self.window_start
                ):
                    return True
            for reservation in self.reservations:  # rule A, reservations
                end = day(reservation.get("validTo"))
                if (
                    reservation["purchasingPowerId"] == power["id"]
                    and reservation["providerId"] == provider
                    and (end is None or end >= self.window_start)
                ):
                    return True
        return False

    def visible_customers(self, user_id: str) -> set[str]:
        return {c for c in self.customers if self.sees_customer(user_id, c)}

    def customer_order(self, customer_ids: Iterable[str]) -> list[str]:
        """Search order: lower-cased last name, lower-cased first name, id (code points)."""

        def key(customer_id: str) -> tuple[str, str, str]:
            customer = self.customers[customer_id]
            return (customer["lastName"].lower(), customer["firstName"].lower(), customer_id)

        return sorted(customer_ids, key=key)

    def view(self, user_id: str, customer_id: str) -> CustomerView:
        """The lists a user sees of a customer that user sees."""
        user = self.users[user_id]
        provider = user.get("providerId")
        powers = self.powers_of(customer_id)
        managed = {p["id"] for p in powers if self.manages(user_id, p)}
        own_ids = {p["id"] for p in powers}
        mine_reservations = [
            r
            for r in self.reservations
            if r["purchasingPowerId"] in own_ids
            and (r["providerId"] == provider or r["purchasingPowerId"] in managed)
        ]
        live_events = [
            e
            for e in self.events.values()
            if e["purchasingPowerId"] in own_ids and not e.get("deleted", False)
        ]
        mine_events = [
            e
            for e in live_events
            if e["providerId"] == provider or e["purchasingPowerId"] in managed
        ]
        touched = {
            r["purchasingPowerId"] for r in self.reservations if r["providerId"] == provider
        } | {e["purchasingPowerId"] for e in live_events if e["providerId"] == provider}
        shown = {p["id"] for p in powers if p["id"] in managed or p["id"] in touched}
        number = None
        if provider is not None:
            for entry in self.world.get("customerNumbers", []):
                if entry["providerId"] == provider and entry["customerId"] == customer_id:
                    number = entry["number"]
        return CustomerView(
            id=customer_id,
            names_readable=user["role"] != "REPORTER",
            customer_number=number,
            regular_powers=frozenset(i for i in shown if self.powers[i]["kind"] == "REGULAR"),
            balance_powers=frozenset(i for i in shown if self.powers[i]["kind"] == "BALANCE"),
            current_reservations=frozenset(r["id"] for r in mine_reservations if self._current(r)),
            all_reservations=frozenset(r["id"] for r in mine_reservations),
            events=tuple(
                e["id"] for e in sorted(mine_events, key=lambda e: (e["serviceDate"], e["id"]))
            ),
        )

    def _current(self, reservation: dict[str, Any]) -> bool:
        start = date.fromisoformat(reservation["validFrom"])
        end = day(reservation.get("validTo"))
        return start <= self.today and (end is None or end >= self.today)

    def visible_events(self, user_id: str) -> set[str]:
        """Every event the user sees: those in the lists of the customers the user sees."""
        return {
            event_id
            for customer_id in self.visible_customers(user_id)
            for event_id in self.view(user_id, customer_id).events
        }

    # -- events and amounts -------------------------------------------------------------

    def _settlement_date(self, event: dict[str, Any]) -> date | None:
        if event["status"] in NO_SETTLEMENT:
            return None
        settleable = day(event.get("approvedOn")) or date.fromisoformat(event["recordedOn"])
        organizer = self.powers[event["purchasingPowerId"]]["organizerId"]
        later = [d for d in self.settlement_dates[organizer] if d >= settleable]
        return later[0] if later else None

    def _event_facts(self) -> dict[str, EventFacts]:
        facts: dict[str, EventFacts] = {}
        balance_left = {
            p["id"]: Decimal(p["grantedAmount"])
            for p in self.powers.values()
            if p["kind"] == "BALANCE"
        }
        ordered = sorted(self.events.values(), key=lambda e: (e["serviceDate"], e["id"]))
        for event in ordered:
            if event.get("deleted", False):
                continue
            power = self.powers[event["purchasingPowerId"]]
            units = Decimal(event["units"])
            price = cents(units * Decimal(event["unitPrice"]))
            if event["status"] not in COUNTING:
                share = ZERO
                copay = ZERO
            elif power["kind"] == "REGULAR":
                value = next(
                    Decimal(c["unitValue"])
                    for c in power["contents"]
                    if c["contentId"] == event["contentId"]
                )
                share = min(price, cents(units * value))
                copay = price - share
            else:
                share = min(price, balance_left[power["id"]])
                balance_left[power["id"]] -= share
                copay = price - share
            settlement = self._settlement_date(event)
            status = event["status"]
            if status in SETTLEABLE and settlement is not None and self.today > settlement:
                status = "SETTLED"
            facts[event["id"]] = EventFacts(
                event["id"], status, settlement, price, cents(share), cents(copay)
            )
        return facts

    def _counting(self, power_id: str) -> list[dict[str, Any]]:
        return [
            e
            for e in self.events.values()
            if e["purchasingPowerId"] == power_id
            and not e.get("deleted", False)
            and e["status"] in COUNTING
        ]

    def used_units(self, power_id: str, content_id: str) -> Decimal:
        return sum(
            (Decimal(e["units"]) for e in self._counting(power_id) if e["contentId"] == content_id),
            ZERO,
        )

    def used_amount(self, power_id: str) -> Decimal:
        return sum((self.facts[e["id"]].voucher_share for e in self._counting(power_id)), ZERO)

    def balance(self, power_id: str) -> Decimal:
        return Decimal(self.powers[power_id]["grantedAmount"]) - self.used_amount(power_id)


# -- explaining access (DOMAIN.md "Explaining access") ----------------------------------

RULES = ("PROVIDER_EVENT", "PROVIDER_RESERVATION", "SERVICE_TEAM", "ORGANIZER_ADMIN")


def last_day_holding(d: date) -> date:
    """The last today t whose window still contains d: found by walking back from well
    past it, with the window rule above (not the product's)."""
    t = date(d.year + 4, 1, 1)
    while window_start(t) > d:
        t = date.fromordinal(t.toordinal() - 1)
    return t


def _reason(rule: str, **fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "rule": rule,
        "providerId": None,
        "eventId": None,
        "reservationId": None,
        "teamId": None,
        "serviceId": None,
        "organizerId": None,
        "until": None,
    }
    base.update(fields)
    return base


class AccessModel(Reference):
    """The reference model with DOMAIN.md's explanations of access."""

    def _qualifying(self, provider: str, power_ids: set[str]) -> tuple[list, list]:
        events = [
            e
            for e in self.events.values()
            if e["purchasingPowerId"] in power_ids
            and e["providerId"] == provider
            and not e.get("deleted", False)
            and date.fromisoformat(e["serviceDate"]) >= self.window_start
        ]
        reservations = [
            r
            for r in self.reservations
            if r["purchasingPowerId"] in power_ids
            and r["providerId"] == provider
            and (day(r.get("validTo")) is None or day(r.get("validTo")) >= self.window_start)
        ]
        return events, reservations

    def _provider_reasons(self, provider: str, power_ids: set[str]) -> list[dict[str, Any]]:
        events, reservations = self._qualifying(provider, power_ids)
        reasons = []
        if events:
            latest = max(events, key=lambda e: (e["serviceDate"], e["id"]))
            reasons.append(
                _reason(
                    "PROVIDER_EVENT",
                    providerId=provider,
                    eventId=latest["id"],
                    until=last_day_holding(date.fromisoformat(latest["serviceDate"])).isoformat(),
                )
            )
        if reservations:

            def lasting(r: dict[str, Any]) -> tuple[bool, str, str]:
                return (r.get("validTo") is None, r.get("validTo") or "", r["id"])

            longest = max(reservations, key=lasting)
            end = day(longest.get("validTo"))
            reasons.append(
                _reason(
                    "PROVIDER_RESERVATION",
                    providerId=provider,
                    reservationId=longest["id"],
                    until=None if end is None else last_day_holding(end).isoformat(),
                )
            )
        return reasons

    def _team_pairs(self, user_id: str, powers: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
        pairs = set()
        for team in self.world.get("teams", []):
            if user_id not in team.get("memberIds", []):
                continue
            for service in team.get("serviceIds", []):
                if any(
                    p["organizerId"] == team["organizerId"] and p["serviceId"] == service
                    for p in powers
                ):
                    pairs.add((team["id"], service, team["organizerId"]))
        return sorted(pairs)

    def access(self, user_id: str, customer_id: str) -> list[dict[str, Any]]:
        user = self.users[user_id]
        powers = self.powers_of(customer_id)
        reasons = []
        provider = user.get("providerId")
        if provider is not None:
            reasons += self._provider_reasons(provider, {p["id"] for p in powers})
        for team, service, organizer in self._team_pairs(user_id, powers):
            reasons.append(
                _reason("SERVICE_TEAM", teamId=team, serviceId=service, organizerId=organizer)
            )
        organizer = user.get("organizerId")
        if user["role"] == "ADMIN" and any(p["organizerId"] == organizer for p in powers):
            reasons.append(_reason("ORGANIZER_ADMIN", organizerId=organizer))
        return reasons

    def admin_sees_by_rule_c(self, user_id: str, customer_id: str) -> bool:
        return any(r["rule"] == "ORGANIZER_ADMIN" for r in self.access(user_id, customer_id))

    def who_can_see(self, admin_id: str, customer_id: str) -> list[dict[str, Any]]:
        """The holders through the admin's organizer's purchasing powers."""
        organizer = self.users[admin_id]["organizerId"]
        powers = [p for p in self.powers_of(customer_id) if p["organizerId"] == organizer]
        power_ids = {p["id"] for p in powers}
        holders = []
        for provider in sorted(p["id"] for p in self.world.get("providers", [])):
            users = sorted(
                u for u, user in self.users.items() if user.get("providerId") == provider
            )
            for reason in self._provider_reasons(provider, power_ids):
                holders.append(
                    {
                        "rule": reason["rule"],
                        "providerId": provider,
                        "teamId": None,
                        "serviceId": None,
                        "organizerId": None,
                        "userIds": users,
                        "until": reason["until"],
                    }
                )
        for team in sorted(self.world.get("teams", []), key=lambda t: t["id"]):
            if team["organizerId"] != organizer:
                continue
            for service in sorted(team.get("serviceIds", [])):
                members = sorted(team.get("memberIds", []))
                if members and any(p["serviceId"] == service for p in powers):
                    holders.append(
                        {
                            "rule": "SERVICE_TEAM",
                            "providerId": None,
                            "teamId": team["id"],
                            "serviceId": service,
                            "organizerId": organizer,
                            "userIds": members,
                            "until": None,
                        }
                    )
        admins = sorted(
            u
            for u, user in self.users.items()
            if user["role"] == "ADMIN" and user.get("organizerId") == organizer
        )
        if powers and admins:
            holders.append(
                {
                    "rule": "ORGANIZER_ADMIN",
                    "providerId": None,
                    "teamId": None,
                    "serviceId": None,
                    "organizerId": organizer,
                    "userIds": admins,
                    "until": None,
                }
            )
        return sorted(
            holders,
            key=lambda h: (
                RULES.index(h["rule"]),
                h["providerId"] or "",
                h["teamId"] or "",
                h["serviceId"] or "",
            ),
        )

    def sees_through(self, user_id: str, customer_id: str, organizer: str) -> bool:
        """Whether a user sees the customer through the organizer's purchasing powers."""
        user = self.users[user_id]
        powers = [p for p in self.powers_of(customer_id) if p["organizerId"] == organizer]
        provider = user.get("providerId")
        if provider is not None and any(self._qualifying(provider, {p["id"] for p in powers})):
            return True
        return any(self.manages(user_id, p) for p in powers)
