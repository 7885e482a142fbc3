"""A real uvicorn server over the test database, and headless Chromium driven by Playwright."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from support import SECRET, TODAY

CHROMIUM = Path("/usr/bin/chromium")


def have_browser() -> bool:
    try:
        import playwright  # noqa: F401
    except ImportError:
        return False
    return CHROMIUM.exists()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def running_server(database_url: str, **env: str) -> Iterator[str]:
    """uvicorn serving the app on 127.0.0.1; yields its base URL."""
    port = free_port()
    environment = {
        **os.environ,
        "VOUCHER_GRAPH_DATABASE_URL": database_url,
        "VOUCHER_GRAPH_JWT_SECRET": SECRET,
        "VOUCHER_GRAPH_TODAY": TODAY.isoformat(),
        **env,
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
        env=environment,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            if process.poll() is not None:
                raise RuntimeError("the server exited")
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        else:
            raise RuntimeError("the server did not start")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)
