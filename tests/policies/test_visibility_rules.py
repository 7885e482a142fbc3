"""Who sees which customer, and what of it (DOMAIN.md), each rule alone in a tiny world.

Today is 29 Feb 2028, so the 3-year window starts on 28 Feb 2025.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import date
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from support import Api, load_world, make_api
from tiny_worlds import tiny_world
from world_builder import World

from voucher_graph.data.engine import StatementCounter

TODAY = date(2028, 2, 29)
WINDOW_START = "2025-02-28"
DAY_BEFORE_WINDOW = "2025-02-27"

VISIBILITY = """query($id: ID!) {
  customer(id: $id) { id }
  customers { totalCount edges { node { id } } }
}"""


@pytest.fixture
async def api(engine: AsyncEngine, counter: StatementCounter) -> AsyncIterator[Api]:
    api = make_api(engine, counter, today=TODAY)
    yield api
    await api.client.aclose()


def one_customer(setup: Callable[[World], None]) -> dict[str, Any]:
    world = tiny_world()
    world.customer("c1")
    setup(world)
    return world.raw


def regular_s1(world: World) -> None:
    world.regular("pp1", "c1", "s1")


def with_event(
    day: str, *, provider: str = "p1", status: str = "RECORDED", deleted: bool = False
) -> Callable[[World], None]:
    def setup(world: World) -> None:
        regular_s1(world)
        world.event("e1", "pp1", day, provider=provider, status=status, deleted=deleted)

    return setup


def with_reservation(end: str | None, *, start: str = "2020-01-01") -> Callable[[World], None]:
    def setup(world: World) -> None:
        regular_s1(world)
        world.reservation("r1", "pp1", "p1", valid_from=start, valid_to=end)

    return setup


def with_pp(service: str, kind: str = "REGULAR") -> Callable[[World], None]:
    if kind == "BALANCE":
        return lambda world: world.balance("pp1", "c1", service)
    return lambda world: world.regular("pp1", "c1", service)


# (case, world set-up for customer c1, user, whether the user sees c1)
RULES: list[tuple[str, Callable[[World], None], str, bool]] = [
    ("A: event inside the window", with_event("2026-06-01"), "rec1", True),
    ("A: event on the window's first day", with_event(WINDOW_START), "rec1", True),
    ("A: event the day before the window", with_event(DAY_BEFORE_WINDOW), "rec1", False),
    ("A: deleted event does not count", with_event("2026-06-01", deleted=True), "rec1", False),
    ("A: another provider's event", with_event("2026-06-01", provider="p2"), "rec1", False),
    ("A: REPORTER of the provider", with_event("2026-06-01"), "rep1", True),
    *[
        (f"A: event in status {status}", with_event("2026-06-01", status=status), "rec1", True)
        for status in ("RECORDED", "UNDER_REVIEW", "APPROVED", "REJECTED", "CREDITED")
    ],
    ("A: reservation without end", with_reservation(None), "rec1", True),
    ("A: reservation ending on window start", with_reservation(WINDOW_START), "rec1", True),
    ("A: reservation ending the day before", with_reservation(DAY_BEFORE_WINDOW), "rec1", False),
    ("A: reservation ending in the future", with_reservation("2029-01-31"), "rec1", True),
    (
        "A: reservation not yet started",
        with_reservation(None, start="2028-06-01"),
        "rec1",
        True,
    ),
    ("A: nothing of the provider", regular_s1, "rec1", False),
    ("B: team naming the service", with_pp("s1"), "team1", True),
    ("B: team naming the service, balance kind", with_pp("s1", "BALANCE"), "team1", True),
    ("B: team naming a different service", with_pp("s1"), "team2", False),
    ("B: organizer user in no team", with_pp("s1"), "staff0", False),
    ("C: admin of the organizer", with_pp("s1"), "admin1", True),
    ("C: admin of the organizer, balance kind", with_pp("s2", "BALANCE"), "admin1", True),
    ("C: admin of another organizer", with_pp("s1"), "admin2", False),
    ("C: provider event gives an organizer nothing", with_event("2026-06-01"), "admin2", False),
]


@pytest.mark.parametrize(
    ("setup", "user", "visible"),
    [pytest.param(setup, user, visible, id=case) for case, setup, user, visible in RULES],
)
async def test_each_rule_alone_decides_visibility(
    engine: AsyncEngine, api: Api, setup: Callable[[World], None], user: str, visible: bool
) -> None:
    await load_world(engine, one_customer(setup))
    body = await api.query(VISIBILITY, {"id": "c1"}, user=user)
    assert "errors" not in body or not body["errors"]
    data = body["data"]
    if visible:
        assert data["customer"] == {"id": "c1"}
        assert data["customers"]["totalCount"] == 1
        assert data["customers"]["edges"] == [{"node": {"id": "c1"}}]
    else:
        assert data["customer"] is None
        assert data["customers"] == {"totalCount": 0, "edges": []}


async def test_a_hidden_customer_is_never_revealed(engine: AsyncEngine, api: Api) -> None:
    world = tiny_world()
    world.customer("c1", "Maija", "Virtanen")
    hidden_ssn = world.customer("c2", "Matti", "Virtanen")
    world.regular("pp1", "c1")
    world.reservation("r1", "pp1", "p1")
    world.regular("pp2", "c2", voucher="HIDDEN-1")
    world.event("e2", "pp2", DAY_BEFORE_WINDOW, provider="p1")
    await load_world(engine, world.raw)

    queries = {
        "by id": ('query { customer(id: "c2") { id firstName } }', "customer"),
        "by name": (
            'query { customers(name: "matti") { totalCount edges { node { id } } } }',
            "customers",
        ),
        "by ssn": (
            f'{{ customers(ssn: "{hidden_ssn}") {{ totalCount edges {{ node {{ id }} }} }} }}',
            "customers",
        ),
        "by voucher": (
            'query { customers(voucherNumber: "HIDDEN-1") { totalCount edges { node { id } } } }',
            "customers",
        ),
        "hidden event": ('query { event(id: "e2") { id } }', "event"),
    }
    for label, (query, root) in queries.items():
        body = await api.query(query, user="rec1")
        assert not body.get("errors"), label
        value = body["data"][root]
        assert value in (None, {"totalCount": 0, "edges": []}), label

    everyone = await api.data("{ customers { totalCount edges { node { id } } } }", user="rec1")
    assert everyone["customers"] == {"totalCount": 1, "edges": [{"node": {"id": "c1"}}]}
    by_surname = await api.data('{ customers(name: "virtanen") { totalCount } }', user="rec1")
    assert by_surname["customers"]["totalCount"] == 1


# -- what a user sees of a visible customer ------------------------------------------


def scoping_world() -> dict[str, Any]:
    """Customer c1 with purchasing powers reached in every way, c2 hidden from p1."""
    w = tiny_world()
    w.customer("c1", "Maija", "Virtanen")
    w.customer("c2", "Matti", "Meikäläinen")
    w.number("p1", "c1", "A-1")
    w.number("p2", "c1", "B-1")
    w.regular("pp_res", "c1", "s1")  # p1 has reservations on it
    w.regular("pp_ev", "c1", "s1")  # p1 has an event on it (and a future reservation)
    w.regular("pp_del", "c1", "s1")  # p1 has only a deleted event on it
    w.regular("pp_p2", "c1", "s1")  # p2's only
    w.balance("bp_res", "c1", "s1")  # p1 reserved it
    w.balance("bp_none", "c1", "s1")  # nobody's
    w.regular("pp_s2", "c1", "s2")  # o1/s2, nobody's
    w.regular("pp_o2", "c1", "s3")  # o2/s3, p2's
    w.reservation("r_cur", "pp_res", "p1", valid_from="2027-01-01")
    w.reservation("r_ended", "pp_res", "p1", valid_from="2026-01-01", valid_to="2027-12-31")
    w.reservation("r_today", "bp_res", "p1", valid_from="2028-02-29", valid_to="2028-02-29")
    w.reservation("r_future", "pp_ev", "p1", valid_from="2028-06-01")
    w.reservation("r_p2", "pp_p2", "p2", valid_from="2027-01-01")
    w.reservation("r_o2", "pp_o2", "p2", valid_from="2027-01-01")
    w.event("e_old", "pp_res", "2020-05-01", provider="p1")
    w.event("e1", "pp_ev", "2027-06-01", provider="p1")
    w.event("e_del", "pp_del", "2027-06-02", provider="p1", deleted=True)
    w.event("e_p2", "pp_p2", "2027-06-03", provider="p2")
    w.event("e_o2", "pp_o2", "2027-06-04", provider="p2")
    # c2: p1's only event lies before the window, so p1 does not see c2.
    w.regular("pp_c2", "c2", "s1")
    w.event("e_c2", "pp_c2", DAY_BEFORE_WINDOW, provider="p1")
    return w.raw


NESTED = """query {
  customer(id: "c1") {
    customerNumber
    purchasingPowers { id }
    balancePurchasingPowers { id }
    current: reservations { id }
    all: reservations(includeEnded: true) { id }
    events { id }
  }
}"""

# user -> (customerNumber, regular pps, balance pps, current reservations, all, events)
SCOPES: dict[str, tuple[str | None, list[str], list[str], list[str], list[str], list[str]]] = {
    "rec1": (
        "A-1",
        ["pp_ev", "pp_res"],
        ["bp_res"],
        ["r_cur", "r_today"],
        ["r_ended", "r_cur", "r_today", "r_future"],
        ["e_old", "e1"],
    ),
    "rec2": ("B-1", ["pp_o2", "pp_p2"], [], ["r_o2", "r_p2"], ["r_o2", "r_p2"], ["e_p2", "e_o2"]),
    "admin1": (
        None,
        ["pp_del", "pp_ev", "pp_p2", "pp_res", "pp_s2"],
        ["bp_none", "bp_res"],
        ["r_cur", "r_p2", "r_today"],
        ["r_ended", "r_cur", "r_p2", "r_today", "r_future"],
        ["e_old", "e1", "e_p2"],
    ),
    "team2": (None, ["pp_s2"], [], [], [], []),
    "admin2": (None, ["pp_o2"], [], ["r_o2"], ["r_o2"], ["e_o2"]),
}


def _ids(items: list[dict[str, Any]]) -> list[str]:
    return [item["id"] for item in items]


@pytest.mark.parametrize("user", list(SCOPES))
async def test_nested_lists_hold_exactly_what_the_user_may_see(
    engine: AsyncEngine, api: Api, user: str
) -> None:
    await load_world(engine, scoping_world())
    customer = (await api.data(NESTED, user=user))["customer"]
    number, regular, balance, current, everything, events = SCOPES[user]
    assert customer["customerNumber"] == number
    assert sorted(_ids(customer["purchasingPowers"])) == regular
    assert sorted(_ids(customer["balancePurchasingPowers"])) == balance
    # Reservations come by start date, then id; events by service date, then id.
    assert _ids(customer["current"]) == current
    assert _ids(customer["all"]) == everything
    assert _ids(customer["events"]) == events


@pytest.mark.parametrize(
    ("user", "event_id", "visible"),
    [
        ("rec1", "e1", True),
        ("rec1", "e_old", True),
        ("rec1", "e_del", False),  # deleted
        ("admin1", "e_del", False),  # deleted, even for the organizer admin
        ("rec1", "e_p2", False),  # another provider's, on a purchasing power p1 does not manage
        ("rec1", "e_c2", False),  # recorded by p1, but its customer is hidden from p1
        ("admin1", "e_p2", True),  # managed purchasing power
        ("admin1", "e_o2", False),  # another organizer's
        ("rec1", "nope", False),  # absent
    ],
)
async def test_event_by_id_is_null_unless_visible(
    engine: AsyncEngine, api: Api, user: str, event_id: str, visible: bool
) -> None:
    await load_world(engine, scoping_world())
    body = await api.query("query($id: ID!) { event(id: $id) { id } }", {"id": event_id}, user=user)
    assert not body.get("errors")
    assert body["data"]["event"] == ({"id": event_id} if visible else None)


async def test_a_reporter_gets_forbidden_identity_fields_and_the_rest(
    engine: AsyncEngine, api: Api
) -> None:
    await load_world(engine, scoping_world())
    body = await api.query(
        '{ customer(id: "c1") { id firstName lastName ssn customerNumber events { id } } }',
        user="rep1",
    )
    assert body["data"]["customer"] == {
        "id": "c1",
        "firstName": None,
        "lastName": None,
        "ssn": None,
        "customerNumber": "A-1",
        "events": [{"id": "e_old"}, {"id": "e1"}],
    }
    forbidden = {tuple(error["path"]): error["extensions"]["code"] for error in body["errors"]}
    assert forbidden == {
        ("customer", field): "FORBIDDEN" for field in ("firstName", "lastName", "ssn")
    }
    for error in body["errors"]:
        assert "Maija" not in error["message"] and "Virtanen" not in error["message"]


@pytest.mark.parametrize("criterion", ['name: "maija"', 'ssn: "010150-1019"'])
async def test_a_reporter_cannot_search_by_name_or_ssn(
    engine: AsyncEngine, api: Api, criterion: str
) -> None:
    await load_world(engine, scoping_world())
    body = await api.query(f"{{ customers({criterion}) {{ totalCount }} }}", user="rep1")
    assert body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]


async def test_a_reporter_may_search_by_voucher_number(engine: AsyncEngine, api: Api) -> None:
    await load_world(engine, scoping_world())
    data = await api.data(
        '{ customers(voucherNumber: "V-pp_res") { edges { node { id } } } }', user="rep1"
    )
    assert data["customers"]["edges"] == [{"node": {"id": "c1"}}]
