"""A synthetic world of N customers with a realistic shape, as rows, for `voucher-graph generate`.

Pure: no database. `SyntheticWorld(customers, seed, today)` holds the fixed part
(organizers, settlement dates, providers, services, contents, users, teams) as rows,
and `chunks()` yields the customers and everything hanging off them in blocks of
`CHUNK` customers, as rows in the column order of `COLUMNS`. The same customers, seed
and today give the same rows, whatever database they are written to.

The shape (issue 7): up to 50 organizers whose sizes are skewed, up to 2,000 providers
whose sizes follow a power law (both scaled down for small worlds), teams, users of
every role, 1-3 purchasing powers of both kinds per customer, reservations, about 10
events per customer over 5 years in every workflow status, common Finnish names.

Every row obeys what a loaded world obeys (CONTRACT.md world file, DOMAIN.md): valid
hetu and business ids, unique ids, voucher numbers and customer numbers, a purchasing
power's organizer is its service's organizer, each event lies inside its purchasing
power's validity, is covered by a reservation of its provider for its content, is not
after today, has units <= 9,999.99 and unit price <= 99,999.99 with two decimals, and a
workflow status that review and settlement could have produced.
"""

from __future__ import annotations

import bisect
import calendar
import functools
import itertools
import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta

from voucher_graph.domain.dates import window_start
from voucher_graph.domain.hetu import make_hetu
from voucher_graph.world.validate import business_id_check_digit

# Customers per block. Each block has its own random stream (seeded by the seed and its
# first customer); blocks are made in order, as hetu and customer numbers must stay unique.
CHUNK = 5000
YEARS = 5

Row = tuple[object, ...]

# The generated tables and their columns, in write order (parents first).
COLUMNS: dict[str, tuple[str, ...]] = {
    "organizers": ("id", "name"),
    "settlement_dates": ("organizer_id", "day"),
    "providers": ("id", "name", "business_id"),
    "services": ("id", "organizer_id", "name"),
    "contents": ("id", "service_id", "name", "unit"),
    "users": ("id", "name", "role", "provider_id", "organizer_id"),
    "teams": ("id", "organizer_id", "name"),
    "team_services": ("team_id", "service_id"),
    "team_members": ("team_id", "user_id"),
    # Customers as (id, first name, last name, hetu); the writer derives the rest.
    "customers": ("id", "first_name", "last_name", "ssn"),
    "customer_numbers": ("provider_id", "customer_id", "number"),
    "purchasing_powers": (
        "id",
        "kind",
        "customer_id",
        "organizer_id",
        "service_id",
        "voucher_number",
        "valid_from",
        "valid_to",
        "granted_amount",
    ),
    "purchasing_power_contents": (
        "purchasing_power_id",
        "content_id",
        "unit_value",
        "granted_units",
    ),
    "reservations": (
        "id",
        "purchasing_power_id",
        "customer_id",
        "content_id",
        "provider_id",
        "valid_from",
        "valid_to",
    ),
    "events": (
        "id",
        "purchasing_power_id",
        "customer_id",
        "content_id",
        "provider_id",
        "service_date",
        "units",
        "unit_price",
        "description",
        "status",
        "recorded_on",
        "approved_on",
        "deleted",
        "reason",
        "recorded_by",
        "idempotency_key",
    ),
}
FIXED_TABLES = tuple(list(COLUMNS)[:9])
CHUNK_TABLES = tuple(list(COLUMNS)[9:])

