"""SqlFilterAdapter: every operator maps to the right SQL and rows; anything else refuses."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from polar.data.filter import Condition, DataFilter, Projection, Relation
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import aliased
from support import load_world
from tiny_worlds import tiny_world

from voucher_graph.data import models as m
from voucher_graph.data.engine import session_factory
from voucher_graph.policies.adapter import SqlFilterAdapter, UnsupportedFilter, _same_clause
from voucher_graph.policies.oso_setup import (
    CustomerEvent,
    CustomerReservation,
    create_oso,
)

D2026, D2027, D2028 = date(2026, 1, 1), date(2027, 1, 1), date(2028, 1, 1)
TYPES = create_oso().host.types
ADAPTER = SqlFilterAdapter(
    {
        m.Customer: m.Customer,
        m.Reservation: m.Reservation,
        CustomerEvent: m.Event,
        CustomerReservation: m.Reservation,
    }
)


@pytest.fixture(scope="module")
async def world(engine: AsyncEngine) -> None:
    """Reservations r1..r4 ending never, 2026, 2027, 2028; c1 has an event, c2 a
    reservation, c3 nothing."""
    w = tiny_world()
    for customer in ("c1", "c2", "c3"):
        w.customer(customer)
        w.regular(f"pp_{customer}", customer)
    for ident, end in (
        ("r1", None),
        ("r2", "2026-01-01"),
        ("r3", "2027-01-01"),
        ("r4", "2028-01-01"),
    ):
        w.reservation(ident, "pp_c2", "p1", valid_from="2020-01-01", valid_to=end)
    w.event("e1", "pp_c1", "2027-06-01", provider="p2")
    await load_world(engine, w.raw)


def valid_to() -> Projection:
    return Projection(m.Reservation, "valid_to")


def only(
    *conditions: Condition, model: type = m.Reservation, relations: list[Relation] | None = None
) -> DataFilter:
    """A filter of one OR branch holding `conditions`."""
    return DataFilter(model, relations or [], [list(conditions)], TYPES)


async def ids(engine: AsyncEngine, filter: DataFilter) -> set[str]:
    async with session_factory(engine)() as session:
        rows = (await session.scalars(ADAPTER.build_query(filter))).all()
    return {row.id for row in rows}


# (operator, right operand, SQL fragment, reservations whose valid_to satisfies it)
OPERATORS: list[tuple[str, Any, str, set[str]]] = [
    ("Eq", D2027, "reservations.valid_to = ", {"r3"}),
    ("Eq", None, "reservations.valid_to IS NULL", {"r1"}),
    # Polar: nil != 2027-01-01 holds, so the row without an end passes.
    ("Neq", D2027, "reservations.valid_to IS NULL", {"r1", "r2", "r4"}),
    ("Neq", None, "reservations.valid_to IS NOT NULL", {"r2", "r3", "r4"}),
    ("Lt", D2027, "reservations.valid_to < ", {"r2"}),
    ("Leq", D2027, "reservations.valid_to <= ", {"r2", "r3"}),
    ("Gt", D2027, "reservations.valid_to > ", {"r4"}),
    ("Geq", D2027, "reservations.valid_to >= ", {"r3", "r4"}),
    ("In", [D2026, D2028], "reservations.valid_to IN ", {"r2", "r4"}),
    ("Nin", [D2026, D2028], "NOT IN", {"r1", "r3"}),
]


@pytest.mark.parametrize(
    ("op", "right", "sql", "expected"),
    [pytest.param(*row, id=f"{row[0]}-{row[1]}") for row in OPERATORS],
)
async def test_each_operator_maps_to_sql_and_selects_the_right_rows(
    engine: AsyncEngine, world: None, op: str, right: Any, sql: str, expected: set[str]
) -> None:
    filter = only(Condition(valid_to(), op, right))
    assert sql in str(ADAPTER.build_query(filter))
    assert await ids(engine, filter) == expected


@pytest.mark.parametrize(
    ("op", "expected"),
    [
        ("Lt", {"r4"}),
        ("Leq", {"r3", "r4"}),
        ("Gt", {"r2"}),
        ("Geq", {"r2", "r3"}),
        ("Eq", {"r3"}),
        ("Neq", {"r1", "r2", "r4"}),
    ],
)
async def test_a_literal_on_the_left_is_mirrored(
    engine: AsyncEngine, world: None, op: str, expected: set[str]
) -> None:
    assert await ids(engine, only(Condition(D2027, op, valid_to()))) == expected


async def test_conditions_of_one_branch_combine_with_and(engine: AsyncEngine, world: None) -> None:
    filter = only(Condition(valid_to(), "Geq", D2026), Condition(valid_to(), "Lt", D2028))
    assert await ids(engine, filter) == {"r2", "r3"}


@pytest.mark.parametrize(
    ("left", "op", "right", "expected"),
    [
        (1, "Eq", 1, {"r1", "r2", "r3", "r4"}),
        ("a", "Eq", "b", set()),
        (1, "In", [1, 2], {"r1", "r2", "r3", "r4"}),
        (3, "Lt", 2, set()),
    ],
)
async def test_literal_only_conditions_are_decided_in_python(
    engine: AsyncEngine, world: None, left: Any, op: str, right: Any, expected: set[str]
) -> None:
    assert await ids(engine, only(Condition(left, op, right))) == expected


async def test_no_branches_select_nothing(engine: AsyncEngine, world: None) -> None:
    assert await ids(engine, DataFilter(m.Reservation, [], [], TYPES)) == set()


async def test_or_branches_over_different_relations_do_not_restrict_each_other(
    engine: AsyncEngine, world: None
) -> None:
    # An inner join of both relations would drop c1 (no reservation) and c2 (no event).
    events = Relation(m.Customer, "events", CustomerEvent)
    reservations = Relation(m.Customer, "reservations", CustomerReservation)
    filter = DataFilter(
        m.Customer,
        [events, reservations],
        [
            [Condition(Projection(CustomerEvent, "provider_id"), "Eq", "p2")],
            [Condition(Projection(CustomerReservation, "valid_to"), "Eq", None)],
        ],
        TYPES,
    )
    statement = str(ADAPTER.build_query(filter))
    # Each branch is its own select, a correlated EXISTS: one index probe per row.
    assert statement.count("EXISTS (SELECT") == 2 and "JOIN" not in statement
    assert await ids(engine, filter) == {"c1", "c2"}


@pytest.mark.parametrize(("provider", "expected"), [("p1", {"c2"}), ("p2", set())])
async def test_branches_over_the_same_relation_share_one_select(
    engine: AsyncEngine, world: None, provider: str, expected: set[str]
) -> None:
    # Rule A's shape: the same provider condition, then an OR of the date conditions.
    reservations = Relation(m.Customer, "reservations", CustomerReservation)
    mine = Condition(Projection(CustomerReservation, "provider_id"), "Eq", provider)
    end = Projection(CustomerReservation, "valid_to")
    filter = DataFilter(
        m.Customer,
        [reservations],
        [[mine, Condition(end, "Eq", None)], [Condition(end, "Geq", D2028), mine]],
        TYPES,
    )
    statement = str(ADAPTER.build_query(filter))
    assert statement.count("SELECT") == 2 and "UNION" not in statement
    # The common condition is factored out, once, in front of the OR.
    assert statement.count("provider_id =") == 1
    assert "valid_to IS NULL OR" in statement
    assert await ids(engine, filter) == expected


async def test_a_branch_holding_only_the_common_conditions_admits_every_row(
    engine: AsyncEngine, world: None
) -> None:
    reservations = Relation(m.Customer, "reservations", CustomerReservation)
    mine = Condition(Projection(CustomerReservation, "provider_id"), "Eq", "p1")
    ended = Condition(Projection(CustomerReservation, "valid_to"), "Lt", D2026)
    filter = DataFilter(m.Customer, [reservations], [[mine, ended], [mine]], TYPES)
    assert "valid_to" not in str(ADAPTER.build_query(filter)).split("WHERE", 2)[2]
    assert await ids(engine, filter) == {"c2"}


async def test_a_branch_that_also_constrains_the_root_row_is_a_correlated_exists(
    engine: AsyncEngine, world: None
) -> None:
    events = Relation(m.Customer, "events", CustomerEvent)
    provider = Projection(CustomerEvent, "provider_id")
    filter = DataFilter(
        m.Customer,
        [events],
        [
            [Condition(Projection(m.Customer, "id"), "Neq", "c2"), Condition(provider, "Eq", "p2")],
            [Condition(Projection(m.Customer, "id"), "Eq", "c3")],
        ],
        TYPES,
    )
    assert "EXISTS" in str(ADAPTER.build_query(filter))
    assert await ids(engine, filter) == {"c1", "c3"}


def test_an_unknown_operator_is_refused() -> None:
    with pytest.raises(UnsupportedFilter):
        ADAPTER.build_query(only(Condition(valid_to(), "Like", "2027%")))
    with pytest.raises(UnsupportedFilter):
        ADAPTER.build_query(only(Condition(1, "Like", 1)))


def test_an_unregistered_class_is_refused() -> None:
    with pytest.raises(UnsupportedFilter):
        ADAPTER.build_query(DataFilter(m.Event, [], [[]], TYPES))


def test_a_class_reached_on_two_paths_is_refused() -> None:
    relation = Relation(m.Customer, "events", CustomerEvent)
    filter = DataFilter(
        m.Customer,
        [relation, Relation(m.Customer, "events", CustomerEvent)],
        [[Condition(Projection(CustomerEvent, "deleted"), "Eq", False)]],
        TYPES,
    )
    with pytest.raises(UnsupportedFilter):
        ADAPTER.build_query(filter)


@pytest.mark.parametrize(
    "condition",
    [
        Condition(Projection(m.Reservation, "id"), "Eq", object()),
        Condition(Projection(m.Reservation, "id"), "In", [object()]),
        Condition(Projection(m.Reservation, "id"), "In", ["r1", None]),
        Condition(Projection(m.Reservation, "id"), "In", "r1"),
        Condition(Projection(m.Reservation, "no_such_column"), "Eq", "x"),
        Condition(Projection(CustomerEvent, "id"), "Eq", "x"),  # not related to the root
    ],
)
def test_operands_it_cannot_translate_exactly_are_refused(condition: Condition) -> None:
    with pytest.raises(UnsupportedFilter):
        ADAPTER.build_query(only(condition))


def test_the_adapter_never_executes() -> None:
    with pytest.raises(UnsupportedFilter):
        ADAPTER.execute_query(object())


def test_conditions_on_two_aliases_of_one_table_are_not_the_same_condition() -> None:
    # SQLAlchemy's own compare takes them as equal; factoring one out as common to both
    # branches of a semi-join would move it to the other alias.
    first, second = aliased(m.Event), aliased(m.Event)
    on_first = first.provider_id == "p1"
    assert on_first.compare(second.provider_id == "p1")
    assert not _same_clause(on_first, second.provider_id == "p1")
    assert _same_clause(on_first, first.provider_id == "p1")
