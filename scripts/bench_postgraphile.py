#!/usr/bin/env python
"""Measure voucher-graph side by side with PostGraphile v4 on the same PostgreSQL rows.

    .venv/bin/python scripts/bench_postgraphile.py \\
        [--database-url postgresql://postgres@127.0.0.1/vg_pgbench] [--customers 2000] \\
        [--samples 15] [--seconds 15] [--skip-postgraphile]

The database is created when missing and its data REPLACED: the seeded demo world goes
into the `public` schema for voucher-graph (as in scripts/benchmark.py), and the same
world into PostGraphile's own plain tables in schema `pgl`. There, row-level security
says who sees what, written from DOMAIN.md as SQL views (scripts/postgraphile/pgl.sql),
by default materialized per user at load time (`--visibility live`: evaluated per
statement). The script checks, page by page and customer by customer, that both
servers list the same customers and the same nested purchasing powers, reservations
and events. JIT is switched off for the database, for both servers (`--jit on` keeps
it): PostgreSQL 15 spends about a second compiling each large PostGraphile statement.

Both servers run for real on 127.0.0.1: `voucher-graph serve --workers 2` and one
PostGraphile process (installed with npm into scripts/postgraphile/node_modules on the
first run; that half is skipped, saying so, when Node is missing). Measurements
alternate between the two sample by sample:
  a) the full nested page (scripts/benchmark.py FULL; PostGraphile gets the same lists
     and raw columns, as it cannot derive status, price, shares, copay or editable) at
     first=10/100/500 for o1-admin and p1-recorder: p50, p95, ratio ours/theirs;
  b) the small frontend query (one customer by id, names, its events) at 16 concurrent
     clients (autocannon), in interleaved halves of --seconds/2: requests/s, p50, p99;
  c) SQL statements per request, from our server's one JSON log line per request.
Ratios are printed against the goals of issue 12. Goals are checked here, never in tests.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from voucher_graph.auth import issue_token
from voucher_graph.data.engine import create_engine, session_factory
from voucher_graph.data.migrate import upgrade
from voucher_graph.data.writer import clear, write_world
from voucher_graph.domain.dates import window_start
from voucher_graph.world.demo import demo_world
from voucher_graph.world.model import World
from voucher_graph.world.validate import validate_world

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchmark import FULL, PAGES, USERS, percentile  # noqa: E402  (a sibling script)

ROOT = Path(__file__).resolve().parents[1]
NODE_DIR = ROOT / "scripts" / "postgraphile"
HOST = "127.0.0.1"  # never anything else: both servers are local
SECRET = "bench-postgraphile-secret-0123456789-0123456789"
PGL, PRIVATE = "pgl", "pgl_private"
SMALL_USER = "p1-recorder"  # a provider clerk at a frontend
SMALL_CUSTOMERS = 100  # the small query cycles through this many visible customers
GOAL_NESTED = 1.0  # ours/theirs latency, at most
GOAL_THROUGHPUT = 0.5  # ours/theirs requests/s, at least (then 1.0)

# PostGraphile's form of FULL: the same lists in the same order, raw columns for what we
# derive (it has no status after settlement, price, shares, copay, editable, deletable).
THEIRS_FULL = """query($first: Int!) {
  customers(first: $first, orderBy: [LAST_NAME_LOWER_ASC, FIRST_NAME_LOWER_ASC, ID_ASC]) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node {
      id firstName lastName ssn customerNumbersList { number }
      purchasingPowers: purchasingPowersList(
        condition: {kind: "REGULAR"}, orderBy: [VALID_FROM_ASC, ID_ASC]
      ) {
        id voucherNumber validFrom validTo service { id name }
        contents: purchasingPowerContentsList(orderBy: [CONTENT_ID_ASC]) {
          content { id name unit } unitValue grantedUnits
        }
      }
      balancePurchasingPowers: purchasingPowersList(
        condition: {kind: "BALANCE"}, orderBy: [VALID_FROM_ASC, ID_ASC]
      ) { id voucherNumber grantedAmount }
      reservations: reservationsList(orderBy: [VALID_FROM_ASC, ID_ASC]) {
        id providerId validFrom validTo content { id }
      }
      events: eventsList(orderBy: [SERVICE_DATE_ASC, ID_ASC]) {
        id serviceDate units unitPrice content { id unit } status recordedOn approvedOn
      }
    } }
  }
}"""
OURS_SMALL = """query Small($id: ID!) { customer(id: $id) {
  id firstName lastName events { id serviceDate units unitPrice status }
} }"""
THEIRS_SMALL = """query Small($id: String!) { customer(id: $id) {
  id firstName lastName
  events: eventsList(orderBy: [SERVICE_DATE_ASC, ID_ASC]) { id serviceDate units unitPrice status }
} }"""


def paged(query: str, cursor_type: str) -> str:
    """The full page query with an `after` cursor, for walking every page."""
    query = query.replace("query($first: Int!)", f"query($first: Int!, $after: {cursor_type})")
    return query.replace("customers(first: $first", "customers(first: $first, after: $after")


def ours_full(first: int) -> str:
    """FULL under an operation name per page size, so the server log tells them apart."""
    return FULL.replace("query(", f"query Full{first}(", 1)


# ---------------------------------------------------------------------------- the data

PGL_SQL = NODE_DIR / "pgl.sql"  # the tables and the rule views
PRECOMPUTED_SQL = NODE_DIR / "pgl_precomputed.sql"  # the views materialized per user


def pgl_policies(role: str, visibility: str) -> str:
    """Row-level security on `pgl`: the reading role sees exactly DOMAIN.md's rows.

    `live` evaluates the rule views on every statement; `precomputed` reads the same
    views materialized per user at load time (PostGraphile at its fastest: an ACL table).
    """
    me = f"{PRIVATE}.viewer_id()"
    tail = "_set" if visibility == "precomputed" else ""

    def visible(column: str) -> str:
        return (
            f"EXISTS (SELECT FROM {PRIVATE}.visible_customers{tail} v "
            f"WHERE v.user_id = {me} AND v.customer_id = {column})"
        )

    def managed(column: str) -> str:
        return (
            f"EXISTS (SELECT FROM {PRIVATE}.managed{tail} m "
            f"WHERE m.user_id = {me} AND m.pp_id = {column})"
        )

    listed = (
        f"EXISTS (SELECT FROM {PRIVATE}.listed_purchasing_powers{tail} l "
        f"WHERE l.user_id = {me} AND l.pp_id = purchasing_power_id)"
    )
    provider = f"(SELECT provider_id FROM {PRIVATE}.users WHERE id = {me})"
    # EXISTS rather than IN: the planner may probe per row (one customer) or hash (a page).
    rules = {
        "customers": visible("id"),
        "customer_numbers": f"provider_id = {provider} AND {visible('customer_id')}",
        "purchasing_powers": f"{listed.replace('= purchasing_power_id', '= id')}"
        f" AND {visible('customer_id')}",
        "purchasing_power_contents": listed,
        "reservations": f"(provider_id = {provider} OR {managed('purchasing_power_id')})"
        f" AND {visible('customer_id')}",
        "events": f"NOT deleted AND (provider_id = {provider} OR {managed('purchasing_power_id')})"
        f" AND {visible('customer_id')}",
    }
    statements = [
        f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') "
        f"THEN CREATE ROLE {role} NOLOGIN; END IF; END $$",
        f"GRANT USAGE ON SCHEMA {PGL}, {PRIVATE} TO {role}",
        f"GRANT SELECT ON ALL TABLES IN SCHEMA {PGL} TO {role}",
        f"GRANT SELECT ON ALL TABLES IN SCHEMA {PRIVATE} TO {role}",
        f"GRANT EXECUTE ON FUNCTION {PRIVATE}.viewer_id() TO {role}",
    ]
    for table, rule in rules.items():
        statements += [
            f"ALTER TABLE {PGL}.{table} ENABLE ROW LEVEL SECURITY",
            f"CREATE POLICY see ON {PGL}.{table} FOR SELECT TO {role} USING ({rule})",
        ]
    return ";\n".join(statements)


def pgl_rows(world: World) -> dict[str, list[tuple[Any, ...]]]:
    """The world as plain rows of PostGraphile's own tables."""
    powers = {pp.id: pp for pp in world.purchasing_powers}
    return {
        f"{PGL}.services": [(s.id, s.organizer_id, s.name) for s in world.services],
        f"{PGL}.contents": [(c.id, c.service_id, c.name, c.unit) for c in world.contents],
        f"{PGL}.customers": [
            (c.id, c.first_name, c.last_name, c.ssn, c.first_name.lower(), c.last_name.lower())
            for c in world.customers
        ],
        f"{PGL}.customer_numbers": [
            (n.provider_id, n.customer_id, n.number) for n in world.customer_numbers
        ],
        f"{PGL}.purchasing_powers": [
            (
                p.id,
                p.kind,
                p.customer_id,
                p.organizer_id,
                p.service_id,
                p.voucher_number,
                p.valid_from,
                p.valid_to,
                p.granted_amount,
            )
            for p in world.purchasing_powers
        ],
        f"{PGL}.purchasing_power_contents": [
            (p.id, c.content_id, c.unit_value, c.granted_units)
            for p in world.purchasing_powers
            for c in p.contents
        ],
        f"{PGL}.reservations": [
            (
                r.id,
                r.purchasing_power_id,
                powers[r.purchasing_power_id].customer_id,
                r.content_id,
                r.provider_id,
                r.valid_from,
                r.valid_to,
            )
            for r in world.reservations
        ],
        f"{PGL}.events": [
            (
                e.id,
                e.purchasing_power_id,
                powers[e.purchasing_power_id].customer_id,
                e.content_id,
                e.provider_id,
                e.service_date,
                e.units,
                e.unit_price,
                e.description,
                e.status,
                e.recorded_on,
                e.approved_on,
                e.deleted,
            )
            for e in world.events
        ],
        f"{PRIVATE}.users": [(u.id, u.role, u.provider_id, u.organizer_id) for u in world.users],
        f"{PRIVATE}.grants": sorted(
            {
                (member, team.organizer_id, service)
                for team in world.teams
                for member in team.member_ids
                for service in team.service_ids
            }
        ),
    }


