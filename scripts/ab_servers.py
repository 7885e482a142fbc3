#!/usr/bin/env python
"""Two checkouts of voucher-graph side by side: is the new code faster than the old?

    git worktree add /tmp/old <commit>
    .venv/bin/python scripts/ab_servers.py --old /tmp/old/src --new src \\
        [--database-url postgresql://postgres@127.0.0.1/vg_pgbench] [--pages 60] \\
        [o1-admin:10 p1-recorder:500 ...]

Starts `voucher-graph serve --workers 2` twice on 127.0.0.1, each importing the package
from its own `src` directory, over the same database (a world such as
`scripts/bench_postgraphile.py --prepare-only` leaves). Then, for each case `user:first`,
it requests the full nested page (scripts/benchmark.py FULL) from the two servers in
turn, page by page, the order swapped every page, and prints p50 and p25 of each and
new ÷ old. On a noisy machine the side-by-side ratios against PostGraphile swing by
±10 % from run to run; two of our own servers asked in turn see the same noise, so a
5 % change shows. Wall times only; nothing here is a test.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from voucher_graph.auth import issue_token

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchmark import FULL  # noqa: E402  (a sibling script)

HOST = "127.0.0.1"  # never anything else: both servers are local
SECRET = "ab-servers-secret-0123456789-0123456789-0123456789"
WARM_UP = 4  # pages per server per case before timing


@contextmanager
def server(src: Path, port: int, database_url: str, today: str) -> Iterator[str]:
    """`serve --workers 2` importing voucher_graph from `src`; yields its /graphql URL."""
    env = {**os.environ, "PYTHONPATH": str(src.resolve()), "VOUCHER_GRAPH_JWT_SECRET": SECRET,
           "VOUCHER_GRAPH_TODAY": today, "VOUCHER_GRAPH_DATABASE_URL": database_url}  # fmt: skip
    command = [sys.executable, "-m", "voucher_graph.cli", "serve", "--host", HOST,
               "--port", str(port), "--workers", "2", "--log-level", "warning"]  # fmt: skip
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    base = f"http://{HOST}:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the server from {src} did not start")
            time.sleep(0.3)
        yield f"{base}/graphql"
    finally:
        process.terminate()
        process.wait(timeout=30)


def compare(client: httpx.Client, urls: dict[str, str], user: str, first: int, pages: int
            ) -> dict[str, list[float]]:  # fmt: skip
    """Milliseconds per page of each side, the pages requested in turn."""
    headers = {"Authorization": f"Bearer {issue_token(SECRET, user)}"}
    body = {"query": FULL, "variables": {"first": first}}
    times: dict[str, list[float]] = {side: [] for side in urls}
    sides = list(urls)
    for page in range(WARM_UP + pages):
        for side in sides if page % 2 else reversed(sides):
            began = time.perf_counter()
            response = client.post(urls[side], json=body, headers=headers)
            elapsed = (time.perf_counter() - began) * 1000
            if response.status_code != 200 or b'"errors"' in response.content:
                raise SystemExit(f"{side} {user} first={first}: {response.text[:300]}")
            if page >= WARM_UP:
                times[side].append(elapsed)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--old", type=Path, required=True, help="the old checkout's src")
    parser.add_argument("--new", type=Path, required=True, help="the new checkout's src")
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1/vg_pgbench")
    parser.add_argument("--pages", type=int, default=60, help="timed pages per side (60)")
    parser.add_argument("--today", default="2026-11-26", help="the date taken as today")
    parser.add_argument("cases", nargs="*", default=["o1-admin:10", "p1-recorder:10",
                        "o1-admin:100", "p1-recorder:500"], help="user:first ...")  # fmt: skip
    args = parser.parse_args()
    for src in (args.old, args.new):
        if not (src / "voucher_graph" / "__init__.py").is_file():
            raise SystemExit(f"{src} is not a checkout's src directory")
    with (
        server(args.old, 8811, args.database_url, args.today) as old,
        server(args.new, 8812, args.database_url, args.today) as new,
        httpx.Client(timeout=120) as client,
    ):
        print(f"{'case':<20} {'old p50':>8} {'new p50':>8} {'new/old':>8} "
              f"{'old p25':>8} {'new p25':>8}")  # fmt: skip
        for case in args.cases:
            user, first = case.split(":")
            times = compare(client, {"old": old, "new": new}, user, int(first), args.pages)
            p50 = {side: statistics.median(values) for side, values in times.items()}
            p25 = {side: statistics.quantiles(values, n=4)[0] for side, values in times.items()}
            ratio = p50["new"] / p50["old"]
            print(f"{case:<20} {p50['old']:>8.1f} {p50['new']:>8.1f} {ratio:>7.3f}x "
                  f"{p25['old']:>8.1f} {p25['new']:>8.1f}")  # fmt: skip


if __name__ == "__main__":
    main()
