"""`serve --workers 2`: every worker accepts connections (a socket each, SO_REUSEPORT),
so clients that keep their connections open are spread over the workers instead of
all landing on the one whose event loop woke first; SIGTERM stops them all."""

from __future__ import annotations

import json
import signal
import subprocess
from pathlib import Path

import httpx
import pytest
from test_newcomer import CLI, TODAY, clean_env, free_port, me

from voucher_graph.web.workers import reuse_port_supported

pytestmark = pytest.mark.skipif(not reuse_port_supported(), reason="needs SO_REUSEPORT")

CONNECTIONS = 24  # all on one of two workers by chance: 2 in 2**24


def test_connections_spread_over_the_workers_and_sigterm_stops_them(tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "server.log"
    with open(log, "w", encoding="utf-8") as stderr:
        server = subprocess.Popen(
            [*CLI, "serve", "--demo", "--port", str(port), "--workers", "2", "--log-level",
             "info"],
            cwd=tmp_path,
            env=clean_env(VOUCHER_GRAPH_TODAY=TODAY.isoformat()),
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )  # fmt: skip
        try:
            assert server.stdout is not None
            token = next(
                line.split()[-1] for line in server.stdout if "o1-admin" in line and "ey" in line
            )
            assert me(port, token) == {"data": {"me": {"id": "o1-admin"}}}
            for _ in range(CONNECTIONS):  # each client its own kept-alive connection
                with httpx.Client(timeout=10) as client:
                    for _ in range(2):
                        response = client.post(
                            f"http://127.0.0.1:{port}/graphql",
                            json={"query": "{ me { id } }"},
                            headers={"Authorization": f"Bearer {token}"},
                        )
                        assert response.status_code == 200
        finally:
            server.send_signal(signal.SIGTERM)
            code = server.wait(timeout=60)
            if server.stdout is not None:
                server.stdout.close()
    assert code == 0
    lines = [json.loads(t) for t in log.read_text().splitlines() if t.startswith("{")]
    requests = [
        line for line in lines if line.get("message") == "request" and line.get("status") == 200
    ]
    assert len(requests) >= 2 * CONNECTIONS
    assert len({line["pid"] for line in requests}) == 2, "one worker served every connection"
