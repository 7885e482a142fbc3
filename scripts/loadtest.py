"""Hold a running server at high concurrency and report throughput, latency, errors, memory.

    .venv/bin/python scripts/loadtest.py --database-url postgresql://postgres@127.0.0.1/vg_x \\
        [--seconds 60] [--workers 4] [--concurrency 64] [--port 8765]

Starts `voucher-graph serve` (uvicorn, several workers) on 127.0.0.1 against the given
database, loading the example world first if the database is empty (existing data is
kept and must contain the example world's users). Then plain asyncio + httpx clients send
a mix of reads as four users of different roles for `--seconds`, and the script prints
requests/s, p50/p99 latency, errors, and the server's RSS (all its processes) at start
and end. The server is stopped by its process id when done.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import IO

import httpx

from voucher_graph.auth import issue_token
from voucher_graph.data.engine import create_engine, session_factory
from voucher_graph.data.migrate import upgrade
from voucher_graph.data.writer import has_data, write_world
from voucher_graph.world.validate import validate_world

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_WORLD = ROOT.parent / "shared" / "examples" / "world-small.json"
TODAY = "2026-11-26"  # the example world's today
HOST = "127.0.0.1"  # never anything else: this is a local load test

# (user, query, variables): what the four roles typically ask.
MIX = [
    ("u1", "{ me { id name role } }", {}),
    (
        "u1",
        "query($n: String) { customers(name: $n, first: 20) { totalCount edges "
        "{ node { id firstName lastName customerNumber } } } }",
        {"n": "a"},
    ),
    (
        "u1",
        'query { customer(id: "c1") { id firstName lastName ssn purchasingPowers '
        "{ id voucherNumber contents { unitValue grantedUnits usedUnits } } events "
        "{ id serviceDate status price voucherShare copay editable } } }",
        {},
    ),
    (
        "u2",
        "{ customers(first: 50) { totalCount edges { node { id customerNumber "
        "reservations { id validFrom validTo } } } } }",
        {},
    ),
    (
        "u10",
        "{ customers(first: 100) { totalCount edges { node { id lastName "
        "balancePurchasingPowers { id grantedAmount usedAmount balance } } } } }",
        {},
    ),
    ("u11", "{ customers(first: 20) { edges { node { id events { id status price } } } } }", {}),
]


def rss_bytes(root_pid: int) -> int:
    """Resident memory of a process and all its descendants, from /proc."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            parents[int(entry)] = int(fields[1])
        except (OSError, IndexError, ValueError):
            continue
    family = {root_pid}
    for _ in range(10):  # bounded: the tree is two or three levels deep
        grown = family | {pid for pid, parent in parents.items() if parent in family}
        if grown == family:
            break
        family = grown
    total = 0
    for pid in family:
        try:
            with open(f"/proc/{pid}/status", encoding="ascii") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
        except OSError:
            continue
    return total


async def prepare(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        await upgrade(engine)
        async with session_factory(engine)() as session, session.begin():
            if not await has_data(session):
                print("loading the example world ...", file=sys.stderr)
                raw = json.loads(EXAMPLE_WORLD.read_text(encoding="utf-8"))
                await write_world(session, validate_world(raw))
    finally:
        await engine.dispose()


def start_server(args: argparse.Namespace, secret: str, log: IO[bytes]) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "VOUCHER_GRAPH_JWT_SECRET": secret,
        "VOUCHER_GRAPH_TODAY": TODAY,
        "VOUCHER_GRAPH_DATABASE_URL": args.database_url,
    }
    command = [
        sys.executable,
        "-m",
        "voucher_graph.cli",
        "serve",
        "--host",
        HOST,
        "--port",
        str(args.port),
        "--workers",
        str(args.workers),
        "--database-url",
        args.database_url,
        "--log-level",
        "warning",
    ]
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=log)


async def wait_healthy(base: str, server: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(base_url=base) as client:
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise RuntimeError("the server exited while starting")
            try:
                if (await client.get("/health")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError("the server did not become healthy")


async def load(base: str, secret: str, seconds: float, concurrency: int) -> dict[str, object]:
    tokens = {user: issue_token(secret, user, 3600) for user, _, _ in MIX}
    latencies: list[float] = []
    outcomes: Counter[str] = Counter()
    stop = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:

        async def worker(offset: int) -> None:
            i = offset
            while time.monotonic() < stop:
                user, query, variables = MIX[i % len(MIX)]
                i += 1
                started = time.perf_counter()
                try:
                    response = await client.post(
                        "/graphql",
                        json={"query": query, "variables": variables},
                        headers={"Authorization": f"Bearer {tokens[user]}"},
                    )
                except httpx.HTTPError as exc:
                    outcomes[f"transport:{type(exc).__name__}"] += 1
                    continue
                latencies.append(time.perf_counter() - started)
                if response.status_code != 200:
                    outcomes[f"http:{response.status_code}"] += 1
                elif any(
                    e.get("extensions", {}).get("code") == "INTERNAL_SERVER_ERROR"
                    for e in response.json().get("errors") or []
                ):
                    outcomes["graphql:INTERNAL_SERVER_ERROR"] += 1
                else:
                    outcomes["ok"] += 1

        began = time.perf_counter()
        await asyncio.gather(*(worker(n) for n in range(concurrency)))
        elapsed = time.perf_counter() - began
    latencies.sort()

    def percentile(p: float) -> float:
        if not latencies:
            return 0.0
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000

    total = sum(outcomes.values())
    return {
        "requests": total,
        "seconds": round(elapsed, 1),
        "requests_per_s": round(total / elapsed, 1),
        "p50_ms": round(percentile(0.50), 1),
        "p99_ms": round(percentile(0.99), 1),
        "errors": {k: v for k, v in outcomes.items() if k != "ok"},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    asyncio.run(prepare(args.database_url))
    secret = secrets.token_urlsafe(48)
    log = tempfile.NamedTemporaryFile(prefix="loadtest-server-", suffix=".log", delete=False)
    print(f"server log: {log.name}", file=sys.stderr)
    server = start_server(args, secret, log)
    base = f"http://{HOST}:{args.port}"
    try:
        asyncio.run(wait_healthy(base, server))
        asyncio.run(load(base, secret, 3, 4))  # warm every worker's caches
        rss_start = rss_bytes(server.pid)
        report = asyncio.run(load(base, secret, args.seconds, args.concurrency))
        rss_end = rss_bytes(server.pid)
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
    report.update(
        workers=args.workers,
        concurrency=args.concurrency,
        server_rss_mb_start=round(rss_start / 2**20, 1),
        server_rss_mb_end=round(rss_end / 2**20, 1),
    )
    print(json.dumps(report, indent=2))
    return 0 if not report["errors"] else 1


if __name__ == "__main__":
    sys.exit(main())
