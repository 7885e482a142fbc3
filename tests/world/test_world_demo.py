"""demo_world: valid, deterministic, and consistent with the domain rules."""

from __future__ import annotations

import bisect
import json
from collections import Counter, defaultdict
from datetime import date, timedelta
from decimal import Decimal
from functools import cache
from typing import Any

import pytest

from voucher_graph.domain.hetu import parse_hetu
from voucher_graph.world.demo import add_months, demo_world, large_world, settlement_dates
from voucher_graph.world.model import WORKFLOW_STATUSES, World
from voucher_graph.world.validate import validate_world

TODAY = date(2026, 11, 26)


@cache
def _world(today: date, customers: int, seed: int) -> tuple[str, World]:
    raw = demo_world(today, customers=customers, seed=seed)
    text = json.dumps(raw, ensure_ascii=False)  # JSON-serialisable as it is
    return text, validate_world(json.loads(text))


def world(today: date = TODAY, customers: int = 300, seed: int = 20261126) -> World:
    return _world(today, customers, seed)[1]


def raw_world(today: date = TODAY, customers: int = 300, seed: int = 20261126) -> dict[str, Any]:
    return json.loads(_world(today, customers, seed)[0])


CASES = [
    (TODAY, 300, 20261126),
    (TODAY, 1, 1),
    (TODAY, 7, 2),
    (TODAY, 120, 3),
    (date(2024, 2, 29), 80, 4),
    (date(2025, 1, 1), 40, 5),
    (date(2027, 12, 31), 200, 6),
]
CASE_IDS = [f"{t}-{n}-{s}" for t, n, s in CASES]


@pytest.mark.parametrize(("today", "customers", "seed"), CASES, ids=CASE_IDS)
def test_demo_world_validates(today: date, customers: int, seed: int) -> None:
    w = world(today, customers, seed)
    assert len(w.customers) == customers
    assert len(w.organizers) == 3 and len(w.providers) == 4 and len(w.services) == 6


@pytest.mark.parametrize(("today", "customers", "seed"), CASES, ids=CASE_IDS)
def test_every_status_is_covered(today: date, customers: int, seed: int) -> None:
    w = world(today, customers, seed)
    live = Counter(e.status for e in w.events if not e.deleted)
    assert set(live) == set(WORKFLOW_STATUSES)
    assert any(e.deleted for e in w.events)
    assert any(e.status == "CREDITED" and e.approved_on is not None for e in w.events)
    assert any(e.status == "CREDITED" and e.approved_on is None for e in w.events)
    # some events are settled by now, some are still open
    assert any(
        e.status == "RECORDED" and e.recorded_on < today - timedelta(days=60) for e in w.events
    )
    assert any(
        e.status == "RECORDED" and e.recorded_on > today - timedelta(days=10) for e in w.events
    )


def _settlement_date(days: list[date], settleable_on: date) -> date | None:
    index = bisect.bisect_left(days, settleable_on)
    return days[index] if index < len(days) else None


@pytest.mark.parametrize(("today", "customers", "seed"), CASES, ids=CASE_IDS)
def test_demo_world_follows_the_domain_rules(today: date, customers: int, seed: int) -> None:
    w = world(today, customers, seed)
    powers = {p.id: p for p in w.purchasing_powers}
    organizers = {o.id: list(o.settlement_dates) for o in w.organizers}
    reservations = defaultdict(list)
    for r in w.reservations:
        reservations[(r.purchasing_power_id, r.content_id, r.provider_id)].append(r)
    horizon = add_months(today, -48)
    for e in w.events:
        power = powers[e.purchasing_power_id]
        assert power.valid_from <= e.service_date <= power.valid_to, e.id
        assert horizon <= e.service_date <= e.recorded_on <= today, e.id
        covering = [
            r
            for r in reservations[(power.id, e.content_id, e.provider_id)]
            if r.valid_from <= e.service_date <= (r.valid_to or date.max)
        ]
        assert covering, e.id
        if power.kind == "BALANCE":
            assert e.status in ("RECORDED", "CREDITED"), e.id  # never reviewed
        if e.status == "APPROVED":
            assert e.approved_on is not None
        if e.status in ("RECORDED", "UNDER_REVIEW", "REJECTED"):
            assert e.approved_on is None, e.id
        if e.approved_on is not None:
            assert e.recorded_on <= e.approved_on <= today, e.id
        if e.status == "CREDITED":
            settleable = e.approved_on or e.recorded_on
            settled_on = _settlement_date(organizers[power.organizer_id], settleable)
            assert settled_on is not None and settled_on < today, e.id


