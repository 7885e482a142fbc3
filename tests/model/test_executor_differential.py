"""The batched executor answers exactly as graphql-core's own executor does.

Random documents (hypothesis-graphql) over the example world, and fixed documents
that reach every nested list (with fragments, aliases, @skip/@include, __typename)
over random worlds: data, errors (path, message, code) and the identities disclosed
for the access log must all be equal, for every role.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal
from typing import Any

import hypothesis_graphql
import pytest
from graphql import get_named_type
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import nodes
from sqlalchemy.ext.asyncio import AsyncEngine
from strategies import worlds
from strawberry.types.arguments import convert_arguments
from support import SECRET, TODAY, load_world

from voucher_graph.app import Services
from voucher_graph.data.engine import session_factory
from voucher_graph.policies.oso_setup import create_oso
from voucher_graph.schema import executor as batched_executor
from voucher_graph.schema.build import build_schema
from voucher_graph.schema.errors import error_code
from voucher_graph.schema.executor import EXECUTIONS
from voucher_graph.schema.limits import LimitCheck
from voucher_graph.settings import Limits, Settings

BATCHED = build_schema()
PLAIN = build_schema(batched=False)
EXAMPLE_USERS = ["u1", "u2", "u10", "u11"]  # RECORDER, REPORTER, ADMIN, STAFF

EVERY_LIST = """
fragment Money on Event { price voucherShare copay }
fragment Voucher on PurchasingPower {
  id voucherNumber organizerId validFrom validTo
  service { id name organizerId __typename }
  contents { content { id name unit } unitValue grantedUnits usedUnits }
}
query Every($first: Int!, $names: Boolean!, $skipEvents: Boolean!) {
  me { id name role providerId organizerId }
  customers(first: $first) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges {
      cursor
      node {
        __typename id
        firstName @include(if: $names)
        surname: lastName
        ssn @skip(if: $skipEvents)
        customerNumber
        purchasingPowers { ...Voucher }
        balancePurchasingPowers {
          id voucherNumber service { id } grantedAmount usedAmount balance validFrom
        }
        reservations(includeEnded: true) {
          id purchasingPowerId providerId content { id } validFrom validTo
        }
        current: reservations { id }
        events @skip(if: $skipEvents) {
          id serviceDate units unitPrice description content { id unit }
          status settlementDate editable deletable ...Money
        }
        recorded: events(status: [RECORDED, SETTLED], from: "2024-01-01") { id status }
        access { rule providerId eventId reservationId teamId serviceId organizerId until }
        ... on Customer { again: id }
      }
    }
  }
}
"""
LOOKUPS = """
query Lookups($c: ID!, $e: ID!) {
  customer(id: $c) { id firstName events { id status price } access { rule eventId until } }
  dated: customer(id: $c) {
    id events(from: "2024-01-01", to: "2026-06-30", status: [RECORDED, SETTLED]) { id status }
  }
  twice: customer(id: $c) { id events { id } later: events(from: "2025-01-01") { id } }
  event(id: $e) {
    id status settlementDate price voucherShare copay editable deletable content { id }
  }
  me { id }
}
"""


def _settings(examples: int) -> Any:
    return settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


@functools.lru_cache(maxsize=8)
def _services(engine: AsyncEngine, today: date) -> Services:
    """One per `today`, kept across examples: a fresh one would start with an empty
    statement cache and spend the example in the policy's partial evaluation."""
    settings_ = Settings(database_url=str(engine.url), jwt_secret=SECRET, today=today)
    return Services(
        settings=settings_, engine=engine, sessions=session_factory(engine), oso=create_oso()
    )


async def _answer(
    services: Services, schema: Any, user: str, query: str, variables: dict[str, Any]
) -> tuple[Any, list[tuple[Any, ...]], dict[str, set[str]]]:
    async with services.sessions() as session:
        context = await services.open_context(session, user, request_id="differential")
        assert context is not None
        result = await schema.execute(query, variable_values=variables, context_value=context)
        await session.rollback()
    errors = sorted((tuple(e.path or ()), e.message, error_code(e)) for e in result.errors or [])
    if result.data is None and errors:
        # The whole response nulled: graphql-core completes a list's items concurrently
        # and reports the error of whichever item failed first, so when several items fail
        # alike (each customer's copayStatement of an unknown service) the index in the
        # path, and how many were reported, depend on timing, even between two runs of
        # graphql-core itself. Compared without list indices, once each.
        errors = sorted(
            {(tuple("*" if isinstance(k, int) else k for k in path), message, code)
             for path, message, code in errors}
        )  # fmt: skip
    return result.data, errors, dict(context.disclosed)


async def assert_same_answers(
    services: Services, user: str, query: str, variables: dict[str, Any]
) -> None:
    batched = await _answer(services, BATCHED, user, query, variables)
    plain = await _answer(services, PLAIN, user, query, variables)
    assert batched == plain, f"user {user}: {query} {variables}"


