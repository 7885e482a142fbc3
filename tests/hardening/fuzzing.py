"""Schema fuzzing with hypothesis-graphql against the app (httpx ASGITransport): every
answer must be a valid GraphQL response and never a 5xx. Used by test_fuzz.py and
scripts/fuzz.py."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

import httpx
import hypothesis_graphql
from hypothesis import strategies as st
from hypothesis_graphql import nodes

from voucher_graph.app import create_app
from voucher_graph.auth import issue_token
from voucher_graph.data.engine import create_engine
from voucher_graph.schema.build import build_schema
from voucher_graph.settings import Settings

T = TypeVar("T")
SCHEMA = build_schema()._schema
USERS = ["u1", "u2", "u10", "u11"]  # RECORDER, REPORTER, ADMIN, STAFF of the example world

# Dates and decimals, valid and not: the scalars must refuse the bad ones as BAD_USER_INPUT.
_dates = st.one_of(
    st.dates().map(lambda d: d.isoformat()),
    st.sampled_from(["2026-02-30", "2026-13-01", "0000-01-01", "26-1-1", "", "today"]),
)
_decimals = st.one_of(
    st.decimals(
        allow_nan=False, allow_infinity=False, places=2, max_value=10**9, min_value=-(10**9)
    ).map(str),
    st.sampled_from(["abc", "1e400", "NaN", "1.005", "", "-0", "1" * 60]),
)
CUSTOM_SCALARS = {"Date": _dates.map(nodes.String), "Decimal": _decimals.map(nodes.String)}


def operations(mode: hypothesis_graphql.Mode = hypothesis_graphql.Mode.POSITIVE) -> Any:
    """Queries and mutations of the served schema, as GraphQL text."""
    return hypothesis_graphql.from_schema(SCHEMA, custom_scalars=CUSTOM_SCALARS, mode=mode)


class LoopThread:
    """An event loop in its own thread, so synchronous Hypothesis tests can await."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float = 120) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        # A stopped loop still holds its self-pipe; left to the garbage collector it is
        # a ResourceWarning in whichever test runs then (an error: filterwarnings).
        self.loop.close()


class FuzzClient:
    """The app over `database_url`, spoken to through httpx's ASGI transport."""

    def __init__(self, database_url: str, secret: str, today: Any) -> None:
        self.secret = secret
        self.engine = create_engine(database_url)
        settings = Settings(database_url=database_url, jwt_secret=secret, today=today)
        self.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=create_app(settings, engine=self.engine)),
            base_url="http://test",
        )

    async def post(self, query: str, user: str) -> httpx.Response:
        token = issue_token(self.secret, user)
        return await self.client.post(
            "/graphql", json={"query": query}, headers={"Authorization": f"Bearer {token}"}
        )

    async def close(self) -> None:
        await self.client.aclose()
        await self.engine.dispose()


def check_answer(response: httpx.Response, codes: set[str]) -> None:
    """No 5xx, and {data} and/or {errors: [{message, extensions.code}]}."""
    assert response.status_code < 500, response.text[:1000]
    body = response.json()
    assert isinstance(body, dict) and ("data" in body or "errors" in body), body
    for error in body.get("errors") or []:
        assert isinstance(error.get("message"), str), error
        assert error["extensions"]["code"] in codes, error