async def ensure_database(url: str) -> None:
    """Create the database named by `url` when it does not exist yet."""
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    connection = await asyncpg.connect(admin)
    try:
        if not await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


async def load_ours(engine: AsyncEngine, world: World) -> None:
    """An empty `public` schema at the latest migration, filled with the world."""
    async with engine.begin() as connection:
        await connection.execute(text("DROP SCHEMA public CASCADE"))
        await connection.execute(text("CREATE SCHEMA public"))
    await upgrade(engine)
    async with session_factory(engine)() as session, session.begin():
        await clear(session)
        await write_world(session, world)


async def prepare(args: argparse.Namespace) -> None:
    """Our tables (public) and PostGraphile's (pgl), both from one seeded demo world."""
    today = date.fromisoformat(args.today)
    await ensure_database(args.database_url)
    started = time.perf_counter()
    raw = demo_world(today, customers=args.customers)
    world = validate_world(raw)
    engine = create_engine(args.database_url)
    try:
        if args.keep_ours:
            print("keeping voucher-graph's tables as loaded (--keep-ours)")
        else:
            await load_ours(engine, world)
    finally:
        await engine.dispose()
    connection = await asyncpg.connect(args.database_url)
    try:
        async with connection.transaction():
            await connection.execute(PGL_SQL.read_text(encoding="utf-8"))
            for table, rows in pgl_rows(world).items():
                schema, name = table.split(".")
                await connection.copy_records_to_table(name, schema_name=schema, records=rows)
            await connection.execute(
                f"INSERT INTO {PRIVATE}.config VALUES ($1)", window_start(today)
            )
            if args.visibility == "precomputed":
                await connection.execute(PRECOMPUTED_SQL.read_text(encoding="utf-8"))
            await connection.execute(pgl_policies(args.pgl_role, args.visibility))
        # Both sides' tables as `voucher-graph load` leaves ours (data/writer.py
        # refresh_statistics): statistics, and the visibility map that index-only scans
        # need (without it a count visits every heap row until autovacuum comes by).
        await connection.execute("VACUUM ANALYZE")
        # PostgreSQL's JIT compiles PostGraphile's one large statement per request for
        # about a second at every call; it is switched off (the usual PostGraphile advice)
        # for the whole database, so for both servers alike, unless --jit on.
        name = urlsplit(args.database_url).path.lstrip("/")
        await connection.execute(
            f'ALTER DATABASE "{name}" SET jit = off'
            if args.jit == "off"
            else f'ALTER DATABASE "{name}" RESET jit'
        )
    finally:
        await connection.close()
    print(
        f"{args.customers} demo customers loaded into public and {PGL} "
        f"in {time.perf_counter() - started:.1f} s; jit {args.jit} for the database; "
        f"PostGraphile's visibility {args.visibility}"
    )