@pytest.fixture(scope="module")
async def example_services(
    engine: AsyncEngine, example_world: dict[str, Any]
) -> AsyncIterator[Services]:
    await load_world(engine, example_world)
    yield _services(engine, TODAY)


# Dates around the example world's events (and some malformed), ids of the world.
_DATES = st.one_of(
    st.dates(date(2023, 1, 1), date(2027, 1, 1)).map(lambda d: d.isoformat()),
    st.sampled_from(["2026-02-30", "today", ""]),
)
_DECIMALS = st.sampled_from(["1.50", "0", "abc"])
QUERIES = hypothesis_graphql.from_schema(
    BATCHED._schema,
    fields=["me", "customer", "customers", "event"],
    custom_scalars={
        "Date": _DATES.map(nodes.String),
        "Decimal": _DECIMALS.map(nodes.String),
    },
)


# What the HTTP endpoint refuses before any execution (the limits, and text no database
# stores, such as a NUL, which PostgreSQL rejects mid-statement) reaches neither executor.
ENDPOINT_CHECK = LimitCheck(BATCHED._schema, Limits())


@_settings(120)
@given(query=QUERIES, user=st.sampled_from(EXAMPLE_USERS))
async def test_random_documents_answer_alike_on_the_example_world(
    example_services: Services, query: str, user: str
) -> None:
    assume(not ENDPOINT_CHECK.errors(query))
    await assert_same_answers(example_services, user, query, {})


@pytest.mark.parametrize("user", EXAMPLE_USERS)
@pytest.mark.parametrize("names", [True, False])
async def test_every_nested_list_answers_alike(
    example_services: Services, user: str, names: bool
) -> None:
    variables = {"first": 60, "names": names, "skipEvents": not names}
    await assert_same_answers(example_services, user, EVERY_LIST, variables)


@pytest.mark.parametrize("user", EXAMPLE_USERS)
async def test_lookups_and_errors_answer_alike(example_services: Services, user: str) -> None:
    for customer, event in [("c1", "e1"), ("c2", "e5"), ("nobody", "e2"), ("c40", "nothing")]:
        await assert_same_answers(example_services, user, LOOKUPS, {"c": customer, "e": event})
    # Errors at the root: first out of range, a malformed hetu, a REPORTER's name search.
    for query in (
        "{ customers(first: 0) { totalCount } me { id } }",
        '{ customers(ssn: "nonsense") { totalCount } }',
        '{ customers(name: "a") { edges { node { id } } } }',
        '{ a: customer(id: "c1") { id } b: customers(after: "garbage") { totalCount } }',
    ):
        await assert_same_answers(example_services, user, query, {})


# One document, planned once and reused (schema/executor.py keeps plans by document):
# every argument, look-ahead and directive here reads a variable.
VARIED = """
query Varied($c: ID!, $from: Date, $to: Date, $status: [EventStatus!], $first: Int!,
             $names: Boolean!, $ended: Boolean!) {
  customer(id: $c) {
    id firstName @include(if: $names) events(from: $from, to: $to, status: $status) { id status }
  }
  customers(first: $first) {
    edges { node { id lastName @skip(if: $names) reservations(includeEnded: $ended) { id } } }
  }
}
"""
VARIABLES = [
    {"c": "c1", "from": None, "to": None, "status": None, "first": 3, "names": True},
    {
        "c": "c2",
        "from": "2025-01-01",
        "to": None,
        "status": ["RECORDED"],
        "first": 10,
        "names": True,
        "ended": True,
    },
    {
        "c": "c1",
        "from": "2024-01-01",
        "to": "2026-06-30",
        "status": None,
        "first": 1,
        "names": False,
    },
    {
        "c": "nobody",
        "from": None,
        "to": "2025-06-30",
        "status": ["SETTLED"],
        "first": 5,
        "names": False,
        "ended": True,
    },
    {
        "c": "c3",
        "from": "2026-06-30",
        "to": "2024-01-01",
        "status": None,
        "first": 2,
        "names": True,
    },
]


@pytest.mark.parametrize("user", EXAMPLE_USERS)
async def test_a_kept_plan_answers_each_requests_variables(
    example_services: Services, user: str
) -> None:
    for variables in VARIABLES:
        variables = {"ended": False, **variables}
        await assert_same_answers(example_services, user, VARIED, variables)
    # Not vacuous: the plans were reused, one per value of the directives' variable.
    kept = batched_executor._TEMPLATES.kept[BATCHED._schema]
    assert sum(1 for key in kept if key[0] == VARIED) == 2


async def test_concurrent_requests_on_one_kept_plan_get_their_own_arguments(
    example_services: Services,
) -> None:
    # A new document (the comment makes it one), sent by several requests at once:
    # the first plans it, the others take the kept plan meanwhile; each must be
    # answered for its own variables.
    query = VARIED + "# sent concurrently\n"
    requests = [{"ended": False, **variables} for variables in VARIABLES * 2]
    batched = await asyncio.gather(
        *(_answer(example_services, BATCHED, "u10", query, v) for v in requests)
    )
    for variables, answer in zip(requests, batched, strict=True):
        assert answer == await _answer(example_services, PLAIN, "u10", query, variables)


