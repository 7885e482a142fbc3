"""HTTP-level refusals: each with its status, a GraphQL-shaped JSON error body, never a 500;
and unexpected failures answered with a request id, not a trace."""

from __future__ import annotations

import json

import pytest
from hostile import assert_graphql_answer
from support import Api

from voucher_graph import app as app_module

QUERY = "{ me { id } }"


def auth(api: Api, user: str = "u1") -> dict[str, str]:
    return {"Authorization": f"Bearer {api.token(user)}"}


BODIES = [
    # (content type, body, status)
    ("application/json", b"{not json", 400),
    ("application/json", b"\xff\xfe\x00garbage", 400),
    ("application/json", b"[1, 2]", 400),
    ("application/json", b'"a string"', 400),
    ("application/json", b"{}", 400),
    ("application/json", b'{"query": 12}', 400),
    ("application/json", b'{"query": ""}', 400),
    ("application/json", b'{"query": "{ me { id } }", "variables": [1]}', 400),
    ("application/json", b'{"query": "{ me { id } }", "operationName": 5}', 400),
    ("application/json", b'{"query": "{ me { id } }", "extensions": "x"}', 400),
    ("application/json", b"", 400),
    ("text/plain", b'{"query": "{ me { id } }"}', 415),
    ("application/x-www-form-urlencoded", b"query=%7B+me+%7B+id+%7D+%7D", 415),
    ("multipart/form-data; boundary=x", b"--x--", 415),
    ("", b'{"query": "{ me { id } }"}', 415),
]


@pytest.mark.parametrize(("content_type", "body", "status"), BODIES)
async def test_malformed_requests(
    example_api: Api, content_type: str, body: bytes, status: int
) -> None:
    headers = {**auth(example_api), "Content-Type": content_type}
    response = await example_api.client.post("/graphql", content=body, headers=headers)
    assert response.status_code == status
    assert_graphql_answer(response)
    assert (await example_api.data(QUERY, user="u1"))["me"]["id"] == "u1"


async def test_an_oversized_body_is_413(example_api: Api) -> None:
    body = json.dumps({"query": QUERY, "variables": {"x": "y" * 1_100_000}}).encode()
    headers = {**auth(example_api), "Content-Type": "application/json"}
    response = await example_api.client.post("/graphql", content=body, headers=headers)
    assert response.status_code == 413
    assert_graphql_answer(response)


async def test_an_oversized_body_without_a_length_is_413(example_api: Api) -> None:
    async def chunks():  # streamed: no Content-Length to trust
        for _ in range(20):
            yield b"x" * 100_000

    headers = {**auth(example_api), "Content-Type": "application/json"}
    response = await example_api.client.post("/graphql", content=chunks(), headers=headers)
    assert response.status_code == 413


async def test_a_stranger_with_an_oversized_body_gets_401_not_413(example_api: Api) -> None:
    # The token is checked before the body limit: a stranger never makes the server read.
    body = json.dumps({"query": QUERY, "variables": {"x": "y" * 1_100_000}}).encode()
    response = await example_api.client.post(
        "/graphql", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 401
    assert [e["extensions"]["code"] for e in response.json()["errors"]] == ["UNAUTHENTICATED"]


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH"])
async def test_queries_go_by_post_only(example_api: Api, method: str) -> None:
    response = await example_api.client.request(
        method,
        "/graphql",
        params={"query": 'mutation { deleteEvent(id: "e1") }'},
        headers={**auth(example_api), "Accept": "application/json"},
    )
    assert response.status_code == 405
    assert_graphql_answer(response)


async def test_an_unexpected_failure_gets_a_request_id_only(
    example_api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("SELECT secret FROM customer WHERE ssn = '131052-308T'")

    monkeypatch.setattr(example_api.client._transport.app.state.services, "open_context", broken)
    response = await example_api.post(QUERY, user="u1")
    assert response.status_code == 500
    [error] = response.json()["errors"]
    request_id = response.headers["x-request-id"]
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id}
    assert request_id in error["message"]
    assert "SELECT" not in response.text and "131052" not in response.text


async def test_a_resolver_failure_is_internal_with_a_request_id(
    example_api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: object) -> None:
        raise ValueError("ssn 131052-308T")

    monkeypatch.setattr(app_module.Gate, "can_read_field", broken)
    response = await example_api.post('{ customer(id: "c1") { id ssn } }', user="u10")
    assert response.status_code == 200  # a partial answer: the failing field is null
    body = response.json()
    assert body["data"] == {"customer": {"id": "c1", "ssn": None}}
    [error] = body["errors"]
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert error["extensions"]["requestId"] == response.headers["x-request-id"]
    assert "131052" not in response.text and "ValueError" not in response.text