def test_review_follows_the_granted_units() -> None:
    """A regular event was put under review only when the granted units ran out."""
    w = world()
    powers = {p.id: p for p in w.purchasing_powers}
    by_content: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for e in w.events:
        if powers[e.purchasing_power_id].kind == "REGULAR":
            by_content[(e.purchasing_power_id, e.content_id)].append(e)
    reviewed = 0
    for (power_id, content_id), events in by_content.items():
        granted = next(
            c.granted_units for c in powers[power_id].contents if c.content_id == content_id
        )
        counting = [
            e
            for e in events
            if not e.deleted and e.status in ("RECORDED", "UNDER_REVIEW", "APPROVED")
        ]
        for e in events:
            if e.status in ("UNDER_REVIEW", "APPROVED", "REJECTED") and not e.deleted:
                reviewed += 1
                before = sum(
                    (x.units for x in counting if (x.recorded_on, x.id) < (e.recorded_on, e.id)),
                    Decimal(0),
                )
                assert before + e.units > granted, e.id
    assert reviewed > 0


def test_reservations_of_every_kind() -> None:
    w = world()
    kinds = Counter()
    for r in w.reservations:
        if r.valid_from > TODAY:
            kinds["future"] += 1
        elif r.valid_to is None:
            kinds["open-ended"] += 1
        elif r.valid_to < TODAY:
            kinds["ended"] += 1
        else:
            kinds["current with an end"] += 1
    assert set(kinds) == {"future", "open-ended", "ended", "current with an end"}


def test_settlement_dates_are_monthly_over_five_years() -> None:
    w = world()
    start, end = add_months(TODAY, -48), add_months(TODAY, 12)
    for organizer in w.organizers:
        days = organizer.settlement_dates
        assert start <= days[0] <= start + timedelta(days=31)
        assert end - timedelta(days=31) <= days[-1] <= end
        assert len(days) in (60, 61)
        assert list(days) == sorted(set(days))
    espoo = w.organizers[1]
    assert all((d + timedelta(days=1)).day == 1 for d in espoo.settlement_dates)
    assert settlement_dates(date(2024, 2, 29), 31)[0] == date(2020, 2, 29)


def test_add_months_clamps_to_the_month_end() -> None:
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2024, 2, 29), -48) == date(2020, 2, 29)
    assert add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)
    assert add_months(date(2026, 11, 26), -11) == date(2025, 12, 26)


def test_organizers_providers_services() -> None:
    w = world()
    assert [o.name for o in w.organizers] == [
        "Vantaa",
        "Espoo",
        "Keski-Uudenmaan hyvinvointialue",
    ]
    assert len({p.business_id for p in w.providers}) == 4
    for organizer in w.organizers:
        services = [s for s in w.services if s.organizer_id == organizer.id]
        assert len(services) == 2
        assert all(1 <= len(s.contents) <= 2 for s in services)
    assert {c.unit for c in w.contents} == {"HOUR", "VISIT", "DAY", "PIECE"}


def test_stable_users() -> None:
    users = {u.id: u for u in world(customers=1).users}
    for n in (1, 2, 3, 4):
        assert users[f"p{n}-recorder"].role == "RECORDER"
        assert users[f"p{n}-recorder"].provider_id == f"p{n}"
        assert users[f"p{n}-reporter"].role == "REPORTER"
        assert users[f"p{n}-reporter"].provider_id == f"p{n}"
    for n in (1, 2, 3):
        assert users[f"o{n}-staff"].role == "STAFF"
        assert users[f"o{n}-staff"].organizer_id == f"o{n}"
        assert users[f"o{n}-admin"].role == "ADMIN"
        assert users[f"o{n}-admin"].organizer_id == f"o{n}"


def test_some_staff_in_teams_naming_some_services() -> None:
    w = world()
    members = {m for t in w.teams for m in t.member_ids}
    staff = {u.id for u in w.users if u.role == "STAFF"}
    assert members & staff and staff - members
    named = {s for t in w.teams for s in t.service_ids}
    assert named and named != {s.id for s in w.services}


