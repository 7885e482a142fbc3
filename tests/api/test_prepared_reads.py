"""A valid query skips Strawberry's view (schema/prepared.py) and is answered exactly as
through it: the same status, media type and body, for every role, with errors, and
for random documents. Everything else still goes through Strawberry.

Two apps over one database answer each request: the served one, and one whose
endpoint has the prepared path switched off (every request through `run`, as before).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import hypothesis_graphql
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import nodes
from sqlalchemy.ext.asyncio import AsyncEngine
from support import FULL_PAGE, Api, load_world, make_api

from voucher_graph.data.engine import StatementCounter
from voucher_graph.schema.build import build_schema
from voucher_graph.schema.limits import LimitCheck
from voucher_graph.settings import Limits

USERS = ["u1", "u2", "u10", "u11"]  # the example world's RECORDER, REPORTER, ADMIN, STAFF

PAGE = FULL_PAGE
ONE = """query One($id: ID!) { customer(id: $id) {
  id firstName lastName events { id serviceDate units unitPrice status }
} }"""
TWO = ONE + "\nquery Me { me { id role } }"

# (document, variables, operationName): valid queries, the prepared path's own.
VALID: list[tuple[str, dict[str, Any] | None, str | None]] = [
    (PAGE, {"first": 7}, None),
    (PAGE, {"first": 0}, None),  # a field error at the root: data null
    (ONE, {"id": "c1"}, None),
    (ONE, {"id": "c1"}, "One"),
    (ONE, {"id": "nobody"}, None),
    (ONE, {"id": 5}, None),  # an ID given as a number is coerced
    (ONE, {}, None),  # a variable missing: an error before execution, with no data
    (ONE, {"id": ["c1"]}, None),  # a variable of the wrong type
    (TWO, {"id": "c2"}, "One"),
    (TWO, None, "Me"),
    ("{ me { id name role } }", None, None),
    ('{ customers(ssn: "nonsense") { totalCount } }', None, None),
    ('{ a: customer(id: "c1") { id } b: customers(after: "garbage") { totalCount } }', None, None),
    ("{ __schema { queryType { name } } }", None, None),  # runs on graphql-core's executor
    ('{ event(id: "e1") { id status price editable } __typename }', None, None),
]
# Strawberry answers these: not valid, not a query, or not one operation.
NOT_PREPARED: list[tuple[str, dict[str, Any] | None, str | None]] = [
    ("{ me { id nosuchfield } }", None, None),
    ("{ me { id ", None, None),
    ('mutation { deleteEvent(id: "nothing") }', None, None),
    ("subscription { me { id } }", None, None),
    (ONE, {"id": "c1"}, ""),
]

ACCEPTS = [None, "application/graphql-response+json", "application/json, */*"]


@asynccontextmanager
async def two_apis(
    engine: AsyncEngine, counter: StatementCounter, **settings: Any
) -> AsyncIterator[tuple[Api, Api]]:
    """(prepared, through Strawberry), with the same settings."""
    prepared = make_api(engine, counter, **settings)
    strawberry = make_api(engine, counter, **settings)
    strawberry.app.state.graphql.prepared = None
    try:
        yield prepared, strawberry
    finally:
        for api in (prepared, strawberry):
            await api.client.aclose()


@pytest.fixture
async def apis(
    engine: AsyncEngine, counter: StatementCounter, example_world: dict[str, Any]
) -> AsyncIterator[tuple[Api, Api]]:
    """(prepared, through Strawberry) over the example world."""
    await load_world(engine, example_world)
    async with two_apis(engine, counter) as both:
        yield both


@contextmanager
def strawberry_runs(api: Api) -> Iterator[list[None]]:
    """The requests the endpoint sends through Strawberry's `run`, counted."""
    endpoint = api.app.state.graphql
    run = endpoint.run
    calls: list[None] = []

    async def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(None)
        return await run(*args, **kwargs)

    endpoint.run = counted
    try:
        yield calls
    finally:
        del endpoint.run


async def answer(
    api: Api,
    query: str,
    variables: dict[str, Any] | None,
    operation_name: str | None,
    user: str,
    accept: str | None = None,
) -> tuple[int, str, Any]:
    headers = {"Authorization": f"Bearer {api.token(user)}"}
    if accept:
        headers["Accept"] = accept
    payload: dict[str, Any] = {"query": query}
    if variables is not None:
        payload["variables"] = variables
    if operation_name is not None:
        payload["operationName"] = operation_name
    response = await api.client.post("/graphql", json=payload, headers=headers)
    body = response.json()
    errors = body.get("errors") or []
    for error in errors:
        assert error.get("extensions", {}).get("code") != "INTERNAL", body
    if body.get("data") is None and len(errors) > 1:
        # graphql-core's own executor (introspection, copayStatement) completes a list's
        # items concurrently: when several fail alike and null the whole response, which
        # of them are reported depends on timing, even between two runs of it alone.
        unindexed = [
            {**e, "path": ["*" if isinstance(k, int) else k for k in e.get("path") or []]}
            for e in errors
        ]
        body["errors"] = sorted({json.dumps(e, sort_keys=True) for e in unindexed})
    return response.status_code, response.headers["content-type"], body


