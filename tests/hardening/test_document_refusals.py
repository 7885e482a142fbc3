"""Documents the contract refuses before running them: several operations without an
operationName, introspection over the depth limit, validation that gives up; and field
suggestions, which describe the schema, are off when introspection is."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from graphql import GraphQLError, get_introspection_query
from hostile import assert_graphql_answer
from support import SECRET, TODAY, Api

from voucher_graph.app import create_app
from voucher_graph.schema.errors import error_code
from voucher_graph.settings import Settings


def codes(body: dict[str, object]) -> list[str]:
    return [e["extensions"]["code"] for e in body["errors"]]  # type: ignore[index,union-attr]


async def post(api: Api, body: dict[str, object], user: str = "u10") -> httpx.Response:
    return await api.client.post(
        "/graphql", json=body, headers={"Authorization": f"Bearer {api.token(user)}"}
    )


# -- several operations ------------------------------------------------------------------

TWO = 'query A { me { id } } query B { customer(id: "c1") { lastName } }'


async def test_several_operations_without_an_operation_name_are_a_request_error(
    example_api: Api,
) -> None:
    example_api.counter.reset()
    response = await post(example_api, {"query": TWO})
    body = assert_graphql_answer(response)
    assert body["data"] is None
    assert codes(body) == ["BAD_USER_INPUT"]
    assert "operation name" in body["errors"][0]["message"]
    assert example_api.counter.count == 0  # refused before any SQL: A did not run


async def test_an_unknown_operation_name_is_a_request_error(example_api: Api) -> None:
    body = assert_graphql_answer(await post(example_api, {"query": TWO, "operationName": "C"}))
    assert body["data"] is None and codes(body) == ["BAD_USER_INPUT"]


async def test_the_named_operation_runs(example_api: Api) -> None:
    body = assert_graphql_answer(await post(example_api, {"query": TWO, "operationName": "B"}))
    assert "errors" not in body and set(body["data"]) == {"customer"}
    one = assert_graphql_answer(
        await post(example_api, {"query": "query A { me { id } } fragment F on User { id }"})
    )
    assert codes(one) == ["BAD_USER_INPUT"]  # unused fragment: a validation error, not ours
    assert (await example_api.data("query Only { me { id } }", user="u10"))["me"]["id"] == "u10"


# -- introspection depth and refused validation --------------------------------------------


def of_type_chain(depth: int) -> str:
    return (
        "{ __schema { types { fields { type { "
        + "ofType { " * depth
        + "name"
        + " }" * depth
        + " } } } } }"
    )


REFUSED_INTROSPECTION = [
    pytest.param(of_type_chain(50), id="ofType chain 50 deep"),
    pytest.param(of_type_chain(12), id="ofType chain over the introspection depth"),
    pytest.param(
        '{ __type(name: "Customer") { fields { type { fields { type { fields { type { '
        "fields { name } } } } } } } } }",
        id="fields-type cycle (graphql-core's introspection depth rule)",
    ),
]


@pytest.mark.parametrize("query", REFUSED_INTROSPECTION)
async def test_introspection_deeper_than_the_limits_is_too_complex(
    example_api: Api, query: str
) -> None:
    example_api.counter.reset()
    body = assert_graphql_answer(await example_api.post(query, user="u10"))
    assert body["data"] is None
    assert set(codes(body)) == {"QUERY_TOO_COMPLEX"}
    assert example_api.counter.count == 0


async def test_the_standard_introspection_query_of_clients_still_runs(example_api: Api) -> None:
    # GraphiQL sends graphql-js's query: 14 levels deep (9 nested ofType), ~230 fields.
    query = get_introspection_query(
        descriptions=True,
        specified_by_url=True,
        directive_is_repeatable=True,
        schema_description=True,
        input_value_deprecation=True,
    )
    data = await example_api.data(query, user="u10")
    assert {"Customer", "Event"} <= {t["name"] for t in data["__schema"]["types"]}


async def test_validation_that_gives_up_answers_too_complex(example_api: Api) -> None:
    # 101 unknown fields: graphql-core stops after 100 errors ("... Validation aborted.").
    query = "{ " + " ".join(f"nosuch{i}" for i in range(101)) + " }"
    body = assert_graphql_answer(await example_api.post(query, user="u10"))
    assert body["data"] is None
    aborted = [e for e in body["errors"] if "Validation aborted." in e["message"]]
    assert [e["extensions"]["code"] for e in aborted] == ["QUERY_TOO_COMPLEX"]
    assert await example_api.data("{ me { id } }", user="u10") == {"me": {"id": "u10"}}


@pytest.mark.parametrize(
    "message",
    [
        "Maximum introspection depth exceeded",
        "Validation aborted.",
        "Too many validation errors, error limit reached. Validation aborted.",
    ],
)
def test_graphql_cores_refusals_are_too_complex(message: str) -> None:
    assert error_code(GraphQLError(message)) == "QUERY_TOO_COMPLEX"


# -- suggestions ------------------------------------------------------------------------

MISSPELLED = [
    pytest.param('{ customer(id: "c1") { ssnn } }', None, id="field"),
    pytest.param('{ customer(idd: "c1") { id } }', None, id="argument"),
    pytest.param("query($x: Custmer) { me { id } }", None, id="type"),
    pytest.param(
        '{ customer(id: "c1") { events(status: [UNDER_REVIEWW]) { id } } }', None, id="enum literal"
    ),
    pytest.param(
        'query($s: [EventStatus!]) { customer(id: "c1") { events(status: $s) { id } } }',
        {"s": ["UNDER_REVIEWW"]},
        id="enum variable",
    ),
    pytest.param(
        "mutation($i: RecordEventInput!) { recordEvent(input: $i) { id } }",
        {
            "i": {
                "purchasingPowerI": "pp1",
                "contentId": "k1",
                "serviceDate": "2026-11-02",
                "units": "1",
                "unitPrice": "1",
            }
        },
        id="input field variable",
    ),
]


@pytest.fixture
async def closed_api(example_api: Api) -> AsyncIterator[Api]:
    settings = Settings(
        database_url=str(example_api.engine.url),
        jwt_secret=SECRET,
        today=TODAY,
        introspection=False,
    )
    app = create_app(settings, engine=example_api.engine)
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")
    yield Api(client=client, counter=example_api.counter, engine=example_api.engine)
    await client.aclose()


@pytest.mark.parametrize(("query", "variables"), MISSPELLED)
async def test_no_suggestions_name_the_schema_when_introspection_is_off(
    example_api: Api, closed_api: Api, query: str, variables: dict[str, object] | None
) -> None:
    # With introspection on, graphql-core suggests: the check below can fail.
    suggested = await example_api.post(query, variables, user="u1")
    assert "Did you mean" in suggested.text
    response = await closed_api.post(query, variables, user="u1")
    body = assert_graphql_answer(response)
    assert body.get("data") is None
    assert "BAD_USER_INPUT" in codes(body)
    assert "Did you mean" not in response.text
    assert await closed_api.data("{ me { id } }", user="u1") == {"me": {"id": "u1"}}
