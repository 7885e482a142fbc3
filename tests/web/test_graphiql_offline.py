"""GraphiQL with no internet: Chromium may reach nothing but the service itself."""

from __future__ import annotations

import json

import pytest
from browser import CHROMIUM, have_browser, running_server
from support import Api

pytestmark = pytest.mark.skipif(
    not have_browser(), reason="needs Playwright and Chromium at /usr/bin/chromium"
)


async def test_graphiql_builds_and_answers_with_every_request_off_the_service_blocked(
    example_api: Api,
) -> None:
    from playwright.async_api import Route, async_playwright

    url = example_api.engine.url.render_as_string(hide_password=False)
    token = example_api.token("u1")
    requested: list[str] = []
    blocked: list[str] = []
    with running_server(url) as base:

        async def only_the_service(route: Route) -> None:
            requested.append(route.request.url)
            if route.request.url.startswith(base + "/"):
                await route.continue_()
            else:
                blocked.append(route.request.url)
                await route.abort("internetdisconnected")

        async with async_playwright() as p:
            browser = await p.chromium.launch(
                executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"]
            )
            try:
                page = await browser.new_page()
                await page.route("**/*", only_the_service)
                await page.goto(f"{base}/graphql")
                # The editor is built: GraphiQL's query editor and the first example tab.
                await page.wait_for_selector(".graphiql-query-editor .CodeMirror", timeout=30_000)
                await page.fill("#vg-token", token)
                await page.click("#vg-use")
                await page.wait_for_selector(".graphiql-query-editor .CodeMirror", timeout=30_000)
                await page.click(".graphiql-execute-button")
                response = page.locator(".graphiql-response")
                await response.get_by_text('"RECORDER"').wait_for(timeout=30_000)
                answer = await response.inner_text()
                stored = await page.evaluate("JSON.stringify(window.localStorage)")
            finally:
                await browser.close()

    assert blocked == []
    assert any(r.endswith("/graphiql.min.js") for r in requested)
    assert '"u1"' in answer
    # The token (and so the Authorization header) never lands in localStorage.
    assert token not in stored
    assert "Bearer" not in json.loads(stored).get("graphiql:headers", "")


async def test_graphiql_page_names_only_assets_the_service_serves(example_api: Api) -> None:
    import re

    page = await example_api.client.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert len([a for a in assets if a.endswith(".js")]) == 4
    for asset in assets:
        if asset.startswith("data:"):
            continue
        assert asset.startswith("/graphiql-static/"), asset
        served = await example_api.client.get(asset)
        assert served.status_code == 200, asset
        assert len(served.content) > 0
