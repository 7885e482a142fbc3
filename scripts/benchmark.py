#!/usr/bin/env python
"""Time the full nested customer read over a demo world of N customers.

    .venv/bin/python scripts/benchmark.py --customers 2000
    .venv/bin/python scripts/benchmark.py --customers 2000 \\
        --database-url postgresql://postgres@127.0.0.1/vg_bench

The world is loaded into `--database-url` (its data is REPLACED; on PostgreSQL the
`public` schema is dropped and re-created) or, without one, into a temporary SQLite
file. Requests go through the whole ASGI app (httpx ASGITransport), authentication and
access log included, under the default query limits.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from voucher_graph.app import create_app, tune_garbage_collector
from voucher_graph.auth import issue_token
from voucher_graph.data.engine import StatementCounter, create_engine, session_factory
from voucher_graph.data.migrate import upgrade
from voucher_graph.data.writer import clear, write_world
from voucher_graph.settings import Settings
from voucher_graph.world.demo import demo_world
from voucher_graph.world.validate import validate_world

SECRET = "benchmark-secret-0123456789-0123456789"
USERS = ("o1-admin", "p1-recorder")
PAGES = (10, 100, 500)

FULL = """query($first: Int!) {
  customers(first: $first) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node {
      id firstName lastName ssn customerNumber
      purchasingPowers {
        id voucherNumber validFrom validTo service { id name }
        contents { content { id name unit } unitValue grantedUnits usedUnits }
      }
      balancePurchasingPowers { id voucherNumber grantedAmount usedAmount balance }
      reservations(includeEnded: true) { id providerId validFrom validTo content { id } }
      events {
        id serviceDate units unitPrice content { id unit }
        status settlementDate price voucherShare copay editable deletable
      }
    } }
  }
}"""


async def load(engine: AsyncEngine, customers: int, today: date) -> None:
    """An empty schema at the latest migration, filled with the demo world."""
    if engine.dialect.name == "postgresql":
        async with engine.begin() as connection:
            await connection.execute(text("DROP SCHEMA public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
    await upgrade(engine)
    world = validate_world(demo_world(today, customers=customers))
    async with session_factory(engine)() as session, session.begin():
        await clear(session)
        await write_world(session, world)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def run(args: argparse.Namespace) -> None:
    today = date.fromisoformat(args.today)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'benchmark.db'}"
        engine = create_engine(url)
        started = time.perf_counter()
        await load(engine, args.customers, today)
        print(
            f"{engine.dialect.name}: {args.customers} demo customers loaded in "
            f"{time.perf_counter() - started:.1f} s"
        )
        counter = StatementCounter(engine)
        settings = Settings(database_url=url, jwt_secret=SECRET, today=today)
        app = create_app(settings, engine=engine)
        # What the server's lifespan does at start-up (ASGITransport sends no lifespan).
        tune_garbage_collector()
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            print(
                f"{'user':<12} {'first':>5} {'rows':>5} {'stmts':>5} {'bytes':>9} "
                f"{'median ms':>10} {'p95 ms':>8} {'cpu ms':>8}"
            )
            for user in USERS:
                headers = {"Authorization": f"Bearer {issue_token(SECRET, user)}"}
                for first in PAGES:
                    body = {"query": FULL, "variables": {"first": first}}
                    timings: list[float] = []
                    cpu: list[float] = []
                    size = statements = rows = 0
                    for attempt in range(args.runs + 1):
                        counter.reset()
                        began, began_cpu = time.perf_counter(), time.process_time()
                        response = await client.post("/graphql", json=body, headers=headers)
                        elapsed = (time.perf_counter() - began) * 1000
                        # This process's CPU time: less sensitive to a busy machine than
                        # wall time (SQLite runs in-process; PostgreSQL's share is not in it).
                        used_cpu = (time.process_time() - began_cpu) * 1000
                        payload = response.json()
                        if response.status_code != 200 or payload.get("errors"):
                            raise SystemExit(f"{user} first={first}: {response.text[:500]}")
                        if attempt:  # the first run warms caches and is not counted
                            timings.append(elapsed)
                            cpu.append(used_cpu)
                        size, statements = len(response.content), counter.count
                        rows = len(payload["data"]["customers"]["edges"])
                    print(
                        f"{user:<12} {first:>5} {rows:>5} {statements:>5} {size:>9} "
                        f"{statistics.median(timings):>10.1f} {percentile(timings, 0.95):>8.1f} "
                        f"{statistics.median(cpu):>8.1f}"
                    )
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=2000, help="demo customers (2000)")
    parser.add_argument("--database-url", help="database to REPLACE; default a temporary SQLite")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per case (5)")
    parser.add_argument("--today", default="2026-11-26", help="the date taken as today")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