# Fifty of the largest Finnish municipalities and wellbeing services counties, largest first.
ORGANIZER_NAMES = (
    "Helsinki", "Länsi-Uudenmaan hyvinvointialue", "Pirkanmaan hyvinvointialue",
    "Varsinais-Suomen hyvinvointialue", "Vantaan ja Keravan hyvinvointialue",
    "Pohjois-Pohjanmaan hyvinvointialue", "Itä-Uudenmaan hyvinvointialue",
    "Keski-Suomen hyvinvointialue", "Pohjois-Savon hyvinvointialue",
    "Keski-Uudenmaan hyvinvointialue", "Päijät-Hämeen hyvinvointialue",
    "Satakunnan hyvinvointialue", "Etelä-Pohjanmaan hyvinvointialue",
    "Pohjois-Karjalan hyvinvointialue", "Kanta-Hämeen hyvinvointialue",
    "Lapin hyvinvointialue", "Pohjanmaan hyvinvointialue", "Kymenlaakson hyvinvointialue",
    "Etelä-Karjalan hyvinvointialue", "Etelä-Savon hyvinvointialue",
    "Keski-Pohjanmaan hyvinvointialue", "Kainuun hyvinvointialue", "Espoo", "Tampere",
    "Vantaa", "Oulu", "Turku", "Jyväskylä", "Kuopio", "Lahti", "Pori", "Kouvola",
    "Joensuu", "Lappeenranta", "Hämeenlinna", "Vaasa", "Seinäjoki", "Rovaniemi",
    "Mikkeli", "Kotka", "Salo", "Porvoo", "Kokkola", "Lohja", "Hyvinkää", "Nurmijärvi",
    "Järvenpää", "Rauma", "Kirkkonummi", "Tuusula",
)  # fmt: skip

# (name, weight, ((content name, unit), ...)): the services an organizer may offer.
SERVICE_TYPES: tuple[tuple[str, int, tuple[tuple[str, str], ...]], ...] = (
    ("Kotihoito", 30, (("Kotihoidon käynti", "HOUR"), ("Turvapuhelinkäynti", "VISIT"))),
    ("Siivous", 15, (("Perussiivous", "HOUR"), ("Ikkunanpesu", "PIECE"))),
    ("Kuljetuspalvelu", 10, (("Saattajan tunti", "HOUR"), ("Matka", "PIECE"))),
    ("Omaishoidon vapaa", 10, (("Vuorokausihoito", "DAY"),)),
    ("Tehostettu palveluasuminen", 8, (("Asumisvuorokausi", "DAY"),)),
    ("Lapsiperheiden kotipalvelu", 8, (("Kotipalvelun tunti", "HOUR"),)),
    ("Henkilökohtainen apu", 7, (("Avustajan tunti", "HOUR"),)),
    ("Fysioterapia", 7, (("Fysioterapiakäynti", "VISIT"),)),
    ("Päivätoiminta", 5, (("Päivätoimintapäivä", "DAY"),)),
    ("Suun terveydenhuolto", 5, (("Hammashoitokäynti", "VISIT"), ("Proteesi", "PIECE"))),
)
ALWAYS_OFFERED = 3  # every organizer offers the first three service types

PROVIDER_WORDS = (
    "Hoiva", "Koti", "Apu", "Tuki", "Hyvinvointi", "Kunto", "Puhdas", "Aurinko", "Lähi",
    "Arki", "Huolenpito", "Kotiapu", "Sini", "Kataja", "Pihlaja", "Kuusi", "Mänty",
    "Koivu", "Kaste", "Helmi", "Onni", "Ilo", "Valo", "Tähti", "Meri", "Järvi",
)  # fmt: skip
PROVIDER_KINDS = ("palvelut", "hoiva", "palvelu", "apu", "koti", "tiimi")
COMPANY_FORMS = ("Oy", "Oy", "Oy", "Ky", "Tmi", "Oy Ab")

