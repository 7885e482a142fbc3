"""Hypothesis strategies for small random worlds, with dates clustered where rules turn.

Dates are drawn near the edges that matter: the 3-year window's start (the day before,
on it, after it), today (and the days around it), and each other; settlement dates are
drawn from the same clusters, so events land on, just before and just after them.
Ids are chosen so that code-point order differs from natural and case-insensitive order.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from hypothesis import strategies as st
from reference import hetu, window_start

from voucher_graph.world.validate import validate_world

# 29 Feb twice: its window starts on 28 Feb, the rule most easily got wrong.
TODAYS = (
    date(2026, 11, 26),
    date(2028, 2, 29),
    date(2028, 2, 29),
    date(2027, 3, 1),
    date(2025, 3, 1),
)
BUSINESS_IDS = ("1083742-9", "1604913-2", "2358330-9")
# Code-point order: "C3" < "c02" < "c1" < "c10" < "c2" < "c9" < "ä5".
CUSTOMER_IDS = ("c1", "c10", "c2", "C3", "c02", "c9", "ä5", "c11")
EVENT_IDS = tuple(f"e{n}" for n in (1, 2, 3, 9, 10, 11, 20)) + ("E5", "e05", "e-1", "eA", "ea")
NAMES = ("Anna", "anna", "Åke", "Öljy", "Matti", "Zoe", "Virtanen", "virta", "Äijälä", "Mäki")
UNITS = ("0.5", "1", "1.5", "0.25", "2.35", "0.01", "10", "3.33")
PRICES = ("0.05", "0.15", "12.33", "45.00", "0.00", "33.35", "9.99")
UNIT_VALUES = ("0.05", "0.10", "12.34", "30.00", "0.00", "45.01")
GRANTED_UNITS = ("0.5", "1", "2", "5")
GRANTED_AMOUNTS = ("0.00", "10.00", "50.00", "100.05", "0.07")
STATUSES = ("RECORDED", "UNDER_REVIEW", "APPROVED", "REJECTED", "CREDITED")


def anchors(today: date) -> list[date]:
    """Days where rules turn, repeated to weigh them: the window's start most of all."""
    start = window_start(today)
    return [
        start,
        start,
        start,
        today,
        today,
        start + timedelta(days=200),
        today - timedelta(days=40),
    ]


@st.composite
def near(draw: st.DrawFn, today: date) -> date:
    """A day on or a few days from one of the anchors."""
    anchor = draw(st.sampled_from(anchors(today)))
    offset = draw(st.sampled_from((0, 0, 0, -1, 1, -1, 1, -2, 2, -10, 10)))
    return anchor + timedelta(days=offset)


def iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