# ----------------------------------------------------------------------------- servers


def start_ours(args: argparse.Namespace, log: IO[bytes]) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "VOUCHER_GRAPH_JWT_SECRET": SECRET,
        "VOUCHER_GRAPH_TODAY": args.today,
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
        "info",
    ]
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=log)


def node_available() -> bool:
    return shutil.which("node") is not None and shutil.which("npm") is not None


def install_postgraphile() -> None:
    """npm install into scripts/postgraphile/node_modules (git-ignored), once."""
    if (NODE_DIR / "node_modules" / "postgraphile").is_dir() and (
        NODE_DIR / "node_modules" / "autocannon"
    ).is_dir():
        return
    print("installing PostGraphile v4 and autocannon with npm ...")
    # `npm ci` installs exactly package-lock.json and leaves it unchanged.
    subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund", "--loglevel", "error"], cwd=NODE_DIR, check=True
    )


def start_theirs(args: argparse.Namespace, log: IO[bytes]) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "PGL_SCHEMA": PGL,
        "PGL_ROLE": args.pgl_role,
        "JWT_SECRET": SECRET,
        "HOST": HOST,
        "PORT": str(args.postgraphile_port),
        "NODE_ENV": "production",
    }
    return subprocess.Popen(
        ["node", str(NODE_DIR / "server.js")], env=env, stdout=subprocess.DEVNULL, stderr=log
    )


