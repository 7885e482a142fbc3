"""Tokens are HS256 with exp (and iss/aud when configured); serving refuses a missing or
weak secret."""

from __future__ import annotations

import base64
import json
import time
import warnings

import httpx
import jwt
import pytest
from jwt.warnings import InsecureKeyLengthWarning
from support import SECRET, TODAY, Api

from voucher_graph import cli
from voucher_graph.app import create_app
from voucher_graph.auth import issue_token
from voucher_graph.settings import Settings

QUERY = "{ me { id } }"


def unsigned(claims: dict[str, object], alg: str = "none") -> str:
    def part(value: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': alg, 'typ': 'JWT'})}.{part(claims)}."


def hs512(claims: dict[str, object]) -> str:
    # The test secret is long enough for HS256, not for HS512, and PyJWT says so; this
    # token exists only to be refused.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InsecureKeyLengthWarning)
        return jwt.encode(claims, SECRET, algorithm="HS512")


NOW = int(time.time())
GOOD = {"sub": "u1", "iat": NOW, "exp": NOW + 600}
BAD_TOKENS = [
    pytest.param(jwt.encode(GOOD, "another-secret-0123456789-0123456789"), id="wrong key"),
    pytest.param(jwt.encode({**GOOD, "exp": NOW - 10}, SECRET), id="expired"),
    pytest.param(jwt.encode({"sub": "u1", "iat": NOW}, SECRET), id="no exp"),
    pytest.param(jwt.encode({"exp": NOW + 600}, SECRET), id="no sub"),
    pytest.param(jwt.encode({**GOOD, "sub": 12}, SECRET), id="numeric sub"),
    pytest.param(jwt.encode({**GOOD, "sub": "nobody"}, SECRET), id="unknown user"),
    pytest.param(hs512(GOOD), id="HS512"),
    pytest.param(unsigned(GOOD), id="alg none"),
    pytest.param(unsigned(GOOD, "None"), id="alg None"),
    pytest.param(unsigned(GOOD, "RS256") + "c2ln", id="RS256 header, forged signature"),
    pytest.param(jwt.encode(GOOD, SECRET)[:-3] + "abc", id="tampered signature"),
    pytest.param("not.a.jwt", id="garbage"),
    pytest.param("", id="empty"),
    pytest.param("a" * 20_000, id="huge"),
]


@pytest.mark.parametrize("token", BAD_TOKENS)
async def test_bad_tokens_get_401(example_api: Api, token: str) -> None:
    response = await example_api.client.post(
        "/graphql", json={"query": QUERY}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 401
    body = response.json()
    assert body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["UNAUTHENTICATED"]
    assert (await example_api.data(QUERY, user="u1"))["me"]["id"] == "u1"


HEADERS = ["Basic dTE6cHc=", "Bearer", "bearer  ", "Token abc", "x" * 9000]


@pytest.mark.parametrize("header", HEADERS)
async def test_malformed_authorization_headers_get_401(example_api: Api, header: str) -> None:
    response = await example_api.client.post(
        "/graphql", json={"query": QUERY}, headers={"Authorization": header}
    )
    assert response.status_code == 401


# (token issuer, token audience, whether accepted) with the server expecting iss/aud
ISSUERS = [
    ("https://idp.example", "voucher-graph", True),
    (None, "voucher-graph", False),
    ("https://evil.example", "voucher-graph", False),
    ("https://idp.example", None, False),
    ("https://idp.example", "other-api", False),
]


@pytest.mark.parametrize(("issuer", "audience", "accepted"), ISSUERS)
async def test_issuer_and_audience_when_configured(
    example_api: Api, issuer: str | None, audience: str | None, accepted: bool
) -> None:
    settings = Settings.from_env(
        {
            "VOUCHER_GRAPH_DATABASE_URL": str(example_api.engine.url),
            "VOUCHER_GRAPH_JWT_SECRET": SECRET,
            "VOUCHER_GRAPH_JWT_ISSUER": "https://idp.example",
            "VOUCHER_GRAPH_JWT_AUDIENCE": "voucher-graph",
        }
    ).with_changes(today=TODAY)
    app = create_app(settings, engine=example_api.engine)
    token = issue_token(SECRET, "u1", issuer=issuer, audience=audience)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as client:
        response = await client.post(
            "/graphql", json={"query": QUERY}, headers={"Authorization": f"Bearer {token}"}
        )
    assert response.status_code == (200 if accepted else 401)


@pytest.mark.parametrize(
    ("secret", "refusal"),
    [(None, "not set"), ("", "not set"), ("short-secret", "too weak"), ("x" * 31, "too weak")],
)
def test_serve_refuses_a_missing_or_weak_secret(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    secret: str | None,
    refusal: str,
) -> None:
    monkeypatch.delenv("VOUCHER_GRAPH_JWT_SECRET", raising=False)
    if secret is not None:
        monkeypatch.setenv("VOUCHER_GRAPH_JWT_SECRET", secret)
    # Refused before anything is opened or served: the database URL is never used.
    code = cli.main(
        ["serve", "--database-url", "sqlite:////nonexistent/x.db", "--log-level", "warning"]
    )
    assert code == 2
    assert refusal in capsys.readouterr().err