@st.composite
def worlds(draw: st.DrawFn) -> tuple[dict[str, Any], date]:
    """A valid world (checked with validate_world) and the day taken as today."""
    today = draw(st.sampled_from(TODAYS))
    days = near(today)

    organizers = [
        {
            "id": ident,
            "name": f"Organizer {ident}",
            "settlementDates": sorted(
                {iso(d) for d in draw(st.lists(days, min_size=0, max_size=4))}
            ),
        }
        for ident in ("o1", "o2")
    ]
    provider_count = draw(st.integers(2, 3))
    providers = [
        {"id": f"p{n + 1}", "name": f"Provider {n + 1}", "businessId": BUSINESS_IDS[n]}
        for n in range(provider_count)
    ]
    service_organizers = ["o1", "o2"] + draw(st.lists(st.sampled_from(["o1", "o2"]), max_size=1))
    services = []
    for n, organizer_id in enumerate(service_organizers):
        contents = [
            {"id": f"k{n + 1}{letter}", "name": f"Content {n + 1}{letter}", "unit": unit}
            for letter, unit in zip("ab", ("HOUR", "VISIT"), strict=True)
        ][: draw(st.integers(1, 2))]
        services.append(
            {
                "id": f"s{n + 1}",
                "organizerId": organizer_id,
                "name": f"S{n + 1}",
                "contents": contents,
            }
        )
    users = []
    for provider in providers:
        users.append(
            {
                "id": f"r-{provider['id']}",
                "name": "R",
                "role": "RECORDER",
                "providerId": provider["id"],
            }
        )
        users.append(
            {
                "id": f"q-{provider['id']}",
                "name": "Q",
                "role": "REPORTER",
                "providerId": provider["id"],
            }
        )
    for organizer in organizers:
        for role in ("STAFF", "ADMIN"):
            users.append(
                {
                    "id": f"{role.lower()}-{organizer['id']}",
                    "name": role,
                    "role": role,
                    "organizerId": organizer["id"],
                }
            )
    user_ids = [user["id"] for user in users]
    teams = []
    for n, organizer in enumerate(organizers):
        own = [s["id"] for s in services if s["organizerId"] == organizer["id"]]
        if draw(st.booleans()):
            teams.append(
                {
                    "id": f"t{n + 1}",
                    "organizerId": organizer["id"],
                    "name": f"Team {n + 1}",
                    "serviceIds": draw(st.lists(st.sampled_from(own), unique=True, max_size=2)),
                    "memberIds": draw(st.lists(st.sampled_from(user_ids), unique=True, max_size=3)),
                }
            )

    customer_ids = draw(
        st.lists(st.sampled_from(CUSTOMER_IDS), unique=True, min_size=3, max_size=8)
    )
    customers = []
    for n, ident in enumerate(customer_ids):
        born = date(1940, 1, 1) + timedelta(days=draw(st.integers(0, 80 * 365)))
        customers.append(
            {
                "id": ident,
                "firstName": draw(st.sampled_from(NAMES)),
                "lastName": draw(st.sampled_from(NAMES)),
                "ssn": hetu(born, 2 + n),  # distinct individual numbers: distinct codes
            }
        )
    numbered = draw(
        st.lists(
            st.tuples(st.sampled_from([p["id"] for p in providers]), st.sampled_from(customer_ids)),
            unique=True,
            max_size=5,
        )
    )
    customer_numbers = [
        {"providerId": p, "customerId": c, "number": f"N-{n}"} for n, (p, c) in enumerate(numbered)
    ]

    powers = []
    for n in range(draw(st.integers(1, 8))):
        service = draw(st.sampled_from(services))
        valid_from = draw(days) - timedelta(days=draw(st.sampled_from((0, 30, 400))))
        valid_to = valid_from + timedelta(days=draw(st.sampled_from((0, 30, 400, 1500))))
        power: dict[str, Any] = {
            "id": f"pp{n + 1}",
            "kind": draw(st.sampled_from(("REGULAR", "BALANCE"))),
            "customerId": draw(st.sampled_from(customer_ids)),
            "organizerId": service["organizerId"],
            "serviceId": service["id"],
            "voucherNumber": f"V-{n + 1}",
            "validFrom": iso(valid_from),
            "validTo": iso(valid_to),
        }
        if power["kind"] == "REGULAR":
            chosen = draw(
                st.lists(
                    st.sampled_from(service["contents"]), unique_by=lambda c: c["id"], min_size=1
                )
            )
            power["contents"] = [
                {
                    "contentId": content["id"],
                    "unitValue": draw(st.sampled_from(UNIT_VALUES)),
                    "grantedUnits": draw(st.sampled_from(GRANTED_UNITS)),
                }
                for content in chosen
            ]
        else:
            power["grantedAmount"] = draw(st.sampled_from(GRANTED_AMOUNTS))
        powers.append(power)

    def allowed_contents(power: dict[str, Any]) -> list[str]:
        if power["kind"] == "REGULAR":
            return [c["contentId"] for c in power["contents"]]
        service = next(s for s in services if s["id"] == power["serviceId"])
        return [c["id"] for c in service["contents"]]

    provider_ids = [p["id"] for p in providers]
    reservations = []
    for n in range(draw(st.integers(1, 8))):
        power = draw(st.sampled_from(powers))
        # The end first, so that ends fall on the window's edges; an open end now and then.
        valid_to = draw(days)
        valid_from = valid_to - timedelta(days=draw(st.sampled_from((0, 1, 30, 2000))))
        if draw(st.integers(0, 4)) == 0:
            valid_to = None
        reservations.append(
            {
                "id": f"r{n + 1}",
                "purchasingPowerId": power["id"],
                "contentId": draw(st.sampled_from(allowed_contents(power))),
                "providerId": draw(st.sampled_from(provider_ids)),
                "validFrom": iso(valid_from),
                "validTo": iso(valid_to),
            }
        )

    events = []
    for ident in draw(st.lists(st.sampled_from(EVENT_IDS), unique=True, min_size=3, max_size=12)):
        power = draw(st.sampled_from(powers))
        service_date = draw(days)
        recorded_on = service_date + timedelta(days=draw(st.sampled_from((0, 1, 3))))
        status = draw(st.sampled_from(STATUSES))
        approved_on = None
        if status == "APPROVED" or (status == "CREDITED" and draw(st.booleans())):
            approved_on = recorded_on + timedelta(days=draw(st.sampled_from((0, 1, 5))))
        events.append(
            {
                "id": ident,
                "purchasingPowerId": power["id"],
                "contentId": draw(st.sampled_from(allowed_contents(power))),
                "providerId": draw(st.sampled_from(provider_ids)),
                "serviceDate": iso(service_date),
                "units": draw(st.sampled_from(UNITS)),
                "unitPrice": draw(st.sampled_from(PRICES)),
                "description": "",
                "status": status,
                "recordedOn": iso(recorded_on),
                "approvedOn": iso(approved_on),
                "deleted": draw(st.sampled_from((False, False, False, True))),
            }
        )

    world = {
        "organizers": organizers,
        "providers": providers,
        "services": services,
        "users": users,
        "teams": teams,
        "customers": customers,
        "customerNumbers": customer_numbers,
        "purchasingPowers": powers,
        "reservations": reservations,
        "events": events,
    }
    validate_world(world)  # a generator bug, not a product bug, if this raises
    return world, today