# Common Finnish surnames and first names, most common first (with a few of the
# hyphenated, Swedish and particle names that search must handle).
LAST_NAMES = (
    "Korhonen", "Virtanen", "Mäkinen", "Nieminen", "Mäkelä", "Hämäläinen", "Laine",
    "Heikkinen", "Koskinen", "Järvinen", "Lehtonen", "Lehtinen", "Saarinen", "Salminen",
    "Heinonen", "Niemi", "Heikkilä", "Kinnunen", "Salonen", "Turunen", "Salo", "Laitinen",
    "Tuominen", "Rantanen", "Karjalainen", "Jokinen", "Mattila", "Savolainen", "Lahtinen",
    "Ahonen", "Hiltunen", "Leinonen", "Kallio", "Miettinen", "Hirvonen", "Pitkänen",
    "Aaltonen", "Väisänen", "Manninen", "Lindholm", "Laaksonen", "Hakala", "Anttila",
    "Koivisto", "Laakso", "Räsänen", "Seppälä", "Peltonen", "Lindroos", "Kettunen",
    "Jääskeläinen", "Åberg", "Öhman", "Mäki-Petäjä", "Aho-Mäkelä", "af Forselles",
    "von Wright", "Ylä-Mononen", "Äijälä", "Östman",
)  # fmt: skip
# Customers' surnames: the common ones above, then compounds of Finnish place words and
# surname endings (Kivimäki, Koskela, ...), about 1,500 in all, drawn with a skew that
# gives the most common about 1 % of customers and the sixty common ones about 13 %.
# (Finland's most common surname, Korhonen, is carried by about 0.4 % of people; drawn
# from the sixty alone, it went to 15.6 % and made a prefix like "kor" match a fifth
# of a million-customer world.)
_STEMS = (
    "Kivi", "Mäki", "Koski", "Niemi", "Laakso", "Harju", "Salo", "Lahti", "Järvi", "Ranta",
    "Kallio", "Metsä", "Suo", "Kangas", "Pelto", "Vaara", "Kuusi", "Koivu", "Haapa",
    "Leppä", "Pihla", "Tammi", "Honka", "Lehto", "Karhu", "Kettu", "Hirvi", "Orava",
    "Sorsa", "Kurki", "Joutsen", "Haukka", "Pouta", "Lumi", "Halla", "Kontio", "Ilves",
    "Saukko", "Peura", "Virta", "Puro", "Oja", "Lampi", "Saari", "Nummi", "Rinne", "Vuori",
    "Kumpu", "Rauta", "Hopea", "Kulta", "Tuuli", "Aalto", "Valko", "Musta", "Vihervä",
    "Sini", "Kataja", "Mänty", "Raja",
)  # fmt: skip
_ENDINGS = (
    "nen", "la", "lä", "maa", "mäki", "niemi", "koski", "salo", "lahti", "järvi", "ranta",
    "harju", "aho", "vaara", "pää", "kangas", "lehto", "korpi", "suo", "nummi", "puro",
    "oja", "rinne", "vuori", "saari",
)  # fmt: skip
CUSTOMER_LAST_NAMES = tuple(
    dict.fromkeys(
        (*LAST_NAMES, *(stem + ending for ending in _ENDINGS for stem in _STEMS
                        if not stem.endswith(ending[:2])))
    )
)  # fmt: skip
SURNAME_SKEW = 1.6  # P(the most common) = (1 / len) ** (1 / SURNAME_SKEW)

FIRST_NAMES = (
    "Maria", "Juhani", "Anna", "Johannes", "Helena", "Mikael", "Johanna", "Olavi",
    "Kaarina", "Antero", "Marjatta", "Tapani", "Liisa", "Kalevi", "Sofia", "Matti",
    "Annikki", "Tapio", "Hannele", "Kari", "Emilia", "Ilmari", "Aino", "Antti", "Eeva",
    "Pekka", "Tuula", "Juha", "Sirkka", "Timo", "Ritva", "Mikko", "Pirjo", "Jari",
    "Leena", "Heikki", "Anneli", "Markku", "Elina", "Seppo", "Maija-Liisa", "Juha-Pekka",
    "Anna Maria", "Åke", "Väinö", "Yrjö", "Märta", "Björn",
)  # fmt: skip
DESCRIPTIONS = ("", "", "", "Aamukäynti", "Iltakäynti", "Lääkkeiden jako", "Saattaja-apu")
# Cents: unit prices a provider asks per unit, and values per unit of a voucher.
UNIT_PRICES = (1890, 2999, 3333, 4137, 4500, 5235, 6105, 7500, 9800, 12000)
UNIT_VALUES = {"HOUR": (2850, 3200, 3875), "VISIT": (1500, 2250), "DAY": (9500, 12000),
               "PIECE": (800, 1250)}  # fmt: skip