def ensure_free(port: int) -> None:
    """Refuse a port something already listens on: we would measure that server."""
    with socket.socket() as probe:
        if probe.connect_ex((HOST, port)) == 0:
            raise SystemExit(f"{HOST}:{port} is already in use; pick another port")


def wait_ready(name: str, url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 90
    with httpx.Client(timeout=5) as client:
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise SystemExit(f"{name} exited while starting; see {log}")
            try:
                response = client.post(url, json={"query": "{ __typename }"})
                if response.status_code in (200, 401):
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.3)
    raise SystemExit(f"{name} did not start in 90 s; see {log}")


def stop(server: subprocess.Popen[bytes] | None) -> None:
    if server is None or server.poll() is not None:
        return
    server.send_signal(signal.SIGINT)
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(timeout=10)


# ------------------------------------------------------------------------ the two sides


@dataclass
class Side:
    """One server: where it listens, how it is asked, and its answers in our terms."""

    name: str
    url: str
    client: httpx.Client
    full: Any  # first -> query text
    paged: str  # the full page after a cursor
    small: str

    def post(self, query: str, variables: dict[str, Any], token: str) -> httpx.Response:
        return self.client.post(
            self.url,
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {token}"},
        )

    def page(self, first: int, token: str, after: str | None = None) -> dict[str, Any]:
        response = self.post(self.paged, {"first": first, "after": after}, token)
        payload = response.json()
        if response.status_code != 200 or payload.get("errors"):
            raise SystemExit(f"{self.name} first={first}: {response.text[:500]}")
        return payload["data"]["customers"]  # type: ignore[no-any-return]


