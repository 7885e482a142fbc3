"""A deterministic demo world, in the world-file format of CONTRACT.md.

`demo_world(today)` returns a JSON-serialisable dict (dates and decimals as strings)
that `validate_world` accepts and that follows the domain rules as well: every event
lies inside its purchasing power's validity, is covered by a reservation of its
provider for its content, is not after today, and has a workflow status that the
review and settlement rules could have produced (UNDER_REVIEW, APPROVED and REJECTED
only where the granted units ran out; CREDITED only once settled).

Stable handles for tests and the `--demo` server:
- users `p1-recorder` `p1-reporter` ... `p4-…`, `p1-recorder2` (a second recorder),
  `o1-staff` `o1-admin` ... `o3-…`, `o1-staff2` (in no team);
- customer `c1` always holds `pp1` (REGULAR, o1/s1, content k1, 10 hours granted) with
  events in every workflow status, deleted ones too, and `bp2` (BALANCE, o1/s1), and has
  the customer number `HP-100` at provider p1.
The same `today` and `seed` always give the same world.
"""

from __future__ import annotations

import calendar
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from voucher_graph.domain.hetu import make_hetu
from voucher_graph.world.validate import business_id_check_digit

DEFAULT_SEED = 20261126

# (id, name, voucher prefix, settlement day of month; 31 = the month's last day)
ORGANIZERS: tuple[tuple[str, str, str, int], ...] = (
    ("o1", "Vantaa", "VAN", 8),
    ("o2", "Espoo", "ESP", 31),
    ("o3", "Keski-Uudenmaan hyvinvointialue", "KUH", 15),
)
# (id, name, first seven digits of the business id, customer-number prefix)
PROVIDERS: tuple[tuple[str, str, str, str], ...] = (
    ("p1", "Hoivapalvelu Oy", "1083742", "HP"),
    ("p2", "Kotiapu Ky", "1604913", "KA"),
    ("p3", "Siivouspalvelu Puhdas Oy", "2358330", "SP"),
    ("p4", "Tukikohta Oy", "2665819", "TK"),
)
# (id, organizer, name, ((content id, name, unit), ...))
SERVICES: tuple[tuple[str, str, str, tuple[tuple[str, str, str], ...]], ...] = (
    (
        "s1",
        "o1",
        "Kotihoito",
        (("k1", "Kotihoidon käynti", "HOUR"), ("k2", "Turvapuhelinkäynti", "VISIT")),
    ),
    ("s2", "o1", "Omaishoidon vapaa", (("k3", "Vuorokausihoito", "DAY"),)),
    ("s3", "o2", "Siivous", (("k4", "Perussiivous", "HOUR"), ("k5", "Ikkunanpesu", "PIECE"))),
    ("s4", "o2", "Kotihoito", (("k6", "Kotikäynti", "VISIT"),)),
    ("s5", "o3", "Tehostettu palveluasuminen", (("k7", "Asumisvuorokausi", "DAY"),)),
    ("s6", "o3", "Kuljetuspalvelu", (("k8", "Saattajan tunti", "HOUR"), ("k9", "Matka", "PIECE"))),
)
# Which providers deliver which services.
PROVIDER_SERVICES: dict[str, tuple[str, ...]] = {
    "s1": ("p1", "p2"),
    "s2": ("p1", "p4"),
    "s3": ("p2", "p3", "p4"),
    "s4": ("p1", "p2"),
    "s5": ("p1", "p4"),
    "s6": ("p2", "p3", "p4"),
}
# (id, organizer, name, services, members)
TEAMS: tuple[tuple[str, str, str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("t1", "o1", "Kotihoidon tiimi", ("s1",), ("o1-staff",)),
    ("t2", "o2", "Siivous ja kotihoito", ("s3", "s4"), ("o2-staff",)),
    ("t3", "o3", "Kuljetukset", ("s6",), ("o3-staff",)),
    ("t4", "o3", "Tyhjä tiimi", ("s5",), ()),
)

FIRST_NAMES = (
    "Aino",
    "Aarne",
    "Anna",
    "Anna-Maija",
    "Anna Maria",
    "Anni",
    "Åke",
    "Åsa",
    "Björn",
    "Eero",
    "Eeva-Kaarina",
    "Eino",
    "Elina",
    "Göran",
    "Håkan",
    "Helmi",
    "Ilmari",
    "Juha",
    "Juha-Pekka",
    "Juho",
    "Kaarina",
    "Kalle",
    "Liisa",
    "Maija",
    "Maija Liisa",
    "Maija-Liisa",
    "Märta",
    "Minna",
    "Olli",
    "Outi",
    "Pekka",
    "Pertti",
    "Riitta",
    "Sami",
    "Seppo",
    "Sirkka",
    "Tuula",
    "Ülle",
    "Väinö",
    "Yrjö",
    "Lars Erik",
)
LAST_NAMES = (
    "Aho-Mäkelä",
    "af Forselles",
    "Ahonen",
    "Åberg",
    "Åström",
    "de la Chapelle",
    "Hämäläinen",
    "Heikkinen",
    "Jääskeläinen",
    "Järvinen",
    "Jokinen",
    "Karjalainen",
    "Kivi",
    "Kivi-Ojala",
    "Korhonen",
    "Koskinen",
    "Lahtinen",
    "Laine",
    "Lehtonen",
    "Mäkelä",
    "Mäki",
    "Mäki-Petäjä",
    "Mäkinen",
    "Niemi",
    "Nieminen",
    "Öhman",
    "Ojala",
    "Rantanen",
    "Saarinen",
    "Salminen",
    "Ståhlberg",
    "Söderholm",
    "Tuominen",
    "Virta",
    "Virta-Aho",
    "Virtanen",
    "von Wright",
    "Ylä-Mononen",
    "Äijälä",
    "Östman",
)
DESCRIPTIONS = (
    "",
    "",
    "",
    "Aamukäynti",
    "Iltakäynti",
    "Lääkkeiden jako",
    "Saattaja-apu",
    "Siivous ja pyykit",
    'Yöpartio "kiireellinen"',
)
UNIT_PRICES = (
    "0.99",
    "10.10",
    "18.45",
    "29.99",
    "33.33",
    "41.37",
    "45.00",
    "52.35",
    "61.05",
    "75.00",
)
# Per unit: units of one event, value per unit and granted units of a regular voucher.
EVENT_UNITS = {
    "HOUR": ("0.25", "0.5", "0.75", "1", "1", "1.15", "1.25", "1.5", "2", "2.25", "2.5", "3", "4"),
    "VISIT": ("1", "1", "1", "2"),
    "DAY": ("1", "1", "2", "3"),
    "PIECE": ("1", "2", "3", "5"),
}
UNIT_VALUES = {
    "HOUR": ("28.50", "32.00", "38.75"),
    "VISIT": ("15.00", "22.50"),
    "DAY": ("95.00", "120.00"),
    "PIECE": ("8.00", "12.50"),
}
GRANTED_UNITS = {
    "HOUR": ("7.5", "10", "20", "40"),
    "VISIT": ("8", "30"),
    "DAY": ("5", "14"),
    "PIECE": ("4", "12"),
}
GRANTED_AMOUNTS = ("300.00", "500.00", "1200.00", "2500.00")
RECORDING_DELAYS = (0, 0, 1, 1, 2, 3, 5, 7, 9, 14)


def add_months(day: date, months: int) -> date:
    """The same day `months` later (or earlier), the month's last day standing in."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def settlement_dates(today: date, day_of_month: int) -> list[date]:
    """Monthly settlement dates from four years before `today` to one year after."""
    start, end = add_months(today, -48), add_months(today, 12)
    result: list[date] = []
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        last = calendar.monthrange(year, month)[1]
        day = date(year, month, min(day_of_month, last))
        if start <= day <= end:
            result.append(day)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return result


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


@dataclass
class _Power:
    id: str
    kind: str
    customer: int
    organizer_id: str
    service_id: str
    voucher_number: str
    valid_from: date
    valid_to: date
    contents: list[tuple[str, str, str]]  # (content id, unit value, granted units)
    granted_amount: str | None

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "kind": self.kind,
            "customerId": f"c{self.customer}",
            "organizerId": self.organizer_id,
            "serviceId": self.service_id,
            "voucherNumber": self.voucher_number,
            "validFrom": self.valid_from.isoformat(),
            "validTo": self.valid_to.isoformat(),
        }
        if self.kind == "REGULAR":
            data["contents"] = [
                {"contentId": c, "unitValue": v, "grantedUnits": g} for c, v, g in self.contents
            ]
        else:
            data["grantedAmount"] = self.granted_amount
        return data


@dataclass
class _Event:
    power: _Power
    content_id: str
    provider_id: str
    service_date: date
    units: str
    unit_price: str
    description: str
    recorded_on: date
    status: str = "RECORDED"
    approved_on: date | None = None
    deleted: bool = False
    order: int = 0  # creation order, the last tie-breaker


@dataclass
class _Builder:
    today: date
    customer_count: int
    rng: random.Random
    organizers: dict[str, list[date]] = field(default_factory=dict)
    services: dict[str, tuple[str, tuple[tuple[str, str, str], ...]]] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)
    prices: dict[tuple[str, str], str] = field(default_factory=dict)
    customers: list[dict[str, Any]] = field(default_factory=list)
    powers: list[_Power] = field(default_factory=list)
    reservations: list[dict[str, Any]] = field(default_factory=list)
    events: list[_Event] = field(default_factory=list)
    # provider -> customers it has reservations with, in first-seen order
    clients: dict[str, dict[int, None]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.horizon = add_months(self.today, -48)
        for organizer_id, _name, _prefix, day in ORGANIZERS:
            self.organizers[organizer_id] = settlement_dates(self.today, day)
        for service_id, organizer_id, _name, contents in SERVICES:
            self.services[service_id] = (organizer_id, contents)
            for content_id, _content_name, unit in contents:
                self.units[content_id] = unit
                for provider_id in PROVIDER_SERVICES[service_id]:
                    self.prices[(provider_id, content_id)] = self.rng.choice(UNIT_PRICES)
        self.clients = {provider_id: {} for provider_id, *_ in PROVIDERS}
        self.prefixes = {organizer_id: prefix for organizer_id, _n, prefix, _d in ORGANIZERS}

    # -- settlement -----------------------------------------------------------------------

    def settled(self, organizer_id: str, settleable_on: date) -> bool:
        """Whether an event settleable on that day is past its settlement date today."""
        for day in self.organizers[organizer_id]:
            if day >= settleable_on:
                return self.today > day
        return False

    # -- customers ------------------------------------------------------------------------

    def make_customers(self) -> None:
        rng = self.rng
        used: set[str] = set()
        for number in range(1, self.customer_count + 1):
            draw = rng.random()
            if draw < 0.005:
                year = rng.randint(1890, 1899)
            elif draw < 0.80:
                year = rng.randint(1925, 1960)
            elif draw < 0.93:
                year = rng.randint(1961, 2004)
            else:
                year = rng.randint(2005, min(2020, self.today.year))
            birth = date(year, 1, 1) + timedelta(days=rng.randrange(365))
            birth = min(birth, self.today)
            if year < 1900:
                sign = "+"
            elif year < 2000:
                sign = "-" if rng.random() < 0.8 else rng.choice("YXWVU")
            else:
                sign = "A" if rng.random() < 0.8 else rng.choice("BCDEF")
            while True:
                individual = rng.randint(900, 999) if rng.random() < 0.01 else rng.randint(2, 899)
                ssn = make_hetu(birth, individual, sign)
                if ssn not in used:
                    break
            used.add(ssn)
            self.customers.append(
                {
                    "id": f"c{number}",
                    "firstName": rng.choice(FIRST_NAMES),
                    "lastName": rng.choice(LAST_NAMES),
                    "ssn": ssn,
                }
            )

    # -- purchasing powers and reservations ------------------------------------------------

    def new_power(
        self,
        customer: int,
        service_id: str,
        kind: str,
        valid_from: date,
        valid_to: date,
        contents: list[tuple[str, str, str]],
        granted_amount: str | None,
    ) -> _Power:
        number = len(self.powers) + 1
        organizer_id = self.services[service_id][0]
        power = _Power(
            id=f"{'pp' if kind == 'REGULAR' else 'bp'}{number}",
            kind=kind,
            customer=customer,
            organizer_id=organizer_id,
            service_id=service_id,
            voucher_number=f"{self.prefixes[organizer_id]}-{valid_from.year}-{number:05d}",
            valid_from=valid_from,
            valid_to=valid_to,
            contents=contents,
            granted_amount=granted_amount,
        )
        self.powers.append(power)
        return power

    def reserve(
        self, power: _Power, content_id: str, provider_id: str, start: date, end: date | None
    ) -> dict[str, Any]:
        reservation = {
            "id": f"r{len(self.reservations) + 1}",
            "purchasingPowerId": power.id,
            "contentId": content_id,
            "providerId": provider_id,
            "validFrom": start.isoformat(),
            "validTo": _iso(end),
        }
        self.reservations.append(reservation)
        self.clients[provider_id].setdefault(power.customer, None)
        return reservation

    def random_power(self, customer: int) -> None:
        rng, today = self.rng, self.today
        service_id = rng.choice(list(self.services))
        contents = self.services[service_id][1]
        valid_from = today + timedelta(days=rng.randint(-4 * 365 - 120, 60))
        valid_to = valid_from + timedelta(days=rng.randint(180, 730))
        if rng.random() < 0.3:
            power = self.new_power(
                customer,
                service_id,
                "BALANCE",
                valid_from,
                valid_to,
                [],
                rng.choice(GRANTED_AMOUNTS),
            )
            picked = rng.sample(contents, rng.randint(1, len(contents)))
            reserved = [c[0] for c in contents if c in picked]
        else:
            picked = rng.sample(contents, rng.randint(1, len(contents)))
            chosen = [c for c in contents if c in picked]
            granted = [
                (c[0], rng.choice(UNIT_VALUES[c[2]]), rng.choice(GRANTED_UNITS[c[2]]))
                for c in chosen
            ]
            power = self.new_power(
                customer, service_id, "REGULAR", valid_from, valid_to, granted, None
            )
            reserved = [c[0] for c in chosen]
        providers = list(PROVIDER_SERVICES[service_id])
        first = rng.choice(providers)
        second = rng.choice([p for p in providers if p != first]) if rng.random() < 0.25 else None
        start = min(valid_from + timedelta(days=rng.randint(0, 20)), valid_to)
        periods: list[tuple[str, date, date | None]] = []
        if valid_to < today:  # an expired voucher: mostly ended, now and then left open
            periods.append((first, start, None if rng.random() < 0.15 else valid_to))
            if second is not None:
                periods.append((second, start, valid_to))
        elif second is not None and start < today - timedelta(days=30):
            handover = today - timedelta(days=rng.randint(1, min(300, (today - start).days - 1)))
            if rng.random() < 0.5:  # handover: the first ended, the second took over
                periods.append((first, start, handover))
                periods.append((second, handover + timedelta(days=1), None))
            else:  # the second starts in the future
                periods.append((first, start, None if rng.random() < 0.5 else valid_to))
                future = today + timedelta(days=rng.randint(1, 60))
                if future <= valid_to:
                    periods.append((second, future, valid_to))
        else:
            periods.append((first, start, None if rng.random() < 0.5 else valid_to))
        for provider_id, period_start, period_end in periods:
            for content_id in reserved:
                self.reserve(power, content_id, provider_id, period_start, period_end)
                self.random_events(power, content_id, provider_id, period_start, period_end)

    # -- events -----------------------------------------------------------------------------

    def add_event(
        self,
        power: _Power,
        content_id: str,
        provider_id: str,
        service_date: date,
        units: str,
        *,
        unit_price: str | None = None,
        description: str | None = None,
        delay: int | None = None,
    ) -> _Event:
        rng = self.rng
        if delay is None:
            delay = rng.choice(RECORDING_DELAYS)
        event = _Event(
            power=power,
            content_id=content_id,
            provider_id=provider_id,
            service_date=service_date,
            units=units,
            unit_price=unit_price or self.prices[(provider_id, content_id)],
            description=rng.choice(DESCRIPTIONS) if description is None else description,
            recorded_on=min(service_date + timedelta(days=delay), self.today),
            order=len(self.events),
        )
        self.events.append(event)
        return event

    def random_events(
        self, power: _Power, content_id: str, provider_id: str, start: date, end: date | None
    ) -> None:
        rng = self.rng
        first = max(start, power.valid_from, self.horizon)
        last = min(end or power.valid_to, power.valid_to, self.today)
        if first > last:
            return
        span = (last - first).days
        count = rng.choice((0, 1, 2, 2, 3, 3, 4, 5, 6))
        count = min(count, span + 1)
        unit = self.units[content_id]
        for offset in sorted(rng.sample(range(span + 1), count)):
            units = rng.choice(EVENT_UNITS[unit])
            self.add_event(power, content_id, provider_id, first + timedelta(days=offset), units)

    def assign_statuses(self, skip: set[int]) -> None:
        """Give each generated event the status the review and settlement rules allow.

        Events of one purchasing power and content are taken in recording order; a
        regular voucher's event that would exceed the granted units went to review.
        """
        rng, today = self.rng, self.today
        groups: dict[tuple[str, str], list[_Event]] = {}
        for event in self.events:
            if event.order not in skip:
                groups.setdefault((event.power.id, event.content_id), []).append(event)
        for (_power_id, content_id), events in groups.items():
            power = events[0].power
            granted = None
            for granted_content, _value, granted_units in power.contents:
                if granted_content == content_id:
                    granted = Decimal(granted_units)
            used = Decimal(0)
            events.sort(key=lambda e: (e.recorded_on, e.service_date, e.order))
            for event in events:
                units = Decimal(event.units)
                organizer_id = power.organizer_id
                over = granted is not None and used + units > granted
                if rng.random() < 0.05:
                    # deleted before its settlement date; a deleted event never counts
                    event.deleted = True
                    event.status = "UNDER_REVIEW" if over else "RECORDED"
                    continue
                if over:
                    recent = event.recorded_on > today - timedelta(days=30)
                    draw = rng.random()
                    if draw < (0.6 if recent else 0.1):
                        event.status = "UNDER_REVIEW"
                        used += units
                    elif draw < (0.8 if recent else 0.6):
                        event.approved_on = min(
                            event.recorded_on + timedelta(days=rng.randint(1, 30)), today
                        )
                        if self.settled(organizer_id, event.approved_on) and rng.random() < 0.1:
                            event.status = "CREDITED"
                        else:
                            event.status = "APPROVED"
                            used += units
                    else:
                        event.status = "REJECTED"
                    continue
                if self.settled(organizer_id, event.recorded_on) and rng.random() < 0.08:
                    event.status = "CREDITED"
                else:
                    event.status = "RECORDED"
                    used += units

    # -- the showcase customer c1 ------------------------------------------------------------

    def showcase(self) -> set[int]:
        """c1's vouchers: every workflow status on pp1, a balance voucher bp2.

        Returns the creation orders of its events, whose statuses are fixed here.
        """
        today = self.today

        def ago(days: int) -> date:
            return today - timedelta(days=days)

        regular = self.new_power(
            1,
            "s1",
            "REGULAR",
            ago(500),
            today + timedelta(days=365),
            [("k1", "32.00", "10")],
            None,
        )
        self.reserve(regular, "k1", "p1", ago(500), None)  # open-ended, current
        self.reserve(regular, "k1", "p2", ago(500), ago(200))  # ended
        self.reserve(regular, "k1", "p2", today + timedelta(days=14), regular.valid_to)  # future
        # (provider, days ago, units, status, approved days after recording, deleted)
        script: tuple[tuple[str, int, str, str, int | None, bool], ...] = (
            ("p2", 450, "3", "RECORDED", None, False),  # used 3
            ("p2", 420, "2", "CREDITED", None, False),
            ("p1", 300, "4", "RECORDED", None, False),  # used 7
            ("p1", 250, "2", "RECORDED", None, True),
            ("p1", 180, "4", "APPROVED", 5, False),  # 11 > 10: reviewed, approved
            ("p1", 150, "1", "CREDITED", 4, False),  # reviewed, approved, settled, credited
            ("p1", 90, "2", "REJECTED", None, False),
            ("p1", 5, "1.5", "UNDER_REVIEW", None, False),
            ("p1", 3, "0.5", "UNDER_REVIEW", None, True),
        )
        orders: set[int] = set()
        for provider_id, days, units, status, approved_after, deleted in script:
            event = self.add_event(
                regular,
                "k1",
                provider_id,
                ago(days),
                units,
                unit_price="45.00",
                description="Kotihoidon käynti",
                delay=2,
            )
            event.status = status
            event.deleted = deleted
            if approved_after is not None:
                event.approved_on = event.recorded_on + timedelta(days=approved_after)
            orders.add(event.order)
        balance = self.new_power(
            1, "s1", "BALANCE", ago(400), today + timedelta(days=200), [], "500.00"
        )
        self.reserve(balance, "k2", "p1", ago(400), balance.valid_to)  # current, with an end
        for days, units, status, deleted in (
            (380, "3", "RECORDED", False),
            (200, "2", "CREDITED", False),
            (2, "4", "RECORDED", False),
            (1, "1", "RECORDED", True),
        ):
            event = self.add_event(
                balance,
                "k2",
                "p1",
                ago(days),
                units,
                unit_price="45.00",
                description="Turvapuhelinkäynti",
                delay=0,
            )
            event.status = status
            event.deleted = deleted
            orders.add(event.order)
        return orders

    # -- output -------------------------------------------------------------------------------

    def build(self) -> dict[str, Any]:
        self.make_customers()
        fixed: set[int] = set()
        for customer in range(1, self.customer_count + 1):
            if customer == 1:
                fixed = self.showcase()
                continue
            for _ in range(self.rng.choice((1, 1, 2, 2, 2, 3))):
                self.random_power(customer)
        self.assign_statuses(fixed)
        return {
            "organizers": [
                {
                    "id": organizer_id,
                    "name": name,
                    "settlementDates": [d.isoformat() for d in self.organizers[organizer_id]],
                }
                for organizer_id, name, _prefix, _day in ORGANIZERS
            ],
            "providers": [
                {"id": provider_id, "name": name, "businessId": _business_id(digits)}
                for provider_id, name, digits, _prefix in PROVIDERS
            ],
            "services": [
                {
                    "id": service_id,
                    "organizerId": organizer_id,
                    "name": name,
                    "contents": [{"id": c, "name": n, "unit": u} for c, n, u in contents],
                }
                for service_id, organizer_id, name, contents in SERVICES
            ],
            "users": _users(),
            "teams": [
                {
                    "id": team_id,
                    "organizerId": organizer_id,
                    "name": name,
                    "serviceIds": list(service_ids),
                    "memberIds": list(member_ids),
                }
                for team_id, organizer_id, name, service_ids, member_ids in TEAMS
            ],
            "customers": self.customers,
            "customerNumbers": self.customer_numbers(),
            "purchasingPowers": [power.as_json() for power in self.powers],
            "reservations": self.reservations,
            "events": self.events_json(),
        }

    def customer_numbers(self) -> list[dict[str, str]]:
        numbers: list[dict[str, str]] = []
        for provider_id, _name, _digits, prefix in PROVIDERS:
            next_number = 100
            for customer in self.clients[provider_id]:
                if customer == 1 and provider_id == "p1" or self.rng.random() < 0.6:
                    numbers.append(
                        {
                            "providerId": provider_id,
                            "customerId": f"c{customer}",
                            "number": f"{prefix}-{next_number}",
                        }
                    )
                    next_number += 1
        return numbers

    def events_json(self) -> list[dict[str, Any]]:
        ordered = sorted(self.events, key=lambda e: (e.recorded_on, e.service_date, e.order))
        width = max(5, len(str(len(ordered))))
        return [
            {
                "id": f"e{index:0{width}d}",
                "purchasingPowerId": event.power.id,
                "contentId": event.content_id,
                "providerId": event.provider_id,
                "serviceDate": event.service_date.isoformat(),
                "units": event.units,
                "unitPrice": event.unit_price,
                "description": event.description,
                "status": event.status,
                "recordedOn": event.recorded_on.isoformat(),
                "approvedOn": _iso(event.approved_on),
                "deleted": event.deleted,
            }
            for index, event in enumerate(ordered, start=1)
        ]


def _business_id(digits: str) -> str:
    check = business_id_check_digit(digits)
    if check is None:  # no valid id has these digits; a fixed table never hits this
        raise ValueError(f"no business id starts with {digits}")
    return f"{digits}-{check}"


def _users() -> list[dict[str, Any]]:
    users: list[dict[str, Any]] = []
    for provider_id, name, _digits, _prefix in PROVIDERS:
        users.append(
            {
                "id": f"{provider_id}-recorder",
                "name": f"Kirjaaja, {name}",
                "role": "RECORDER",
                "providerId": provider_id,
            }
        )
        users.append(
            {
                "id": f"{provider_id}-reporter",
                "name": f"Raportoija, {name}",
                "role": "REPORTER",
                "providerId": provider_id,
            }
        )
    users.append(
        {
            "id": "p1-recorder2",
            "name": "Toinen kirjaaja, Hoivapalvelu Oy",
            "role": "RECORDER",
            "providerId": "p1",
        }
    )
    for organizer_id, name, _prefix, _day in ORGANIZERS:
        users.append(
            {
                "id": f"{organizer_id}-staff",
                "name": f"Käsittelijä, {name}",
                "role": "STAFF",
                "organizerId": organizer_id,
            }
        )
        users.append(
            {
                "id": f"{organizer_id}-admin",
                "name": f"Pääkäyttäjä, {name}",
                "role": "ADMIN",
                "organizerId": organizer_id,
            }
        )
    users.append(
        {
            "id": "o1-staff2",
            "name": "Toinen käsittelijä, Vantaa",
            "role": "STAFF",
            "organizerId": "o1",
        }
    )
    return users


def demo_world(today: date, *, customers: int = 300, seed: int = DEFAULT_SEED) -> dict[str, Any]:
    """A consistent world file (as a JSON-ready dict) around `today`; deterministic per seed."""
    if customers < 1:
        raise ValueError("a demo world needs at least one customer")
    return _Builder(today, customers, random.Random(seed)).build()


def large_world(today: date, customers: int, seed: int = DEFAULT_SEED) -> dict[str, Any]:
    """A bigger demo world, for benchmarks."""
    return demo_world(today, customers=customers, seed=seed)