# Hundredths of a unit: the units of one event.
EVENT_UNITS = {"HOUR": (25, 50, 100, 100, 150, 200, 300), "VISIT": (100, 100, 200),
               "DAY": (100, 100, 200, 300), "PIECE": (100, 200, 300)}  # fmt: skip
GRANTED_AMOUNTS = (30000, 50000, 120000, 250000)
RECORDING_DELAYS = (0, 0, 1, 1, 2, 3, 5, 7, 9, 14)
# Events per day of a reservation that lies in the past: about 10 events per customer.
EVENT_RATE = 0.0102


@functools.cache
def _money(cents: int) -> str:
    """Hundredths as the canonical two-decimal text the database stores."""
    return f"{cents // 100}.{cents % 100:02d}"


def _skew(count: int, exponent: float) -> list[float]:
    """Cumulative weights of a power law over ranks 1..count."""
    return list(itertools.accumulate(1 / rank**exponent for rank in range(1, count + 1)))


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


@dataclass(frozen=True)
class Market:
    """The providers that deliver one service, with cumulative choice weights."""

    providers: tuple[int, ...]  # provider ranks
    weights: tuple[float, ...]


@dataclass
class Tally:
    """How many customers each user sees, counted while the rows are made."""

    provider_customers: Counter[int] = field(default_factory=Counter)
    user_customers: Counter[str] = field(default_factory=Counter)


@dataclass
class _Service:
    id: str
    organizer: int
    kind: int  # index into SERVICE_TYPES
    contents: tuple[tuple[str, str], ...]  # (content id, unit)


