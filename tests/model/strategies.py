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
from reference import window_start
from world_builder import Content, World, hetu

from voucher_graph.world.validate import validate_world

# 29 Feb twice: its window starts on 28 Feb, the rule most easily got wrong.
TODAYS = (
    date(2026, 11, 26),
    date(2028, 2, 29),
    date(2028, 2, 29),
    date(2027, 3, 1),
    date(2025, 3, 1),
)
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


@st.composite
def worlds(draw: st.DrawFn) -> tuple[dict[str, Any], date]:
    """A valid world (checked with validate_world) and the day taken as today."""
    today = draw(st.sampled_from(TODAYS))
    days = near(today)
    w = World()

    for organizer in ("o1", "o2"):
        w.organizer(organizer, sorted(set(draw(st.lists(days, min_size=0, max_size=4)))))
    for n in range(draw(st.integers(2, 3))):
        w.provider(f"p{n + 1}")
    service_organizers = ["o1", "o2"] + draw(st.lists(st.sampled_from(["o1", "o2"]), max_size=1))
    for n, organizer in enumerate(service_organizers):
        contents = [Content(f"k{n + 1}a"), Content(f"k{n + 1}b", "VISIT")]
        w.service(f"s{n + 1}", organizer, *contents[: draw(st.integers(1, 2))])
    for provider in w.ids("providers"):
        w.user(f"r-{provider}", "RECORDER", provider)
        w.user(f"q-{provider}", "REPORTER", provider)
    for organizer in w.ids("organizers"):
        for role in ("STAFF", "ADMIN"):
            w.user(f"{role.lower()}-{organizer}", role, organizer)
    user_ids = w.ids("users")
    for n, organizer in enumerate(w.ids("organizers")):
        own = [s["id"] for s in w.raw["services"] if s["organizerId"] == organizer]
        if draw(st.booleans()):
            w.team(
                f"t{n + 1}",
                organizer,
                draw(st.lists(st.sampled_from(own), unique=True, max_size=2)),
                draw(st.lists(st.sampled_from(user_ids), unique=True, max_size=3)),
            )

    customer_ids = draw(
        st.lists(st.sampled_from(CUSTOMER_IDS), unique=True, min_size=3, max_size=8)
    )
    for n, ident in enumerate(customer_ids):
        born = date(1940, 1, 1) + timedelta(days=draw(st.integers(0, 80 * 365)))
        first, last = draw(st.sampled_from(NAMES)), draw(st.sampled_from(NAMES))
        # Distinct individual numbers: distinct codes.
        w.customer(ident, first, last, ssn=hetu(born, 2 + n))
    provider_ids = w.ids("providers")
    numbered = draw(
        st.lists(
            st.tuples(st.sampled_from(provider_ids), st.sampled_from(customer_ids)),
            unique=True,
            max_size=5,
        )
    )
    for n, (provider, customer) in enumerate(numbered):
        w.number(provider, customer, f"N-{n}")

    for n in range(draw(st.integers(1, 8))):
        service = draw(st.sampled_from(w.raw["services"]))
        valid_from = draw(days) - timedelta(days=draw(st.sampled_from((0, 30, 400))))
        valid_to = valid_from + timedelta(days=draw(st.sampled_from((0, 30, 400, 1500))))
        kind = draw(st.sampled_from(("REGULAR", "BALANCE")))
        customer = draw(st.sampled_from(customer_ids))
        if kind == "REGULAR":
            chosen = draw(
                st.lists(
                    st.sampled_from(service["contents"]), unique_by=lambda c: c["id"], min_size=1
                )
            )
            grants = [
                (
                    content["id"],
                    draw(st.sampled_from(UNIT_VALUES)),
                    draw(st.sampled_from(GRANTED_UNITS)),
                )
                for content in chosen
            ]
            w.regular(
                f"pp{n + 1}",
                customer,
                service["id"],
                grants,
                valid_from=valid_from,
                valid_to=valid_to,
            )
        else:
            amount = draw(st.sampled_from(GRANTED_AMOUNTS))
            w.balance(
                f"pp{n + 1}",
                customer,
                service["id"],
                amount,
                valid_from=valid_from,
                valid_to=valid_to,
            )
    powers = w.ids("purchasingPowers")

    for n in range(draw(st.integers(1, 8))):
        power = draw(st.sampled_from(powers))
        # The end first, so that ends fall on the window's edges; an open end now and then.
        end: date | None = draw(days)
        begin = end - timedelta(days=draw(st.sampled_from((0, 1, 30, 2000))))
        if draw(st.integers(0, 4)) == 0:
            end = None
        content = draw(st.sampled_from(w.contents_of(power)))
        provider = draw(st.sampled_from(provider_ids))
        w.reservation(f"r{n + 1}", power, provider, content=content, valid_from=begin, valid_to=end)

    for ident in draw(st.lists(st.sampled_from(EVENT_IDS), unique=True, min_size=3, max_size=12)):
        power = draw(st.sampled_from(powers))
        service_date = draw(days)
        recorded_on = service_date + timedelta(days=draw(st.sampled_from((0, 1, 3))))
        status = draw(st.sampled_from(STATUSES))
        approved_on = None
        if status == "APPROVED" or (status == "CREDITED" and draw(st.booleans())):
            approved_on = recorded_on + timedelta(days=draw(st.sampled_from((0, 1, 5))))
        content = draw(st.sampled_from(w.contents_of(power)))
        provider = draw(st.sampled_from(provider_ids))
        units, price = draw(st.sampled_from(UNITS)), draw(st.sampled_from(PRICES))
        w.event(
            ident,
            power,
            service_date,
            units,
            price,
            content=content,
            provider=provider,
            status=status,
            recorded_on=recorded_on,
            approved_on=approved_on,
            deleted=draw(st.sampled_from((False, False, False, True))),
        )

    validate_world(w.raw)  # a generator bug, not a product bug, if this raises
    return w.raw, today


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
    w = World(valid_from=start - 400 * one, valid_to=today + 400 * one)
    w.organizer("o1", [start, today - one, today])
    w.organizer("o2")
    w.provider("p1")
    w.provider("p2")
    w.service("s1", "o1", "k1a")
    w.service("s2", "o2", Content("k2a", "VISIT"))
    for provider in ("p1", "p2"):
        w.user(f"r-{provider}", "RECORDER", provider)
        w.user(f"q-{provider}", "REPORTER", provider)
    for organizer in ("o1", "o2"):
        w.user(f"staff-{organizer}", "STAFF", organizer)
        w.user(f"admin-{organizer}", "ADMIN", organizer)
    w.team("t1", "o1", ["s1"], ["q-p2", "staff-o2"])
    for n, (ident, last) in enumerate(
        (
            ("c1", "Äijälä"),
            ("c2", "aho"),
            ("c3", "Aho"),
            ("c4", "Öljy"),
            ("c5", "Zoe"),
            ("C6", "Mäki"),
        )
    ):
        w.customer(ident, "Anna", last, ssn=hetu(date(1950 + n, 1, 1), 2 + n))
    w.number("p1", "c1", "N-1")
    small = [("k1a", "0.05", "1")]
    w.balance("pp1", "c1", "s1", "10.05")
    w.regular("pp2", "c2", "s1", small)
    w.balance("pp3", "c3", "s1", "10.05")
    w.regular("pp4", "c4", "s1", small)
    w.balance("pp5", "c5", "s1", "10.05")
    w.balance("pp6", "C6", "s1", "10.05")
    w.regular("pp7", "c1", "s2", [("k2a", "0.05", "1")])
    w.reservation("r2", "pp2", "p2", valid_from=start - one)
    w.reservation("r3", "pp3", "p1", valid_from=start - 10 * one, valid_to=start)
    w.reservation("r4", "pp4", "p1", valid_from=start - 10 * one, valid_to=start - one)
    w.reservation("r5", "pp5", "p1", valid_from=today, valid_to=today)
    w.reservation("r5b", "pp5", "p1", valid_from=today + one)
    w.reservation("r6", "pp6", "p1", valid_from=start, valid_to=today - one)
    w.reservation("r7", "pp7", "p2", valid_from=today - one, valid_to=today + one)
    w.event("e1", "pp1", start, "0.5", "9.99")
    w.event("e2", "pp2", start - one, "1", "9.99")
    w.event("e4", "pp4", today, "0.5", "9.99", deleted=True)
    w.event("e9", "pp6", today - one, "1.5", "9.99")
    w.event("e10", "pp6", today - one, "1.5", "9.99", provider="p2")
    w.event("E5", "pp6", today - one, "0.5", "9.99", status="APPROVED", approved_on=today)
    w.event("e05", "pp6", start, "0.5", "9.99", status="UNDER_REVIEW")
    w.event("e-1", "pp6", start, "0.5", "9.99", status="REJECTED")
    w.event("eA", "pp6", start - one, "0.5", "9.99", status="CREDITED", approved_on=start)
    w.event("ea", "pp6", start - one, "0.5", "9.99", provider="p2", status="CREDITED")
    w.event("e11", "pp2", today, "0.5", "9.99", provider="p2", status="UNDER_REVIEW")
    validate_world(w.raw)
    return w.raw, today