def boundary_world(today: date) -> tuple[dict[str, Any], date]:
    """A fixed world with one thing exactly on each edge, for explicit examples.

    Random worlds reach an edge only now and then; this one always has: an event on the
    window's start and the day before, reservations ending on those days, a reservation
    that starts and ends today and one that starts tomorrow, settlement dates on the day
    before today and on today, a balance consumed by two events of the same day whose
    ids sort differently by code point ("e10" < "e9") and naturally, and a team of one
    organizer with a provider's REPORTER and another organizer's STAFF as members.
    """
    start = window_start(today)
    one = timedelta(days=1)

    def on(d: date) -> str:
        return d.isoformat()

    def power(ident: str, customer: str, kind: str = "BALANCE", service: str = "s1") -> dict:
        base = {
            "id": ident,
            "kind": kind,
            "customerId": customer,
            "organizerId": "o1" if service == "s1" else "o2",
            "serviceId": service,
            "voucherNumber": f"V-{ident}",
            "validFrom": on(start - 400 * one),
            "validTo": on(today + 400 * one),
        }
        content = "k1a" if service == "s1" else "k2a"
        if kind == "REGULAR":
            return base | {
                "contents": [{"contentId": content, "unitValue": "0.05", "grantedUnits": "1"}]
            }
        return base | {"grantedAmount": "10.05"}

    def reservation(ident: str, pp: str, provider: str, begin: date, end: date | None) -> dict:
        content = "k2a" if pp == "pp7" else "k1a"
        return {
            "id": ident,
            "purchasingPowerId": pp,
            "contentId": content,
            "providerId": provider,
            "validFrom": on(begin),
            "validTo": iso(end),
        }

    def event(ident: str, pp: str, provider: str, served: date, status: str, **more: Any) -> dict:
        return {
            "id": ident,
            "purchasingPowerId": pp,
            "contentId": "k1a",
            "providerId": provider,
            "serviceDate": on(served),
            "units": more.get("units", "0.5"),
            "unitPrice": "9.99",
            "description": "",
            "status": status,
            "recordedOn": on(more.get("recorded", served)),
            "approvedOn": iso(more.get("approved")),
            "deleted": more.get("deleted", False),
        }

    users = [
        {"id": f"{r}-{p}", "name": "U", "role": role, "providerId": p}
        for p in ("p1", "p2")
        for r, role in (("r", "RECORDER"), ("q", "REPORTER"))
    ] + [
        {"id": f"{role.lower()}-{o}", "name": "U", "role": role, "organizerId": o}
        for o in ("o1", "o2")
        for role in ("STAFF", "ADMIN")
    ]
    world = {
        "organizers": [
            {"id": "o1", "name": "O1", "settlementDates": [on(start), on(today - one), on(today)]},
            {"id": "o2", "name": "O2", "settlementDates": []},
        ],
        "providers": [
            {"id": "p1", "name": "P1", "businessId": BUSINESS_IDS[0]},
            {"id": "p2", "name": "P2", "businessId": BUSINESS_IDS[1]},
        ],
        "services": [
            {
                "id": "s1",
                "organizerId": "o1",
                "name": "S1",
                "contents": [{"id": "k1a", "name": "K1", "unit": "HOUR"}],
            },
            {
                "id": "s2",
                "organizerId": "o2",
                "name": "S2",
                "contents": [{"id": "k2a", "name": "K2", "unit": "VISIT"}],
            },
        ],
        "users": users,
        "teams": [
            {
                "id": "t1",
                "organizerId": "o1",
                "name": "T1",
                "serviceIds": ["s1"],
                "memberIds": ["q-p2", "staff-o2"],
            },
        ],
        "customers": [
            {
                "id": ident,
                "firstName": "Anna",
                "lastName": last,
                "ssn": hetu(date(1950 + n, 1, 1), 2 + n),
            }
            for n, (ident, last) in enumerate(
                (
                    ("c1", "Äijälä"),
                    ("c2", "aho"),
                    ("c3", "Aho"),
                    ("c4", "Öljy"),
                    ("c5", "Zoe"),
                    ("C6", "Mäki"),
                )
            )
        ],
        "customerNumbers": [{"providerId": "p1", "customerId": "c1", "number": "N-1"}],
        "purchasingPowers": [
            power("pp1", "c1"),
            power("pp2", "c2", "REGULAR"),
            power("pp3", "c3"),
            power("pp4", "c4", "REGULAR"),
            power("pp5", "c5"),
            power("pp6", "C6"),
            power("pp7", "c1", "REGULAR", "s2"),
        ],
        "reservations": [
            reservation("r2", "pp2", "p2", start - one, None),
            reservation("r3", "pp3", "p1", start - 10 * one, start),
            reservation("r4", "pp4", "p1", start - 10 * one, start - one),
            reservation("r5", "pp5", "p1", today, today),
            reservation("r5b", "pp5", "p1", today + one, None),
            reservation("r6", "pp6", "p1", start, today - one),
            reservation("r7", "pp7", "p2", today - one, today + one),
        ],
        "events": [
            event("e1", "pp1", "p1", start, "RECORDED", recorded=start),
            event("e2", "pp2", "p1", start - one, "RECORDED", units="1"),
            event("e4", "pp4", "p1", today, "RECORDED", deleted=True),
            event("e9", "pp6", "p1", today - one, "RECORDED", units="1.5"),
            event("e10", "pp6", "p2", today - one, "RECORDED", units="1.5"),
            event("E5", "pp6", "p1", today - one, "APPROVED", approved=today),
            event("e05", "pp6", "p1", start, "UNDER_REVIEW"),
            event("e-1", "pp6", "p1", start, "REJECTED"),
            event("eA", "pp6", "p1", start - one, "CREDITED", approved=start),
            event("ea", "pp6", "p2", start - one, "CREDITED"),
            event("e11", "pp2", "p2", today, "UNDER_REVIEW", units="0.5"),
        ],
    }
    validate_world(world)
    return world, today