class SyntheticWorld:
    """The rows of a synthetic world of `customers` customers, built from `seed` and `today`."""

    def __init__(self, customers: int, seed: int, today: date) -> None:
        if customers < 1:
            raise ValueError("a world needs at least one customer")
        self.customers = customers
        self.seed = seed
        self.today = today
        self.horizon = date(today.year - YEARS, today.month, min(today.day, 28))
        self.window_start = window_start(today)
        self.today_ordinal = today.toordinal()
        self.tally = Tally()
        rng = random.Random(f"{seed}:fixed")
        # Scaled down for small worlds: a provider serves at least ~200 customers.
        self.organizer_count = max(2, min(len(ORGANIZER_NAMES), customers // 1000))
        self.provider_count = max(4, min(2000, customers // 200))
        self.fixed: dict[str, list[Row]] = {table: [] for table in FIXED_TABLES}
        self.settlement: dict[int, list[date]] = {}
        self.services: list[_Service] = []
        self.services_of: dict[int, list[int]] = {}  # organizer -> service indexes
        self.service_weights: dict[int, list[float]] = {}
        self.markets: list[Market] = []
        self.staff_of_service: dict[str, tuple[str, ...]] = {}
        self.admins_of: dict[int, tuple[str, ...]] = {}
        self.organizer_weights = _skew(self.organizer_count, 0.8)
        self._organizers(rng)
        self._providers(rng)
        self._users_and_teams(rng)
        self.used_hetu: set[int] = set()  # birth day * 1000 + individual number
        self.next_number: dict[int, int] = {}

    # -- the fixed part ---------------------------------------------------------------------

    def _organizers(self, rng: random.Random) -> None:
        rows = self.fixed
        type_weights = [weight for _name, weight, _contents in SERVICE_TYPES]
        for number in range(1, self.organizer_count + 1):
            organizer_id = f"o{number}"
            rows["organizers"].append((organizer_id, ORGANIZER_NAMES[number - 1]))
            settlement_day = rng.choice((5, 8, 10, 15, 20, 28, 31))
            days = _monthly(self.horizon - timedelta(days=400), self.today, settlement_day)
            self.settlement[number] = days
            rows["settlement_dates"].extend((organizer_id, day) for day in days)
            offered = list(range(ALWAYS_OFFERED))
            extra = rng.randint(1, len(SERVICE_TYPES) - ALWAYS_OFFERED)
            offered += sorted(rng.sample(range(ALWAYS_OFFERED, len(SERVICE_TYPES)), extra))
            self.services_of[number] = []
            for kind in offered:
                name, _weight, contents = SERVICE_TYPES[kind]
                service_id = f"{organizer_id}-s{kind + 1}"
                rows["services"].append((service_id, organizer_id, name))
                content_rows = []
                for index, (content_name, unit) in enumerate(contents, start=1):
                    content_id = f"{service_id}-k{index}"
                    rows["contents"].append((content_id, service_id, content_name, unit))
                    content_rows.append((content_id, unit))
                self.services_of[number].append(len(self.services))
                self.services.append(_Service(service_id, number, kind, tuple(content_rows)))
            self.service_weights[number] = list(
                itertools.accumulate(type_weights[k] for k in offered)
            )

    def _providers(self, rng: random.Random) -> None:
        """Providers by rank: the big ones work for many organizers and offer much."""
        used_ids: set[str] = set()
        covers: list[set[int]] = []
        offers: list[set[int]] = []
        organizers = list(range(1, self.organizer_count + 1))
        for rank in range(1, self.provider_count + 1):
            while True:
                digits = f"{rng.randrange(1_000_000, 3_400_000):07d}"
                check = business_id_check_digit(digits)
                business_id = f"{digits}-{check}"
                if check is not None and business_id not in used_ids:
                    break
            used_ids.add(business_id)
            name = (
                f"{rng.choice(PROVIDER_WORDS)}{rng.choice(PROVIDER_KINDS)} "
                f"{rng.choice(COMPANY_FORMS)}"
            )
            self.fixed["providers"].append((f"p{rank}", name, business_id))
            reach = max(1, round(self.organizer_count * 0.6 / rank**0.5))
            covers.append(set(rng.sample(organizers, min(reach, len(organizers)))))
            breadth = 6 if rank <= 3 else rng.randint(1, 4)
            offers.append(set(rng.sample(range(len(SERVICE_TYPES)), breadth)))
        for service in self.services:
            kind = service.kind
            ranks = [
                rank
                for rank in range(1, self.provider_count + 1)
                if service.organizer in covers[rank - 1] and kind in offers[rank - 1]
            ]
            if not ranks:  # someone must deliver every service
                ranks = [next((r for r in range(1, self.provider_count + 1)
                              if service.organizer in covers[r - 1]), 1)]  # fmt: skip
            weights = tuple(itertools.accumulate(1 / rank**0.4 for rank in ranks))
            self.markets.append(Market(tuple(ranks), weights))

    def _users_and_teams(self, rng: random.Random) -> None:
        rows = self.fixed
        for rank in range(1, self.provider_count + 1):
            recorders = max(1, round(8 / rank**0.5))
            reporters = 2 if rank <= 20 else 1
            for number in range(1, recorders + reporters + 1):
                role = "RECORDER" if number <= recorders else "REPORTER"
                user_id = f"p{rank}-u{number}"
                rows["users"].append((user_id, self._person(rng), role, f"p{rank}", None))
        staff_of: dict[str, list[str]] = {}
        team_number = 0
        for number in range(1, self.organizer_count + 1):
            organizer_id = f"o{number}"
            staff_count = max(2, round(16 / number**0.5))
            staff = [f"{organizer_id}-u{k}" for k in range(1, staff_count + 1)]
            admin_count = 2 if number <= 5 else 1
            admins = [f"{organizer_id}-u{staff_count + k}" for k in range(1, admin_count + 1)]
            for user_id in staff:
                rows["users"].append((user_id, self._person(rng), "STAFF", None, organizer_id))
            for user_id in admins:
                rows["users"].append((user_id, self._person(rng), "ADMIN", None, organizer_id))
            self.admins_of[number] = tuple(admins)
            services = [self.services[i] for i in self.services_of[number]]
            # One guidance team names the three common services; one team per service
            # besides. The last staff member is in no team.
            plans = [("Palveluohjaus", services[:ALWAYS_OFFERED])]
            plans += [(f"{SERVICE_TYPES[s.kind][0]} -tiimi", [s]) for s in services]
            members = staff[:-1]
            for index, (name, team_services) in enumerate(plans):
                team_number += 1
                team_id = f"t{team_number}"
                rows["teams"].append((team_id, organizer_id, name))
                rows["team_services"].extend((team_id, s.id) for s in team_services)
                # The first staff member is in the guidance team; the rest spread out.
                team_members = members[:1] if index == 0 else members[index % 2 :: 2][:3]
                if index > 0 and not members[1:]:
                    team_members = []
                for user_id in team_members:
                    rows["team_members"].append((team_id, user_id))
                    for service in team_services:
                        staff_of.setdefault(service.id, []).append(user_id)
        self.staff_of_service = {key: tuple(dict.fromkeys(v)) for key, v in staff_of.items()}

    @staticmethod
    def _person(rng: random.Random) -> str:
        return f"{rng.choice(FIRST_NAMES).split()[0]} {rng.choice(LAST_NAMES)}"

    # -- customers, block by block ----------------------------------------------------------

    def chunks(self) -> Iterator[dict[str, list[Row]]]:
        """The customers' rows, CHUNK customers at a time, each block's tables parents first."""
        for start in range(1, self.customers + 1, CHUNK):
            stop = min(self.customers + 1, start + CHUNK)
            yield _Block(self, random.Random(f"{self.seed}:{start}")).build(start, stop)


def _monthly(first: date, last: date, day_of_month: int) -> list[date]:
    """Monthly settlement dates from `first` to a year after `last`."""
    result: list[date] = []
    year, month = first.year, first.month
    end = _add_months(last, 12)
    while (year, month) <= (end.year, end.month):
        result.append(date(year, month, min(day_of_month, calendar.monthrange(year, month)[1])))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return result


@dataclass
class _Event:
    provider: int
    content_id: str
    service_date: date
    units: int
    unit_price: int
    description: str
    recorded_on: date
    status: str = "RECORDED"
    approved_on: date | None = None
    deleted: bool = False


class _Block:
    """The rows of customers start..stop-1."""

    def __init__(self, world: SyntheticWorld, rng: random.Random) -> None:
        self.world = world
        self.rng = rng
        self.rows: dict[str, list[Row]] = {table: [] for table in CHUNK_TABLES}

    def build(self, start: int, stop: int) -> dict[str, list[Row]]:
        for number in range(start, stop):
            self.customer(number)
        return self.rows

    def customer(self, number: int) -> None:
        world, rng = self.world, self.rng
        customer_id = f"c{number}"
        first = FIRST_NAMES[_zipf_index(rng, len(FIRST_NAMES))]
        last = CUSTOMER_LAST_NAMES[_zipf_index(rng, len(CUSTOMER_LAST_NAMES), SURNAME_SKEW)]
        self.rows["customers"].append((customer_id, first, last, self.hetu()))
        home = bisect.bisect(world.organizer_weights, rng.random() * world.organizer_weights[-1])
        providers_seen: set[int] = set()
        reserving: dict[int, None] = {}  # providers with a reservation, first seen first
        users_seen: set[str] = set()
        count = rng.choices((1, 2, 3), (50, 33, 17))[0]
        for index in range(1, count + 1):
            organizer = home + 1
            if rng.random() < 0.1:  # moved, or a service bought from a neighbour
                organizer = rng.randint(1, world.organizer_count)
            weights = world.service_weights[organizer]
            pick = bisect.bisect(weights, rng.random() * weights[-1])
            service_index = world.services_of[organizer][pick]
            self.power(customer_id, number, index, service_index, providers_seen, reserving)
            service = world.services[service_index]
            users_seen.update(world.staff_of_service.get(service.id, ()))
            users_seen.update(world.admins_of[organizer])
        for provider in reserving:
            self.number(provider, customer_id)
        for rank in sorted(providers_seen):
            world.tally.provider_customers[rank] += 1
        for user_id in users_seen:
            world.tally.user_customers[user_id] += 1

    def hetu(self) -> str:
        rng, used = self.rng, self.world.used_hetu
        while True:
            draw = rng.random()
            if draw < 0.003:
                year = rng.randint(1895, 1899)
            elif draw < 0.75:
                year = rng.randint(1925, 1960)
            elif draw < 0.93:
                year = rng.randint(1961, 2004)
            else:
                year = rng.randint(2005, min(2023, self.world.today.year))
            birth = min(date(year, 1, 1) + timedelta(days=rng.randrange(365)), self.world.today)
            individual = rng.randint(900, 999) if rng.random() < 0.01 else rng.randint(2, 899)
            key = birth.toordinal() * 1000 + individual
            if key not in used:
                used.add(key)
                break
        if year < 1900:
            sign = "+"
        elif year < 2000:
            sign = "-" if rng.random() < 0.8 else rng.choice("YXWVU")
        else:
            # The century signs B-F exist since 2023; older codes use A.
            sign = "A" if rng.random() < 0.8 else rng.choice("BCDEF")
        return make_hetu(birth, individual, sign)

    def power(
        self,
        customer_id: str,
        customer: int,
        index: int,
        service_index: int,
        providers_seen: set[int],
        reserving: dict[int, None],
    ) -> None:
        world, rng, today = self.world, self.rng, self.world.today
        service = world.services[service_index]
        market = world.markets[service_index]
        valid_from = (
            world.horizon
            - timedelta(days=120)
            + timedelta(days=rng.randrange((today - world.horizon).days + 180))
        )
        valid_to = valid_from + timedelta(days=rng.randint(180, 730))
        kind = "BALANCE" if rng.random() < 0.25 else "REGULAR"
        power_id = f"{'bp' if kind == 'BALANCE' else 'pp'}{customer}-{index}"
        organizer_id = f"o{service.organizer}"
        prefix = ORGANIZER_NAMES[service.organizer - 1][:3].upper()
        voucher = f"{prefix}-{valid_from.year}-{customer:07d}-{index}"
        contents = list(service.contents)
        picked = rng.sample(contents, rng.randint(1, len(contents)))
        chosen = [c for c in contents if c in picked]
        first = market.providers[bisect.bisect(market.weights, rng.random() * market.weights[-1])]
        second = None
        if len(market.providers) > 1 and rng.random() < 0.2:
            second = market.providers[int(rng.random() * len(market.providers))]
            if second == first:
                second = None
        start = min(valid_from + timedelta(days=rng.randint(0, 20)), valid_to)
        periods: list[tuple[int, date, date | None]] = []
        if valid_to < today:  # expired: mostly ended, now and then left open
            periods.append((first, start, None if rng.random() < 0.1 else valid_to))
            if second is not None:
                periods.append((second, start, valid_to))
        elif second is not None and start < today - timedelta(days=30):
            handover = today - timedelta(days=rng.randint(1, min(300, (today - start).days - 1)))
            periods.append((first, start, handover))
            periods.append((second, handover + timedelta(days=1), None))
        else:
            periods.append((first, start, None if rng.random() < 0.5 else valid_to))
        events: dict[str, list[_Event]] = {content_id: [] for content_id, _unit in chosen}
        reservation = 0
        for provider, period_start, period_end in periods:
            for content_id, unit in chosen:
                reservation += 1
                self.rows["reservations"].append(
                    (
                        f"r{customer}-{index}-{reservation}",
                        power_id,
                        customer_id,
                        content_id,
                        f"p{provider}",
                        period_start,
                        period_end,
                    )
                )
                if period_end is None or period_end >= world.window_start:
                    providers_seen.add(provider)
                events[content_id] += self.events(
                    provider, content_id, unit, period_start,
                    min(period_end or valid_to, valid_to),
                )  # fmt: skip
        granted_amount = None
        if kind == "BALANCE":
            granted_amount = _money(rng.choice(GRANTED_AMOUNTS))
        self.rows["purchasing_powers"].append(
            (power_id, kind, customer_id, organizer_id, service.id, voucher, valid_from,
             valid_to, granted_amount)
        )  # fmt: skip
        settlement = world.settlement[service.organizer]
        serial = 0
        for content_id, unit in chosen:
            group = sorted(events[content_id], key=lambda e: (e.recorded_on, e.service_date))
            granted = None
            if kind == "REGULAR":
                total = sum(event.units for event in group)
                # Sometimes less than was used: those events went to review.
                granted = max(100, round(total * rng.choice((0.6, 0.9, 1.2, 1.5, 2.0)) / 50) * 50)
                self.rows["purchasing_power_contents"].append(
                    (power_id, content_id, _money(rng.choice(UNIT_VALUES[unit])), _money(granted))
                )
            self.statuses(group, granted, settlement)
            for event in group:
                serial += 1
                if not event.deleted and event.service_date >= world.window_start:
                    providers_seen.add(event.provider)
                self.rows["events"].append(
                    (f"e{customer}-{index}-{serial}", power_id, customer_id, content_id,
                     f"p{event.provider}", event.service_date, _money(event.units),
                     _money(event.unit_price), event.description, event.status,
                     event.recorded_on, event.approved_on, event.deleted, None, None, None)
                )  # fmt: skip
        for provider, _start, _end in periods:
            reserving.setdefault(provider, None)

    def events(
        self, provider: int, content_id: str, unit: str, first: date, last: date
    ) -> list[_Event]:
        world, rng = self.world, self.rng
        first = max(first, world.horizon)
        last = min(last, world.today)
        if first > last:
            return []
        span = (last - first).days + 1
        rand = rng.random
        count = min(span, int(span * EVENT_RATE * (0.3 + 1.4 * rand()) + rand()))
        # A provider asks the same price for a content; derived, not drawn, so every
        # block agrees on it.
        price = UNIT_PRICES[(provider * 7919 + sum(map(ord, content_id))) % len(UNIT_PRICES)]
        units = EVENT_UNITS[unit]
        base, today = first.toordinal(), world.today_ordinal
        fromordinal = date.fromordinal
        result = []
        for offset in sorted(rng.sample(range(span), count)):
            day = base + offset
            delay = RECORDING_DELAYS[int(rand() * len(RECORDING_DELAYS))]
            result.append(
                _Event(provider, content_id, fromordinal(day),
                       units[int(rand() * len(units))], price,
                       DESCRIPTIONS[int(rand() * len(DESCRIPTIONS))],
                       fromordinal(min(day + delay, today)))
            )  # fmt: skip
        return result

    def statuses(self, group: list[_Event], granted: int | None, settlement: list[date]) -> None:
        """The status review and settlement could have given each event, in recording order."""
        rng, today = self.rng, self.world.today

        def settled(day: date) -> bool:
            index = bisect.bisect_left(settlement, day)
            return index < len(settlement) and today > settlement[index]

        used = 0
        for event in group:
            over = granted is not None and used + event.units > granted
            if rng.random() < 0.03:  # deleted before its settlement date; never counts
                event.deleted = True
                event.status = "UNDER_REVIEW" if over else "RECORDED"
                continue
            if over:
                recent = event.recorded_on > today - timedelta(days=30)
                draw = rng.random()
                if draw < (0.6 if recent else 0.1):
                    event.status = "UNDER_REVIEW"
                    used += event.units
                elif draw < (0.8 if recent else 0.6):
                    event.approved_on = min(
                        event.recorded_on + timedelta(days=rng.randint(1, 30)), today
                    )
                    if settled(event.approved_on) and rng.random() < 0.1:
                        event.status = "CREDITED"
                    else:
                        event.status = "APPROVED"
                        used += event.units
                else:
                    event.status = "REJECTED"
            elif settled(event.recorded_on) and rng.random() < 0.03:
                event.status = "CREDITED"
            else:
                used += event.units

    def number(self, provider: int, customer_id: str) -> None:
        """Most providers give their customers a number of their own."""
        if self.rng.random() < 0.3:
            return
        counter = self.world.next_number.get(provider, 1000) + 1
        self.world.next_number[provider] = counter
        self.rows["customer_numbers"].append((f"p{provider}", customer_id, f"AS-{counter}"))


def _zipf_index(rng: random.Random, size: int, skew: float = 2.2) -> int:
    """An index 0..size-1, the low ones much more likely (common names are common):
    the first with probability (1 / size) ** (1 / skew)."""
    return min(size - 1, int(size * rng.random() ** skew))