def summary(connection: dict[str, Any], ours: bool) -> list[tuple[Any, ...]]:
    """Each customer of a page as ids of its lists (and its customer number)."""
    rows = []
    for edge in connection["edges"]:
        node = edge["node"]
        number = (
            node["customerNumber"]
            if ours
            else next((n["number"] for n in node["customerNumbersList"]), None)
        )
        rows.append(
            (
                node["id"],
                node["lastName"],
                number,
                [p["id"] for p in node["purchasingPowers"]],
                [p["id"] for p in node["balancePurchasingPowers"]],
                [r["id"] for r in node["reservations"]],
                [e["id"] for e in node["events"]],
            )
        )
    return rows


def check_same(ours: Side, theirs: Side, tokens: dict[str, str]) -> tuple[list[str], int]:
    """Both list the same customers with the same nested rows, page by page (500 each).

    Returns the mismatches (empty when equal) and the number of customers compared.
    """
    problems: list[str] = []
    compared = 0
    for user in USERS:
        page = 0
        mine = ours.page(500, tokens[user])
        other = theirs.page(500, tokens[user])
        if mine["totalCount"] != other["totalCount"]:
            problems.append(f"{user}: totalCount {mine['totalCount']} vs {other['totalCount']}")
        while True:
            a, b = summary(mine, True), summary(other, False)
            compared += len(a)
            if len(a) != len(b):
                problems.append(f"{user} page {page}: {len(a)} vs {len(b)} customers")
            for x, y in zip(a, b, strict=False):
                if x != y:
                    problems.append(f"{user} page {page}: ours {x} theirs {y}")
            more = mine["pageInfo"]["hasNextPage"]
            if more != other["pageInfo"]["hasNextPage"]:
                problems.append(f"{user} page {page}: hasNextPage differs")
            if more != other["pageInfo"]["hasNextPage"] or not more:
                break
            page += 1
            mine = ours.page(500, tokens[user], mine["pageInfo"]["endCursor"])
            other = theirs.page(500, tokens[user], other["pageInfo"]["endCursor"])
    return problems, compared


def small_ids(ours: Side, token: str) -> list[str]:
    page = ours.page(SMALL_CUSTOMERS, token)
    return [edge["node"]["id"] for edge in page["edges"]]


def check_small(ours: Side, theirs: Side, token: str, ids: list[str]) -> list[str]:
    problems = []
    for customer in ids:
        answers = []
        for side in (ours, theirs):
            payload = side.post(side.small, {"id": customer}, token).json()
            if payload.get("errors") or not payload["data"]["customer"]:
                raise SystemExit(f"{side.name} small query {customer}: {payload}")
            node = payload["data"]["customer"]
            answers.append((node["id"], node["lastName"], [e["id"] for e in node["events"]]))
        if answers[0] != answers[1]:
            problems.append(f"small query {customer}: ours {answers[0]} theirs {answers[1]}")
    return problems


# ------------------------------------------------------------------------ measurements


def timed(side: Side, first: int, token: str) -> float:
    began = time.perf_counter()
    response = side.post(side.full(first), {"first": first}, token)
    elapsed = (time.perf_counter() - began) * 1000
    if response.status_code != 200 or b'"errors"' in response.content:
        raise SystemExit(f"{side.name} first={first}: {response.text[:500]}")
    return elapsed


def measure_pages(
    sides: list[Side], tokens: dict[str, str], samples: int
) -> dict[tuple[str, int], dict[str, list[float]]]:
    """Full-page latencies per (user, first) and side; the sides alternate per sample."""
    results: dict[tuple[str, int], dict[str, list[float]]] = {}
    for user in USERS:
        for first in PAGES:
            times: dict[str, list[float]] = {side.name: [] for side in sides}
            for side in sides:  # warm-up, not counted
                timed(side, first, tokens[user])
            for sample in range(samples):
                # Who goes first swaps every sample, so neither always meets a warm cache.
                for side in sides if sample % 2 == 0 else sides[::-1]:
                    times[side.name].append(timed(side, first, tokens[user]))
            results[(user, first)] = times
            print(
                f"  {user:<12} first={first:<4} "
                + "  ".join(
                    f"{name} p50 {statistics.median(t):.0f} ms" for name, t in times.items()
                )
            )
    return results


