"""VOUCHER_GRAPH_PUBLIC_URL: printUrl is absolute under it; without it, the request's address."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from statement_world import statement_world
from support import load_world, make_api

from voucher_graph.data.engine import StatementCounter
from voucher_graph.settings import Settings, SettingsError

PRINT_URL = """
{ customer(id: "c1") { copayStatement(service: "s1", from: "2026-10-01", to: "2026-11-30") {
    printUrl } } }
"""


async def test_print_url_is_absolute_under_the_public_url_and_opens_there(
    engine: AsyncEngine, counter: StatementCounter
) -> None:
    await load_world(engine, statement_world())
    api = make_api(engine, counter, public_url="https://vouchers.example/api")
    try:
        data = await api.data(PRINT_URL, user="u1")
        url = data["customer"]["copayStatement"]["printUrl"]
        assert url.startswith("https://vouchers.example/api/print/copay-statement?token=")
        # Behind the proxy that strips /api, the same path and token open the page.
        parts = urlsplit(url)
        page = await api.client.get(parts.path.removeprefix("/api") + "?" + parts.query)
        assert page.status_code == 200
    finally:
        await api.client.aclose()


async def test_print_url_without_a_public_url_uses_the_requests_own_address(
    engine: AsyncEngine, counter: StatementCounter
) -> None:
    await load_world(engine, statement_world())
    api = make_api(engine, counter)
    try:
        response = await api.client.post(
            "https://vg.internal:8443/graphql",
            json={"query": PRINT_URL},
            headers={"Authorization": f"Bearer {api.token('u1')}"},
        )
        url = response.json()["data"]["customer"]["copayStatement"]["printUrl"]
        assert url.startswith("https://vg.internal:8443/print/copay-statement?token=")
    finally:
        await api.client.aclose()


def test_public_url_is_read_from_the_environment_and_checked() -> None:
    env = {"VOUCHER_GRAPH_PUBLIC_URL": "https://vouchers.example/api/"}
    assert Settings.from_env(env).public_url == "https://vouchers.example/api"
    assert Settings.from_env({}).public_url is None
    for wrong in ("vouchers.example", "ftp://vouchers.example", "https://x.example/?a=1"):
        with pytest.raises(SettingsError, match="PUBLIC_URL"):
            Settings.from_env({"VOUCHER_GRAPH_PUBLIC_URL": wrong})