async def assert_alike(
    apis: tuple[Api, Api],
    query: str,
    variables: dict[str, Any] | None,
    operation_name: str | None,
    user: str,
    accept: str | None = None,
) -> None:
    prepared, strawberry = apis
    ours = await answer(prepared, query, variables, operation_name, user, accept)
    theirs = await answer(strawberry, query, variables, operation_name, user, accept)
    assert ours == theirs, (query, variables, operation_name, user, accept)


@pytest.mark.parametrize("user", USERS)
async def test_valid_queries_answer_alike_without_strawberrys_view(
    apis: tuple[Api, Api], user: str
) -> None:
    prepared, _ = apis
    for query, variables, operation_name in VALID:
        with strawberry_runs(prepared) as calls:
            for accept in ACCEPTS:
                await assert_alike(apis, query, variables, operation_name, user, accept)
        assert calls == [], query  # the comparison above is not of one path with itself


@pytest.mark.parametrize("user", ["u1", "u2"])
async def test_the_rest_still_goes_through_strawberry(apis: tuple[Api, Api], user: str) -> None:
    prepared, _ = apis
    for query, variables, operation_name in NOT_PREPARED:
        with strawberry_runs(prepared) as calls:
            for accept in ACCEPTS:
                await assert_alike(apis, query, variables, operation_name, user, accept)
        assert len(calls) == len(ACCEPTS), query


async def test_refusals_before_execution_answer_alike(apis: tuple[Api, Api]) -> None:
    # The endpoint's own checks (schema/limits.py) run before either path.
    for query, operation_name in [(TWO, "Nobody"), (TWO, None), (ONE + " " * 10, "One")]:
        for accept in ACCEPTS:
            await assert_alike(apis, query, {"id": "c1"}, operation_name, "u1", accept)


async def test_with_introspection_off_both_refuse_it_alike(
    engine: AsyncEngine, counter: StatementCounter, example_world: dict[str, Any]
) -> None:
    # The prepared path validates with the rules the extensions add (schema/limits.py
    # served_rules), DisableIntrospection's among them.
    await load_world(engine, example_world)
    async with two_apis(engine, counter, introspection=False) as both:
        for query in (
            "{ __schema { queryType { name } } }",
            '{ __type(name: "Customer") { name } }',
            "{ me { id nosuchfield } }",  # and no "Did you mean" either
            "{ me { id __typename } }",
        ):
            await assert_alike(both, query, None, None, "u10")
        introspection = "{ __schema { queryType { name } } }"
        _, _, refused = await answer(both[0], introspection, None, None, "u10")
        assert refused["data"] is None and refused["errors"]


async def test_a_streaming_accept_answers_alike(apis: tuple[Api, Api]) -> None:
    # Strawberry streams only over the transports a view enables, and ours enables
    # none: such an Accept gets the plain answer either way.
    for accept in ("multipart/mixed", "text/event-stream"):
        await assert_alike(apis, ONE, {"id": "c1"}, None, "u1", accept)


async def test_the_operation_name_reaches_the_access_log_and_the_request_log(
    apis: tuple[Api, Api], caplog: pytest.LogCaptureFixture
) -> None:
    prepared, _ = apis
    caplog.set_level("INFO", logger="voucher_graph.request")
    await answer(prepared, TWO, {"id": "c1"}, "One", "u1")
    await answer(prepared, ONE, {"id": "c1"}, None, "u1")
    logged = [getattr(r, "fields", {}).get("operation") for r in caplog.records]
    assert logged[-2:] == ["One", "One"]


# Random valid documents of every read field, as the executor's differential test.
SCHEMA = build_schema()
QUERIES = hypothesis_graphql.from_schema(
    SCHEMA._schema,
    fields=["me", "customer", "customers", "event"],
    custom_scalars={
        "Date": st.sampled_from(["2025-01-01", "2026-02-30", ""]).map(nodes.String),
        "Decimal": st.sampled_from(["1.50", "abc"]).map(nodes.String),
    },
)
ENDPOINT_CHECK = LimitCheck(SCHEMA._schema, Limits())


@settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(query=QUERIES, user=st.sampled_from(USERS))
async def test_random_documents_answer_alike(apis: tuple[Api, Api], query: str, user: str) -> None:
    assume(not ENDPOINT_CHECK.errors(query))
    await assert_alike(apis, query, None, None, user)