@dataclass
class Load:
    requests: int = 0
    bad: int = 0
    elapsed: float = 0.0
    latencies: list[float] = field(default_factory=list)

    def add(self, other: dict[str, Any]) -> None:
        self.requests += other["requests"]
        self.bad += other["bad"]
        self.elapsed += other["elapsed"]
        self.latencies += other["latencies"]

    @property
    def per_second(self) -> float:
        return self.requests / self.elapsed if self.elapsed else 0.0


def autocannon(
    side: Side, token: str, ids: list[str], seconds: float, clients: int
) -> dict[str, Any]:
    job = {
        "url": side.url,
        "token": token,
        "query": side.small,
        "ids": ids,
        "seconds": seconds,
        "connections": clients,
    }
    done = subprocess.run(
        ["node", str(NODE_DIR / "load.js")],
        input=json.dumps(job),
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def python_load(
    side: Side, token: str, ids: list[str], seconds: float, clients: int
) -> dict[str, Any]:
    """Without Node: the same load from asyncio + httpx (slower as a client; ours only)."""

    async def run() -> dict[str, Any]:
        latencies: list[float] = []
        bad = 0
        counter = iter(range(10**9))
        stop_at = time.monotonic() + seconds
        limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
        async with httpx.AsyncClient(limits=limits, timeout=30) as client:

            async def worker() -> None:
                nonlocal bad
                while time.monotonic() < stop_at:
                    body = {"query": side.small, "variables": {"id": ids[next(counter) % len(ids)]}}
                    began = time.perf_counter()
                    response = await client.post(
                        side.url, json=body, headers={"Authorization": f"Bearer {token}"}
                    )
                    latencies.append((time.perf_counter() - began) * 1000)
                    bad += response.status_code != 200 or b'"errors"' in response.content

            began = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(clients)))
            return {
                "requests": len(latencies),
                "bad": bad,
                "elapsed": time.perf_counter() - began,
                "latencies": latencies,
            }

    return asyncio.run(run())


def measure_small(
    sides: list[Side], token: str, ids: list[str], seconds: float, clients: int, use_node: bool
) -> dict[str, Load]:
    """Throughput of the small query: each side for two halves of `seconds`, alternating."""
    generate = autocannon if use_node else python_load
    loads = {side.name: Load() for side in sides}
    for side in sides:  # warm every worker
        generate(side, token, ids, 2, clients)
    for half in range(2):
        for side in sides if half == 0 else sides[::-1]:
            loads[side.name].add(generate(side, token, ids, seconds / 2, clients))
    return loads


def statements_from_log(log: Path) -> dict[tuple[str, str], Counter[int]]:
    """(user, operation) -> how often our server logged each SQL statement count."""
    seen: dict[tuple[str, str], Counter[int]] = defaultdict(Counter)
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        if '"sql_statements"' not in line:
            continue
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue
        if entry.get("operation") and entry.get("status") == 200:
            seen[(entry["user_id"], entry["operation"])][entry["sql_statements"]] += 1
    return seen


def usual(counts: Counter[int] | None) -> str:
    """The usual count, then the others with how often (a worker's first request reads
    the reference tables, for example)."""
    if not counts:
        return "?"
    (most, _), *others = counts.most_common()
    return str(most) + "".join(f" ({n}: {times}x)" for n, times in others)


# ---------------------------------------------------------------------------- reporting


def ratio(ours: float, theirs: float | None) -> str:
    return f"{ours / theirs:.2f}x" if theirs else "-"