@pytest.mark.parametrize(
    ("query", "variables", "executor"),
    [
        (EVERY_LIST, {"first": 5, "names": True, "skipEvents": False}, "batched"),
        (LOOKUPS, {"c": "c1", "e": "e1"}, "batched"),
        ("{ __schema { queryType { name } } }", {}, "graphql-core"),
        (
            '{ customer(id: "c1") { copayStatement(service: "s1", from: "2026-01-01", '
            'to: "2026-12-31") { totalCopay } } }',
            {},
            "graphql-core",
        ),
        ('mutation { deleteEvent(id: "nothing") }', {}, "graphql-core"),
    ],
)
async def test_read_documents_run_batched_and_the_rest_on_graphql_core(
    example_services: Services, query: str, variables: dict[str, Any], executor: str
) -> None:
    """The differential tests above would be vacuous if nothing were planned."""
    before = EXECUTIONS.copy()
    await _answer(example_services, BATCHED, "u10", query, variables)
    assert EXECUTIONS - before == {executor: 1}


@_settings(12)
@given(case=worlds())
async def test_every_nested_list_answers_alike_over_random_worlds(
    engine: AsyncEngine, case: tuple[dict[str, Any], date]
) -> None:
    world, today = case
    await load_world(engine, world)
    services = _services(engine, today)
    variables = {"first": 500, "names": True, "skipEvents": False}
    for user in (u["id"] for u in world["users"]):
        await assert_same_answers(services, user, EVERY_LIST, variables)


WHO_CAN_SEE = """
query Who($c: ID!) {
  whoCanSee(customerId: $c) { rule providerId teamId serviceId organizerId userIds until }
  me { id }
}
"""


@_settings(6)
@given(case=worlds())
async def test_who_can_see_answers_alike_over_random_worlds(
    engine: AsyncEngine, case: tuple[dict[str, Any], date]
) -> None:
    world, today = case
    await load_world(engine, world)
    services = _services(engine, today)
    for user in (u["id"] for u in world["users"] if u["role"] in ("ADMIN", "STAFF")):
        for customer in (c["id"] for c in world["customers"]):
            await assert_same_answers(services, user, WHO_CAN_SEE, {"c": customer})


@given(
    st.lists(st.sampled_from(["id", "name", "a", "b", "__typename"]), min_size=1, max_size=70),
    st.integers(min_value=0, max_value=4),
)
def test_a_levels_dicts_are_built_as_dict_of_zip(keys: list[str], objects: int) -> None:
    # The generated builders (up to 64 fields) and the plain path beyond them make the
    # same dicts, the last of repeated keys winning, in the same key order.
    columns = [[(key, i, n) for n in range(objects)] for i, key in enumerate(keys)]
    built = batched_executor._dicts(keys, columns)
    expected = [dict(zip(keys, row, strict=True)) for row in zip(*columns, strict=True)]
    assert built == expected
    assert [list(found) for found in built] == [list(each) for each in expected]


# A value of each scalar the schema's arguments use, as graphql-core hands it on.
_SCALAR_VALUES = {
    "ID": "c1", "String": "x", "Int": 3, "Boolean": True, "Float": 1.5,
    "Date": date(2026, 1, 2), "Decimal": Decimal("1.50"),
}  # fmt: skip


def test_plain_arguments_are_exactly_what_strawberry_converts_them_to() -> None:
    # Every field whose arguments the executor binds without Strawberry's
    # convert_arguments (all of scalar types) gets the same keyword arguments; the
    # rest (enums, lists, input objects) are left to convert_arguments.
    strawberry_schema = BATCHED._schema._strawberry_schema  # type: ignore[attr-defined]
    config = strawberry_schema.config
    registry = strawberry_schema.schema_converter.scalar_registry
    plain_fields, converted_fields = [], []
    for type_ in BATCHED._schema.type_map.values():
        if type_.name.startswith("__") or not hasattr(type_, "fields"):
            continue
        for name, definition in type_.fields.items():
            field = (definition.extensions or {}).get(batched_executor.DEFINITION)
            if field is None or not field.arguments:
                continue
            pairs = batched_executor.plain_arguments(definition, field, config)
            if pairs is None:
                converted_fields.append(f"{type_.name}.{name}")
                continue
            plain_fields.append(f"{type_.name}.{name}")
            for present in (len(pairs), 0):  # every argument given, and none
                values = {
                    graphql: _SCALAR_VALUES[get_named_type(definition.args[graphql].type).name]
                    for graphql, _ in pairs[:present]
                }
                renamed = {python: values[g] for g, python in pairs if g in values}
                assert renamed == convert_arguments(values, field.arguments, registry, config)
    assert "Query.customer" in plain_fields and "Customer.reservations" in plain_fields
    assert "Customer.events" in converted_fields  # status: [EventStatus!]
