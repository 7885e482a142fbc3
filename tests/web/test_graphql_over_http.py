"""GraphQL over HTTP: application/graphql-response+json and its status codes, operationName,
Relay PageInfo, and from > to alike in events and copayStatement."""

from __future__ import annotations

from typing import Any

import httpx
from support import Api

GRAPHQL_RESPONSE = "application/graphql-response+json"


async def post(
    api: Api,
    body: dict[str, Any],
    *,
    accept: str | None = GRAPHQL_RESPONSE,
    user: str | None = "u1",
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {api.token(user)}"} if user else {}
    if accept is not None:
        headers["Accept"] = accept
    return await api.client.post("/graphql", json=body, headers=headers)


def media_type(response: httpx.Response) -> str:
    return response.headers["content-type"].split(";")[0]


async def test_graphql_response_json_answers_an_executed_operation_with_200(
    example_api: Api,
) -> None:
    response = await post(example_api, {"query": "{ me { id } }"})
    assert response.status_code == 200
    assert media_type(response) == GRAPHQL_RESPONSE
    assert response.json() == {"data": {"me": {"id": "u1"}}}


async def test_graphql_response_json_answers_request_errors_with_400_and_no_data(
    example_api: Api,
) -> None:
    deep = "{ me { id } " + "customers { edges { node { events { content { name } } } } } " + "}"
    for query in ("{ nope }", "{ me { id ", "query($x: Int!) { me { id } }", deep * 40):
        response = await post(example_api, {"query": query})
        assert response.status_code == 400, (query, response.text)
        assert media_type(response) == GRAPHQL_RESPONSE
        body = response.json()
        assert "data" not in body
        assert body["errors"][0]["extensions"]["code"] in ("BAD_USER_INPUT", "QUERY_TOO_COMPLEX")


async def test_graphql_response_json_keeps_200_when_a_field_error_nulls_the_data(
    example_api: Api,
) -> None:
    response = await post(example_api, {"query": "{ customers(first: 0) { totalCount } }"})
    assert response.status_code == 200
    body = response.json()
    assert body["data"] is None
    assert body["errors"][0]["path"] == ["customers"]


async def test_graphql_response_json_keeps_401_for_a_missing_token(example_api: Api) -> None:
    response = await post(example_api, {"query": "{ me { id } }"}, user=None)
    assert response.status_code == 401
    assert media_type(response) == GRAPHQL_RESPONSE
    assert "data" not in response.json()
    assert response.headers["www-authenticate"] == "Bearer"


async def test_application_json_stays_the_default_with_200_for_request_errors(
    example_api: Api,
) -> None:
    for accept in (None, "application/json", "*/*", f"application/json, {GRAPHQL_RESPONSE};q=0.5"):
        response = await post(example_api, {"query": "{ nope }"}, accept=accept)
        assert response.status_code == 200
        assert media_type(response) == "application/json"
        assert response.json()["data"] is None


async def test_several_operations_without_operation_name_are_a_request_error(
    example_api: Api,
) -> None:
    document = "query A { me { id } } query B { me { role } }"
    refused = await post(example_api, {"query": document})
    assert refused.status_code == 400
    assert "operationName" in refused.json()["errors"][0]["message"]
    legacy = await post(example_api, {"query": document}, accept=None)
    assert legacy.json()["data"] is None
    assert legacy.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    chosen = await post(example_api, {"query": document, "operationName": "B"})
    assert chosen.json() == {"data": {"me": {"role": "RECORDER"}}}
    unknown = await post(example_api, {"query": document, "operationName": "C"})
    assert unknown.status_code == 400
    assert "'C'" in unknown.json()["errors"][0]["message"]


PAGE = """query($after: String) { customers(first: 1, after: $after) {
  edges { cursor } pageInfo { hasNextPage endCursor hasPreviousPage startCursor } } }"""


async def test_page_info_has_previous_page_exactly_when_after_is_given(example_api: Api) -> None:
    first = (await example_api.data(PAGE, user="u1"))["customers"]
    info = first["pageInfo"]
    assert info["hasPreviousPage"] is False
    assert info["startCursor"] == info["endCursor"] == first["edges"][0]["cursor"]
    assert info["hasNextPage"] is True
    second = (await example_api.data(PAGE, {"after": info["endCursor"]}, user="u1"))["customers"]
    assert second["pageInfo"]["hasPreviousPage"] is True
    assert second["pageInfo"]["startCursor"] == second["edges"][0]["cursor"]
    assert second["edges"][0]["cursor"] != info["endCursor"]


async def test_from_after_to_is_bad_user_input_in_events_as_in_copay_statement(
    example_api: Api,
) -> None:
    events = await example_api.query(
        '{ customers(first: 1) { edges { node { events(from: "2026-02-01", to: "2026-01-01")'
        " { id } } } } }",
        user="u1",
    )
    assert events["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert events["errors"][0]["message"] == "from must not be after to"
    statement = await example_api.query(
        '{ customers(first: 1) { edges { node { copayStatement(service: "s1", from: "2026-02-01",'
        ' to: "2026-01-01") { totalCopay } } } } }',
        user="u1",
    )
    assert statement["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert statement["errors"][0]["message"] == events["errors"][0]["message"]
    same_day = await example_api.data(
        '{ customers(first: 1) { edges { node { events(from: "2026-01-01", to: "2026-01-01")'
        " { id } } } } }",
        user="u1",
    )
    assert same_day["customers"]["edges"][0]["node"]["events"] is not None