def report(
    pages: dict[tuple[str, int], dict[str, list[float]]],
    loads: dict[str, Load],
    statements: dict[tuple[str, str], Counter[int]],
    clients: int,
) -> None:
    if pages:
        print(f"\nfull nested page (ms; goal: ratio ours/theirs <= {GOAL_NESTED:.1f}x at p50)")
        print(
            f"{'user':<12} {'first':>5} {'stmts':>5} | {'ours p50':>9} {'p95':>7} | "
            f"{'theirs p50':>10} {'p95':>7} | {'ratio p50':>9} {'p95':>6} goal"
        )
        for (user, first), times in pages.items():
            ours = times["ours"]
            theirs = times.get("theirs")
            stmts = usual(statements.get((user, f"Full{first}")))
            o50, o95 = statistics.median(ours), percentile(ours, 0.95)
            t50 = statistics.median(theirs) if theirs else None
            t95 = percentile(theirs, 0.95) if theirs else None
            goal = "-" if not t50 else ("met" if o50 / t50 <= GOAL_NESTED else "MISSED")
            print(
                f"{user:<12} {first:>5} {stmts:>5} | {o50:>9.1f} {o95:>7.1f} | "
                f"{(f'{t50:.1f}' if t50 else '-'):>10} {(f'{t95:.1f}' if t95 else '-'):>7} | "
                f"{ratio(o50, t50):>9} {ratio(o95, t95):>6} {goal}"
            )
        by_user = {
            user: {usual(statements.get((user, f"Full{first}"))) for first in PAGES}
            for user in USERS
        }
        constant = all(len(counts) == 1 and "?" not in counts for counts in by_user.values())
        print(
            "SQL statements per full page the same at every page size: "
            + ("yes" if constant else "NO")
            + f" {by_user}"
        )
    if not loads:
        return
    print(
        f"\nsmall frontend query, {SMALL_USER}, {clients} concurrent clients "
        f"(goal: requests/s ratio >= {GOAL_THROUGHPUT:.1f}x, then 1.0x)"
    )
    print(f"{'side':<7} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'requests':>9} {'bad':>5}")
    for name, load in loads.items():
        print(
            f"{name:<7} {load.per_second:>8.1f} {percentile(load.latencies, 0.5):>8.1f} "
            f"{percentile(load.latencies, 0.99):>8.1f} {load.requests:>9} {load.bad:>5}"
        )
    if "theirs" in loads:
        r = loads["ours"].per_second / loads["theirs"].per_second
        goal = "met" if r >= GOAL_THROUGHPUT else "MISSED"
        mine, other = loads["ours"].latencies, loads["theirs"].latencies
        print(
            f"ratio ours/theirs requests/s: {r:.2f}x ({goal}); latency p50 "
            f"{ratio(percentile(mine, 0.5), percentile(other, 0.5))}, "
            f"p99 {ratio(percentile(mine, 0.99), percentile(other, 0.99))}"
        )
    print(f"SQL statements per small query (ours): {usual(statements.get((SMALL_USER, 'Small')))}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--database-url",
        default="postgresql://postgres@127.0.0.1/vg_pgbench",
        help="PostgreSQL database to REPLACE (created when missing)",
    )
    parser.add_argument("--customers", type=int, default=2000, help="demo customers (2000)")
    parser.add_argument("--samples", type=int, default=15, help="timed pages per case (15)")
    parser.add_argument(
        "--seconds", type=float, default=15, help="small-query load per side, in two halves (15)"
    )
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients (16)")
    parser.add_argument("--workers", type=int, default=2, help="our uvicorn workers (2)")
    parser.add_argument(
        "--skip-postgraphile", action="store_true", help="measure voucher-graph only"
    )
    parser.add_argument("--today", default="2026-11-26", help="the date taken as today")
    parser.add_argument("--port", type=int, default=8781, help="our port (8781)")
    parser.add_argument("--postgraphile-port", type=int, default=8782, help="(8782)")
    parser.add_argument(
        "--keep-ours",
        action="store_true",
        help="reuse voucher-graph's tables from an earlier run, same --customers",
    )
    parser.add_argument("--prepare-only", action="store_true", help="load the data and stop")
    parser.add_argument(
        "--only",
        choices=["pages", "small"],
        help="measure only the full pages or only the small query",
    )
    parser.add_argument(
        "--visibility",
        choices=["precomputed", "live"],
        default="precomputed",
        help="PostGraphile's row-level security: rule views materialized per "
        "user at load time, or evaluated per statement (precomputed)",
    )
    parser.add_argument(
        "--jit",
        choices=["off", "on"],
        default="off",
        help="PostgreSQL JIT for the database, both servers (off)",
    )
    parser.add_argument(
        "--pgl-role",
        default="vg_pgbench_viewer",
        help="the NOLOGIN role PostGraphile's requests run as",
    )
    args = parser.parse_args()
    if not args.database_url.startswith("postgresql"):
        raise SystemExit("--database-url must name a PostgreSQL database")

    with_theirs = not args.skip_postgraphile
    if with_theirs and not node_available():
        print("Node.js/npm not found: skipping PostGraphile, measuring voucher-graph only")
        with_theirs = False
    if with_theirs:
        install_postgraphile()

    ensure_free(args.port)
    if with_theirs:
        ensure_free(args.postgraphile_port)
    load_at_start = os.getloadavg()[0]
    asyncio.run(prepare(args))
    if args.prepare_only:
        return 0
    logs = Path(tempfile.mkdtemp(prefix="bench-postgraphile-"))
    ours_log, theirs_log = logs / "voucher-graph.log", logs / "postgraphile.log"
    print(f"server logs: {logs}")
    tokens = {user: issue_token(SECRET, user, 4 * 3600) for user in USERS}
    servers: list[subprocess.Popen[bytes] | None] = [None, None]
    with (
        open(ours_log, "wb") as ours_out,
        open(theirs_log, "wb") as theirs_out,
        httpx.Client(timeout=120) as our_client,
        httpx.Client(timeout=120) as their_client,
    ):
        try:
            servers[0] = start_ours(args, ours_out)
            ours = Side(
                "ours",
                f"http://{HOST}:{args.port}/graphql",
                our_client,
                ours_full,
                paged(FULL, "String"),
                OURS_SMALL,
            )
            sides = [ours]
            if with_theirs:
                servers[1] = start_theirs(args, theirs_out)
                theirs = Side(
                    "theirs",
                    f"http://{HOST}:{args.postgraphile_port}/graphql",
                    their_client,
                    lambda _first: THEIRS_FULL,
                    paged(THEIRS_FULL, "Cursor"),
                    THEIRS_SMALL,
                )
                sides.append(theirs)
            for side, server, log in zip(sides, servers, (ours_log, theirs_log), strict=False):
                assert server is not None
                wait_ready(side.name, side.url, server, log)
            print(
                f"voucher-graph serve --workers {args.workers} on {ours.url}"
                + (f"; PostGraphile v4 on {theirs.url}" if with_theirs else "")
            )

            ids = small_ids(ours, tokens[SMALL_USER])
            problems: list[str] = []
            if with_theirs:
                problems, compared = check_same(ours, theirs, tokens)
                problems += check_small(ours, theirs, tokens[SMALL_USER], ids)
                print(
                    f"same answers: {compared} customers compared page by page with their "
                    f"purchasing powers, reservations and events: "
                    + ("all equal" if not problems else f"{len(problems)} DIFFER")
                )
                for problem in problems[:10]:
                    print("  " + problem)

            pages: dict[tuple[str, int], dict[str, list[float]]] = {}
            loads: dict[str, Load] = {}
            if args.only != "small":
                print(f"full nested pages, {args.samples} samples per case, alternating sides:")
                pages = measure_pages(sides, tokens, args.samples)
            if args.only != "pages":
                print(
                    f"small query: {args.seconds:g} s per side in two alternating halves, "
                    + ("autocannon" if with_theirs else "asyncio + httpx")
                    + " ..."
                )
                loads = measure_small(
                    sides, tokens[SMALL_USER], ids, args.seconds, args.clients, use_node=with_theirs
                )
        finally:
            for server in servers:
                stop(server)
    report(pages, loads, statements_from_log(ours_log), args.clients)
    # Other processes slow both servers; alternating keeps the ratios fair, not the times.
    print(
        f"machine: {os.cpu_count()} cores, load average {load_at_start:.1f} at the start, "
        f"{os.getloadavg()[0]:.1f} at the end"
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
