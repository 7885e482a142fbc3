"""The print link in a real browser: headless Chromium against a real uvicorn server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from statement_world import StatementPage, api_fixture  # noqa: F401
from support import SECRET, TODAY, Api

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="needs headless Chromium at /usr/bin/chromium (apt-get install chromium)",
)

STATEMENT = """
{ customer(id: "c1") { copayStatement(service: "s1", from: "2026-10-01", to: "2026-11-30") {
    totalPrice totalVoucherShare totalCopay printUrl } } }
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def server(api: Api) -> Iterator[str]:
    """uvicorn serving the app over the test database (world loaded by `api`)."""
    port = free_port()
    env = {
        **os.environ,
        "VOUCHER_GRAPH_DATABASE_URL": api.engine.url.render_as_string(hide_password=False),
        "VOUCHER_GRAPH_JWT_SECRET": SECRET,
        "VOUCHER_GRAPH_TODAY": TODAY.isoformat(),
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "voucher_graph.asgi:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        else:
            pytest.fail("the server did not start")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_chromium_prints_the_statement_with_the_apis_totals(
    server: str, api: Api, tmp_path: Path
) -> None:
    response = httpx.post(
        f"{server}/graphql",
        json={"query": STATEMENT},
        headers={"Authorization": f"Bearer {api.token('u1')}"},
        timeout=30,
    )
    result = response.json()["data"]["customer"]["copayStatement"]
    url = result["printUrl"]
    assert url.startswith(f"{server}/print/copay-statement?token=")

    dom = chromium(tmp_path, "--dump-dom", url)
    page = StatementPage(dom.stdout)
    assert page.totals() == {
        k: result[k] for k in ("totalPrice", "totalVoucherShare", "totalCopay")
    }
    assert page.text_by_id["customer-name"] == "Åke Korhonen"

    pdf = tmp_path / "statement.pdf"
    chromium(tmp_path, f"--print-to-pdf={pdf}", "--no-pdf-header-footer", url)
    assert pdf.exists(), "Chromium wrote no PDF"
    assert pdf.read_bytes().startswith(b"%PDF")
