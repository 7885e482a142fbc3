#!/usr/bin/env python
"""Hidden versus absent: how much longer does a lookup of a hidden customer take?

    .venv/bin/python scripts/timing_check.py --customers 2000 --samples 400
    .venv/bin/python scripts/timing_check.py --database-url postgresql://postgres@127.0.0.1/db

A hidden customer must be indistinguishable from an absent one (DOMAIN.md), timing
included. For a provider RECORDER this asks `customers(voucherNumber:)` and
`customer(id:)` with the voucher and id of a customer the viewer does not see, and
with ones that exist nowhere, interleaved (hidden, absent, absent, hidden, ...) so
that drift in the machine's load hits both alike, and prints the medians, their
difference and the statements each ran. A check to run by hand, not a timed test.

The world is loaded into `--database-url` (its data is REPLACED) or, without one, into
a temporary SQLite file, as in scripts/benchmark.py.
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
from benchmark import SECRET, load
from sqlalchemy import text

from voucher_graph.app import create_app
from voucher_graph.auth import issue_token
from voucher_graph.data.engine import StatementCounter, create_engine
from voucher_graph.settings import Settings

VIEWER = "p1-recorder"
BY_VOUCHER = (
    "query($v: String!) { customers(voucherNumber: $v) { totalCount edges { node { id } } } }"
)
BY_ID = "query($id: ID!) { customer(id: $id) { id } }"


async def hidden_customer(engine: object, provider: str) -> tuple[str, str]:
    """A customer with a voucher whom `provider` has no relationship with at all."""
    async with engine.connect() as connection:  # type: ignore[attr-defined]
        row = (
            await connection.execute(
                text(
                    "SELECT pp.customer_id, pp.voucher_number FROM purchasing_powers pp"
                    " WHERE NOT EXISTS (SELECT 1 FROM provider_customers pc"
                    "  WHERE pc.customer_id = pp.customer_id AND pc.provider_id = :p)"
                    " ORDER BY pp.customer_id LIMIT 1"
                ),
                {"p": provider},
            )
        ).one()
    return str(row[0]), str(row[1])


async def run(args: argparse.Namespace) -> None:
    today = date.fromisoformat(args.today)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'timing.db'}"
        engine = create_engine(url)
        if not args.keep:
            await load(engine, args.customers, today)
        customer_id, voucher = await hidden_customer(engine, "p1")
        counter = StatementCounter(engine)
        app = create_app(Settings(database_url=url, jwt_secret=SECRET, today=today), engine=engine)
        headers = {"Authorization": f"Bearer {issue_token(SECRET, VIEWER)}"}
        cases = {
            "voucherNumber": (BY_VOUCHER, {"v": voucher}, {"v": "NOPE-0000-00000"}),
            "customer(id)": (BY_ID, {"id": customer_id}, {"id": "no-such-customer"}),
        }
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://timing") as client:

            async def ask(query: str, variables: dict[str, str]) -> tuple[float, int, str]:
                counter.reset()
                began = time.perf_counter()
                response = await client.post(
                    "/graphql", json={"query": query, "variables": variables}, headers=headers
                )
                elapsed = (time.perf_counter() - began) * 1000
                return elapsed, counter.count, response.text

            print(f"{engine.dialect.name}, viewer {VIEWER}, {args.samples} samples per side")
            print(
                f"{'lookup':<14} {'hidden ms':>10} {'absent ms':>10} {'diff ms':>8} "
                f"{'stmts h/a':>10}  same answer"
            )
            for name, (query, hidden, absent) in cases.items():
                for _ in range(20):  # warm caches and the statement cache
                    await ask(query, hidden)
                    await ask(query, absent)
                times: dict[str, list[float]] = {"hidden": [], "absent": []}
                counts: dict[str, set[int]] = {"hidden": set(), "absent": set()}
                answers: dict[str, set[str]] = {"hidden": set(), "absent": set()}
                for i in range(args.samples):
                    order = ("hidden", "absent") if i % 2 == 0 else ("absent", "hidden")
                    for side in order:
                        elapsed, statements, body = await ask(
                            query, hidden if side == "hidden" else absent
                        )
                        times[side].append(elapsed)
                        counts[side].add(statements)
                        answers[side].add(body)
                h, a = statistics.median(times["hidden"]), statistics.median(times["absent"])
                stmts = f"{sorted(counts['hidden'])}/{sorted(counts['absent'])}"
                same = answers["hidden"] == answers["absent"]
                print(f"{name:<14} {h:>10.3f} {a:>10.3f} {h - a:>8.3f} {stmts:>10}  {same}")
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--samples", type=int, default=400)
    parser.add_argument("--database-url")
    parser.add_argument("--today", default="2026-11-26")
    parser.add_argument(
        "--keep", action="store_true", help="use the database's world as it is (no reload)"
    )
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