def test_customers_look_finnish_and_hetu_are_unique() -> None:
    w = world()
    names = [f"{c.first_name} {c.last_name}" for c in w.customers]
    assert any("-" in c.first_name for c in w.customers)
    assert any("-" in c.last_name for c in w.customers)
    assert any(" " in c.first_name for c in w.customers)
    assert any(" " in c.last_name for c in w.customers)
    for letter in "åäöÅÄÖ":
        assert any(letter in name for name in names), letter
    ssns = [c.ssn for c in w.customers]
    assert len(set(ssns)) == len(ssns)
    signs = Counter(ssn[6] for ssn in ssns)
    assert signs["-"] and signs["A"]  # the classic signs
    assert set(signs) & set("YXWVU") and set(signs) & set("BCDEF")  # the 2023 signs
    births = [parse_hetu(ssn).birth_date for ssn in ssns]
    assert all(b <= TODAY for b in births)
    assert {b.year // 100 for b in births} >= {19, 20}


def test_hetu_across_three_centuries_in_a_large_world() -> None:
    ssns = [c.ssn for c in world(customers=2000, seed=7).customers]
    assert len(set(ssns)) == len(ssns)
    assert {parse_hetu(s).birth_date.year // 100 for s in ssns} == {18, 19, 20}


def test_customer_numbers_for_some_customers() -> None:
    w = world()
    numbered = {(n.provider_id, n.customer_id) for n in w.customer_numbers}
    assert 0 < len({c for _p, c in numbered}) < len(w.customers)
    assert ("p1", "c1") in numbered
    assert {
        n.number for n in w.customer_numbers if (n.provider_id, n.customer_id) == ("p1", "c1")
    } == {"HP-100"}


def test_showcase_customer_c1() -> None:
    w = world(customers=1)
    assert [p.id for p in w.purchasing_powers] == ["pp1", "bp2"]
    pp1, bp2 = w.purchasing_powers
    assert pp1.kind == "REGULAR" and pp1.customer_id == "c1" and pp1.service_id == "s1"
    assert pp1.contents[0].content_id == "k1"
    assert pp1.contents[0].granted_units == Decimal("10")
    assert bp2.kind == "BALANCE" and bp2.granted_amount == Decimal("500.00")
    statuses = {(e.status, e.deleted) for e in w.events if e.purchasing_power_id == "pp1"}
    assert {s for s, deleted in statuses if not deleted} == set(WORKFLOW_STATUSES)


def test_events_spread_over_four_years() -> None:
    w = world()
    years = {(TODAY - e.service_date).days // 365 for e in w.events}
    assert {0, 1, 2, 3} <= years <= {0, 1, 2, 3, 4}


def test_ids_are_unique_strings() -> None:
    raw = raw_world()
    for key, entries in raw.items():
        if key == "customerNumbers":
            continue
        ids = [entry["id"] for entry in entries]
        assert len(set(ids)) == len(ids), key
    event_ids = [e["id"] for e in raw["events"]]
    assert event_ids == sorted(event_ids)  # zero-padded: string order is creation order


def test_decimals_and_dates_are_strings() -> None:
    raw = raw_world(customers=20)
    event = raw["events"][0]
    assert isinstance(event["units"], str) and isinstance(event["unitPrice"], str)
    assert isinstance(event["serviceDate"], str)
    regular = next(p for p in raw["purchasingPowers"] if p["kind"] == "REGULAR")
    assert isinstance(regular["contents"][0]["unitValue"], str)
    assert "grantedAmount" not in regular
    balance = next(p for p in raw["purchasingPowers"] if p["kind"] == "BALANCE")
    assert isinstance(balance["grantedAmount"], str) and "contents" not in balance


def test_deterministic_for_a_seed() -> None:
    first = demo_world(TODAY, customers=50, seed=11)
    assert first == demo_world(TODAY, customers=50, seed=11)
    assert first != demo_world(TODAY, customers=50, seed=12)
    assert first != demo_world(TODAY + timedelta(days=1), customers=50, seed=11)


def test_default_size() -> None:
    assert len(demo_world(TODAY)["customers"]) == 300


def test_at_least_one_customer() -> None:
    with pytest.raises(ValueError):
        demo_world(TODAY, customers=0)


def test_a_large_world_is_valid() -> None:
    # No wall-clock bound here: times are for the benchmarks, never for tests.
    raw = large_world(TODAY, customers=5000, seed=99)
    w = validate_world(raw)
    assert len(w.customers) == 5000
    assert len(w.events) > 20000
