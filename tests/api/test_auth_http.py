"""HTTP authentication (CONTRACT.md, "HTTP"): bad tokens get 401 and no data."""

from __future__ import annotations

import base64
import json
import time

import httpx
import jwt
import pytest
from support import SECRET, Api

from voucher_graph.auth import issue_token

QUERY = '{ me { id } customers { totalCount } customer(id: "c1") { id firstName } }'


def _segment(value: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def _alg_none(user: str) -> str:
    header = _segment({"alg": "none", "typ": "JWT"})
    claims = _segment({"sub": user, "exp": int(time.time()) + 3600})
    return f"{header}.{claims}."


BAD_HEADERS: list[tuple[str, dict[str, str]]] = [
    ("missing", {}),
    ("empty", {"Authorization": ""}),
    ("no scheme", {"Authorization": issue_token(SECRET, "u1")}),
    ("basic scheme", {"Authorization": "Basic dTE6c2VjcmV0"}),
    ("bearer without token", {"Authorization": "Bearer "}),
    ("garbage token", {"Authorization": "Bearer not.a.jwt"}),
    ("expired", {"Authorization": f"Bearer {issue_token(SECRET, 'u1', now=time.time() - 7200)}"}),
    ("wrong signature", {"Authorization": f"Bearer {issue_token('another-secret-' * 3, 'u1')}"}),
    ("alg none", {"Authorization": f"Bearer {_alg_none('u1')}"}),
    (
        "no exp",
        {"Authorization": "Bearer " + jwt.encode({"sub": "u1"}, SECRET, algorithm="HS256")},
    ),
    (
        "no sub",
        {
            "Authorization": "Bearer "
            + jwt.encode({"exp": int(time.time()) + 60}, SECRET, algorithm="HS256")
        },
    ),
    ("unknown user", {"Authorization": f"Bearer {issue_token(SECRET, 'nobody')}"}),
]


@pytest.mark.parametrize(
    "headers", [pytest.param(headers, id=case) for case, headers in BAD_HEADERS]
)
async def test_a_bad_or_missing_token_gets_401_and_no_data(
    example_api: Api, headers: dict[str, str]
) -> None:
    response = await example_api.client.post("/graphql", json={"query": QUERY}, headers=headers)
    assert response.status_code == 401
    body = response.json()
    assert body.get("data") is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["UNAUTHENTICATED"]


async def test_a_valid_token_gets_data(example_api: Api) -> None:
    response = await example_api.post(QUERY, user="u1")
    assert response.status_code == 200
    assert response.json()["data"]["me"] == {"id": "u1"}


async def test_a_get_from_a_browser_serves_graphiql(example_api: Api) -> None:
    response = await example_api.client.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "graphiql" in response.text.lower()


async def test_health_answers_200_when_the_database_answers(example_api: Api) -> None:
    response = await example_api.client.get("/health")
    assert response.status_code == 200


async def test_a_get_query_without_a_token_gets_401(example_api: Api) -> None:
    response: httpx.Response = await example_api.client.get(
        "/graphql", params={"query": "{ me { id } }"}, headers={"Accept": "application/json"}
    )
    assert response.status_code == 401
