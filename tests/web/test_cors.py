"""VOUCHER_GRAPH_CORS_ORIGINS: preflights answered for listed origins only, no cookies."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from support import Api, load_world, make_api

from voucher_graph.data.engine import StatementCounter
from voucher_graph.settings import Settings, SettingsError

APP = "https://app.example"
PREFLIGHT = {
    "Origin": APP,
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "authorization, content-type",
}


@pytest.fixture
async def cors_api(
    engine: AsyncEngine, counter: StatementCounter, example_world: dict[str, Any]
) -> AsyncIterator[Api]:
    await load_world(engine, example_world)
    api = make_api(engine, counter, cors_origins=(APP, "http://localhost:5173"))
    yield api
    await api.client.aclose()


async def test_preflight_from_a_listed_origin_allows_authorization_and_content_type(
    cors_api: Api,
) -> None:
    response = await cors_api.client.options("/graphql", headers=PREFLIGHT)
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == APP
    allowed = {
        h.strip().lower() for h in response.headers["access-control-allow-headers"].split(",")
    }
    assert {"authorization", "content-type"} <= allowed
    assert "POST" in response.headers["access-control-allow-methods"]
    assert "access-control-allow-credentials" not in response.headers


async def test_a_cross_origin_post_from_a_listed_origin_is_readable(cors_api: Api) -> None:
    response = await cors_api.client.post(
        "/graphql",
        json={"query": "{ me { id } }"},
        headers={"Origin": APP, "Authorization": f"Bearer {cors_api.token('u1')}"},
    )
    assert response.status_code == 200
    assert response.json()["data"] == {"me": {"id": "u1"}}
    assert response.headers["access-control-allow-origin"] == APP
    assert "access-control-allow-credentials" not in response.headers


async def test_preflight_from_an_unlisted_origin_gets_no_cors_headers(cors_api: Api) -> None:
    response = await cors_api.client.options(
        "/graphql", headers={**PREFLIGHT, "Origin": "https://evil.example"}
    )
    assert response.status_code != 401
    assert "access-control-allow-origin" not in response.headers


async def test_no_origin_is_allowed_by_default(example_api: Api) -> None:
    response = await example_api.client.options("/graphql", headers=PREFLIGHT)
    assert response.status_code != 401
    assert "access-control-allow-origin" not in response.headers
    post = await example_api.client.post(
        "/graphql",
        json={"query": "{ me { id } }"},
        headers={"Origin": APP, "Authorization": f"Bearer {example_api.token('u1')}"},
    )
    assert "access-control-allow-origin" not in post.headers


async def test_plain_options_is_answered_without_a_token(example_api: Api) -> None:
    response = await example_api.client.options("/graphql")
    assert response.status_code == 204
    assert "POST" in response.headers["allow"]


def test_cors_origins_are_read_from_the_environment_and_checked() -> None:
    env = {"VOUCHER_GRAPH_CORS_ORIGINS": " https://a.example, http://localhost:5173 ,"}
    assert Settings.from_env(env).cors_origins == ("https://a.example", "http://localhost:5173")
    assert Settings.from_env({}).cors_origins == ()
    for wrong in ("https://a.example/", "a.example", "https://a.example/app", "*"):
        with pytest.raises(SettingsError, match="CORS_ORIGINS"):
            Settings.from_env({"VOUCHER_GRAPH_CORS_ORIGINS": wrong})
