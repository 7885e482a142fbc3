#!/usr/bin/env python
"""Flatness at scale: listing and searches through the API against hand-written SQL.

    .venv/bin/python scripts/scale_benchmark.py --sizes 10000,100000,1000000 \\
        --url-template 'postgresql://postgres@127.0.0.1/vg_gen_{label}'

For each size N (label 10k, 100k, 1m), the database named by the template holds a world
made by `voucher-graph generate --customers N --seed S` (today fixed with --today). A
database with exactly N customers is reused; any other is REPLACED by a generated one
(its access log is kept). Then, for the RECORDER of the biggest provider and the STAFF
and ADMIN of the biggest organizer, five queries (first page, next page, name search,
hetu search, voucher search; each with totalCount, or with `--capped N` with
totalCountAtMost(atMost: N)) run through the whole ASGI app
(httpx ASGITransport: token, policy, access log) and as the best hand-written SQL for
the same answer over the base tables, timed with asyncpg. The SQL's page and count are
checked against the API's. Prints p50 per size, p50 at the largest size ÷ p50 at the
smallest, and API ÷ SQL.

The hand-written SQL is in VISIBLE and POWER_VISIBLE below, one entry per role: swap
them when the schema gains a better access path (the persisted access relation).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from typing import Any

import asyncpg
import httpx
from sqlalchemy.engine import make_url

from voucher_graph.app import create_app
from voucher_graph.auth import issue_token
from voucher_graph.data.engine import create_engine
from voucher_graph.data.migrate import upgrade
from voucher_graph.domain.dates import window_start
from voucher_graph.settings import Settings
from voucher_graph.world.synthetic import SyntheticWorld

SECRET = "scale-benchmark-secret-0123456789-0123456789"
PAGE = 50
NAME = "kor"
ROLES = ("RECORDER", "STAFF", "ADMIN")
QUERIES = ("list", "next page", "name", "ssn", "voucherNumber")

# The best hand-written SQL for each answer, over the persisted access relation and the
# indexes of migrations 0002-0012 ($1 = provider, organizer or user id, $2 = window start).
#
# VISIBLE[role] is "the viewer sees customer c" as a correlated condition: the page walks
# the C-collated name-order index and probes it per row (a primary-key probe of
# provider_customers, or the grant index of purchasing_powers), so a page costs what a
# page costs. KEYS[role] is the visible set as ids, for the count: read from one
# covering index (index-only), DISTINCT only where a customer can appear twice.
RULE_A = "(pc.last_date >= $2 OR pc.reservation_open)"
# Rule B's grants, (organizer, service) pairs of the STAFF user's teams, are read once
# per viewer (as the API reads them with the viewer) and written into the statements
# in place of GRANTS, as literal equalities the grant index serves.
GRANTS = "@GRANTS@"
MEMBER_GRANTS = "@MEMBER_GRANTS@"  # the same grants, on service set members (m)
WORD_GRANTS = "@WORD_GRANTS@"  # the same grants, on grant name words (w)
# The STAFF user's own organizer, quoted: the benchmark's STAFF users are in teams of
# their own organizer only (a member of another organizer's team would need its grants'
# organizers here, and the API keeps the general walk for grants of two organizers).
ORGANIZER = "@ORGANIZER@"
VISIBLE = {
    # Rule A: the provider's relation row, with an event or reservation in the window.
    "RECORDER": f"""EXISTS (SELECT 1 FROM provider_customers pc
        WHERE pc.provider_id = $1 AND pc.customer_id = c.id AND {RULE_A})""",
    # Rule B: a purchasing power for a service named by one of the user's teams.
    "STAFF": f"""EXISTS (SELECT 1 FROM purchasing_powers pp
        WHERE pp.customer_id = c.id AND {GRANTS})""",
    # Rule C: a purchasing power granted by the admin's organizer.
    "ADMIN": """EXISTS (SELECT 1 FROM purchasing_powers pp
        WHERE pp.customer_id = c.id AND pp.organizer_id = $1)""",
}
KEYS = {
    # (provider_id, customer_id) is the key: no DISTINCT needed.
    "RECORDER": f"SELECT pc.customer_id FROM provider_customers pc WHERE pc.provider_id = $1"
    f" AND {RULE_A}",
    "STAFF": f"""SELECT DISTINCT pp.customer_id FROM purchasing_powers pp
        WHERE {GRANTS}""",
    "ADMIN": "SELECT DISTINCT pp.customer_id FROM purchasing_powers pp WHERE pp.organizer_id = $1",
}
KEY_COLUMN = {"RECORDER": "pc.customer_id", "STAFF": "pp.customer_id", "ADMIN": "pp.customer_id"}
# The count without a name: for rules B and C the sum over the service sets (migration
# 0007) that have a member the grants select, when those sets are of one organizer
# (else the keys' DISTINCT count; the benchmark's viewers are of one organizer).
SET_TOTAL = """SELECT CASE WHEN count(DISTINCT s.organizer_id) <= 1
        THEN coalesce(sum(s.customer_count), 0)
        ELSE (SELECT count(*) FROM (@KEYS@) k) END
      FROM service_sets s WHERE s.id IN (SELECT m.set_id FROM service_set_members m
      WHERE @MEMBERS@)"""
# The provider's count: the sum over its (date, open) classes (migration 0010), rule A
# on each class.
CLASS_TOTAL = f"""SELECT coalesce(sum(pc.customer_count), 0) FROM provider_customer_counts pc
      WHERE pc.provider_id = $1 AND {RULE_A}"""
TOTAL = {
    "RECORDER": CLASS_TOTAL,
    "STAFF": SET_TOTAL.replace("@KEYS@", KEYS["STAFF"]).replace("@MEMBERS@", MEMBER_GRANTS),
    "ADMIN": SET_TOTAL.replace("@KEYS@", KEYS["ADMIN"]).replace("@MEMBERS@", "m.organizer_id = $1"),
}


# A name search's matches in the viewer's own words (migration 0009): the provider's
# pairs with their rule A facts, or the organizer's grants; the LIKE pattern is $3.
# A prefix of three letters or more is one range of the words' prefix index (migration
# 0012: scope, first three letters, then name order), read in the page's order.
# (NAME has three letters or more and nothing LIKE would escape, so the pattern's first
# three characters are the prefix's.)
NAME_PREFIX = "left(w.word, 3) = left($3, 3) AND w.word LIKE $3"
NAME_MATCHES = {
    "RECORDER": f"""provider_name_words w WHERE w.provider_id = $1 AND {NAME_PREFIX}
        AND {RULE_A.replace("pc.", "w.")}""",
    "STAFF": f"grant_name_words w WHERE w.organizer_id = {ORGANIZER} AND {NAME_PREFIX}"
    f" AND {WORD_GRANTS}",
    "ADMIN": f"grant_name_words w WHERE w.organizer_id = $1 AND {NAME_PREFIX}",
}
W_ORDER = 'w.last_name_lower COLLATE "C", w.first_name_lower COLLATE "C", w.customer_id COLLATE "C"'


# An organizer user's customers in its organizer's own name order (migration 0011): one
# row per (organizer, customer) pair with its service set, kept when a member of the set
# is granted; the set ids are computed first and tested per row of the index range.
ORGANIZER_ROWS = {
    "STAFF": f"""oc.organizer_id = {ORGANIZER} AND oc.set_id = ANY(ARRAY(
        SELECT m.set_id FROM service_set_members m WHERE {MEMBER_GRANTS}))""",
    "ADMIN": "oc.organizer_id = $1",
}
OC_ORDER = (
    'oc.last_name_lower COLLATE "C", oc.first_name_lower COLLATE "C", oc.customer_id COLLATE "C"'
)
OC_KEYSET = f'({OC_ORDER}) > ($3 COLLATE "C", $4 COLLATE "C", $5 COLLATE "C")'


# Whether the viewer sees purchasing power `pp` (for the voucher search), same parameters.
POWER_VISIBLE = {
    "RECORDER": """(
        EXISTS (SELECT 1 FROM reservations r WHERE r.purchasing_power_id = pp.id
                AND r.provider_id = $1)
        OR EXISTS (SELECT 1 FROM events e WHERE e.purchasing_power_id = pp.id
                   AND e.provider_id = $1 AND NOT e.deleted))""",
    "STAFF": GRANTS,
    "ADMIN": "pp.organizer_id = $1",
}
CANCEL_OTHERS = """SELECT pg_cancel_backend(pid) FROM pg_stat_activity
 WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'active'"""
ORDER = 'c.last_name_lower COLLATE "C", c.first_name_lower COLLATE "C", c.id COLLATE "C"'
KEYSET = f'({ORDER}) > ($3 COLLATE "C", $4 COLLATE "C", $5 COLLATE "C")'
# Every statement takes the same two parameters; rules B and C ignore the window, and
# rule B's grants are written in (the user id then only names the viewer).
USES_WINDOW = "$1::text IS NOT NULL AND $2::date IS NOT NULL"


async def grants_sql(sql: asyncpg.Connection, user_id: str) -> str:
    """The STAFF user's grants as `(organizer = .. AND service IN (..)) OR ..` on pp."""
    rows = await sql.fetch(
        """SELECT t.organizer_id, array_agg(ts.service_id ORDER BY ts.service_id) AS services
             FROM team_members tm JOIN teams t ON t.id = tm.team_id
             JOIN team_services ts ON ts.team_id = t.id
            WHERE tm.user_id = $1 GROUP BY t.organizer_id ORDER BY 1""",
        user_id,
    )

    def quoted(value: str) -> str:
        return "'" + value.replace("'", "''") + "'"

    return (
        "("
        + " OR ".join(
            f"(pp.organizer_id = {quoted(row['organizer_id'])} AND pp.service_id IN"
            f" ({', '.join(quoted(s) for s in row['services'])}))"
            for row in rows
        )
        + " OR FALSE)"
    )


def page_sql(role: str, name: bool = False, after: bool = False) -> str:
    """One statement (one round trip): the page (PAGE + 1 rows) and the total.

    The total sums the provider's (date, open) classes or the organizer's service sets;
    the customers table is not read. totalCountAtMost is answered by the same sum,
    exact and cheaper than a count stopped at the bound. A name search counts its
    visible matches in the pass that finds them for the page.
    """

    def rows(keyset: str, limit: int) -> str:
        if role in ORGANIZER_ROWS:
            # The organizer's own rows in name order, then the page's customers.
            oc_keyset = OC_KEYSET if keyset != "TRUE" else "TRUE"
            return f"""
            SELECT c.id, c.last_name, c.last_name_lower, c.first_name_lower
              FROM (SELECT oc.customer_id FROM organizer_customers oc
                     WHERE {oc_keyset} AND {ORGANIZER_ROWS[role]}
                     ORDER BY {OC_ORDER} LIMIT {limit}) k
              JOIN customers c ON c.id = k.customer_id"""
        return f"""
            SELECT c.id, c.last_name, c.last_name_lower, c.first_name_lower
              FROM customers c WHERE {keyset} AND {VISIBLE[role]}
             ORDER BY {ORDER} LIMIT {limit}"""

    if name:
        # The matches in name order, one row per customer (its rows lie side by side):
        # the page stops after PAGE + 1 customers, and the total counts the range
        # index-only; capped or not, the count is exact (the comparison caps it).
        one_each = f"""SELECT DISTINCT ON ({W_ORDER}) w.customer_id,
                   w.last_name_lower COLLATE "C" AS l, w.first_name_lower COLLATE "C" AS f,
                   w.customer_id COLLATE "C" AS i
              FROM {NAME_MATCHES[role]} ORDER BY {W_ORDER}"""
        return f"""
        SELECT t.total, c.id, c.last_name
          FROM (SELECT count(*) FROM ({one_each}) d) t(total)
          LEFT JOIN LATERAL ({one_each} LIMIT {PAGE + 1}) m ON TRUE
          LEFT JOIN customers c ON c.id = m.customer_id
         WHERE {USES_WINDOW}
         ORDER BY m.l, m.f, m.i"""
    # Capped or not, the classes' or sets' sum is exact and cheaper than a count stopped
    # at the bound (the comparison caps it).
    total = TOTAL[role]
    page = rows(KEYSET if after else "TRUE", PAGE + 1)
    return f"""
        SELECT t.total, p.id, p.last_name
          FROM ({total}) t(total)
          LEFT JOIN LATERAL ({page}) p ON TRUE
         WHERE {USES_WINDOW}
         ORDER BY {ORDER.replace("c.", "p.")}"""


def point_sql(role: str, where: str) -> str:
    """A lookup of at most a few rows: each candidate checked with EXISTS, never the set."""
    return f"""
        SELECT c.id, c.last_name FROM customers c
         WHERE {where} AND {VISIBLE[role]} AND {USES_WINDOW}
         ORDER BY {ORDER}"""


@dataclass
class Case:
    role: str
    query: str
    api_ms: float = 0.0
    sql_ms: float = 0.0
    total: int = 0
    same: bool = False
    runs: int = 0
    error: str = ""


@dataclass
class SizeResult:
    size: int
    seconds_to_generate: float | None
    viewers: dict[str, tuple[str, int]] = field(default_factory=dict)  # role -> (user, seen)
    floor_ms: float = float("nan")  # `{ me { id } }`: the API's cost of any request
    cases: dict[tuple[str, str], Case] = field(default_factory=dict)


LIST = """query($first: Int!, $after: String, $name: String, $ssn: String, $v: String) {
  customers(first: $first, after: $after, name: $name, ssn: $ssn, voucherNumber: $v) {
    @TOTAL@ pageInfo { endCursor } edges { node { id lastName } }
  }
}"""


def list_query(capped: int | None) -> str:
    """LIST asking for totalCount, or with `capped` for totalCountAtMost (as `total`)."""
    if capped is None:
        return LIST.replace("@TOTAL@", "total: totalCount")
    return LIST.replace("@TOTAL@", f"total: totalCountAtMost(atMost: {capped}) {{ count }}")


def label(size: int) -> str:
    if size % 1_000_000 == 0:
        return f"{size // 1_000_000}m"
    if size % 1000 == 0:
        return f"{size // 1000}k"
    return str(size)


async def prepare(url: str, size: int, seed: int, today: date) -> float | None:
    """Reuse a database holding exactly `size` customers; otherwise generate one."""
    try:
        connection = await asyncpg.connect(plain_dsn(url))
        try:
            count = await connection.fetchval("SELECT count(*) FROM customers")
        finally:
            await connection.close()
    except (asyncpg.UndefinedTableError, asyncpg.InvalidCatalogNameError):
        count = None
    if count == size:
        print(f"{label(size)}: reusing {url} ({size:,} customers)", flush=True)
        return None
    print(f"{label(size)}: generating {size:,} customers into {url} ...", flush=True)
    began = time.monotonic()
    command = [sys.executable, "-m", "voucher_graph.cli", "generate", "--customers", str(size),
               "--seed", str(seed), "--database-url", url, "--replace"]  # fmt: skip
    env = {**os.environ, "VOUCHER_GRAPH_TODAY": today.isoformat()}
    subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL)
    return time.monotonic() - began


async def floor(client: httpx.AsyncClient, headers: dict[str, str], runs: int) -> float:
    """p50 ms of `{ me { id } }`: token, viewer, GraphQL and a transaction, no search.

    A one-row lookup costs well under a millisecond in SQL, so its API ÷ SQL is mostly
    this floor; it is printed to tell the two apart.
    """
    times = []
    for _ in range(runs + 1):
        began = time.perf_counter()
        response = await client.post("/graphql", json={"query": "{ me { id } }"}, headers=headers)
        times.append((time.perf_counter() - began) * 1000)
        response.raise_for_status()
    return statistics.median(times[1:])


async def _no_answer(error: str) -> dict[str, str]:
    return {"error": error}


def plain_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def viewers_of(size: int, seed: int, today: date) -> dict[str, str]:
    """The biggest provider's first RECORDER, the biggest organizer's guidance-team STAFF
    member and its first ADMIN (by construction of the generator: ranks by size)."""
    users = SyntheticWorld(size, seed, today).fixed["users"]
    found: dict[str, str] = {}
    for user_id, _name, role, provider_id, organizer_id in users:
        owner = provider_id or organizer_id
        if owner in ("p1", "o1") and role in ROLES and role not in found:
            found[str(role)] = str(user_id)
    return found


async def interleaved(
    api: Callable[[], Awaitable[Any]],
    sql: Callable[[], Awaitable[Any]],
    runs: int,
    budget_s: float,
    min_runs: int = 3,
) -> tuple[float, float, int, Any, Any]:
    """p50 milliseconds of the API and of the SQL, the number of runs, the last answers.

    The two alternate, run by run (and which goes first alternates too), so that the
    noise of a shared machine falls on both alike and their ratio stays meaningful.
    The first run of each warms caches and is not counted, unless it took over a
    second. Stops early, after at least `min_runs`, once the runs took `budget_s`
    seconds: at 1M a slow case would otherwise take many minutes.
    """
    api_times: list[float] = []
    sql_times: list[float] = []
    answers: dict[str, Any] = {}

    async def once(name: str, run: Callable[[], Awaitable[Any]], into: list[float]) -> None:
        began = time.perf_counter()
        answers[name] = await run()
        into.append((time.perf_counter() - began) * 1000)

    await once("api", api, api_times)
    if isinstance(answers["api"], dict) and "error" in answers["api"]:
        api = None  # type: ignore[assignment]  # no answer to time
    await once("sql", sql, sql_times)
    api_times = [t for t in api_times if t > 1000]
    sql_times = [t for t in sql_times if t > 1000]
    turn = 0
    while len(sql_times) < runs and (
        len(sql_times) < min_runs or sum(api_times) + sum(sql_times) < budget_s * 1000
    ):
        order = [("api", api, api_times), ("sql", sql, sql_times)]
        for name, run, into in order if turn % 2 == 0 else reversed(order):
            if run is not None:
                await once(name, run, into)
        turn += 1
    api_p50 = statistics.median(api_times) if api_times else float("nan")
    return api_p50, statistics.median(sql_times), len(sql_times), answers["api"], answers["sql"]


async def measure(url: str, size: int, args: argparse.Namespace) -> SizeResult:
    today = date.fromisoformat(args.today)
    generated = await prepare(url, size, args.seed, today)
    result = SizeResult(size, generated)
    engine = create_engine(url)
    # A reused database may predate this checkout's migrations (the app does not migrate).
    await upgrade(engine)
    app = create_app(Settings(database_url=url, jwt_secret=SECRET, today=today), engine=engine)
    # Custom plans for the hand-written SQL, as the app plans its searches (fresh_plan in
    # data/raw_rows.py).
    sql = await asyncpg.connect(
        plain_dsn(url), server_settings={"plan_cache_mode": "force_custom_plan"}
    )
    start = window_start(today)
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            for role, user_id in viewers_of(size, args.seed, today).items():
                headers = {"Authorization": f"Bearer {issue_token(SECRET, user_id)}"}
                owner = await sql.fetchval(
                    "SELECT coalesce(provider_id, organizer_id) FROM users WHERE id = $1", user_id
                )
                key = user_id if role == "STAFF" else owner
                grants = await grants_sql(sql, user_id) if role == "STAFF" else "FALSE"

                def resolved(statement: str, grants: str = grants, owner: str = owner) -> str:
                    # Rule B's grants, on purchasing powers (pp), on set members (m) and
                    # on grant name words (w).
                    members, words = grants.replace("pp.", "m."), grants.replace("pp.", "w.")
                    return (
                        statement.replace(ORGANIZER, "'" + owner.replace("'", "''") + "'")
                        .replace(MEMBER_GRANTS, members)
                        .replace(WORD_GRANTS, words)
                        .replace(GRANTS, grants)
                    )

                async def api(variables: dict[str, Any], headers: dict[str, str] = headers) -> Any:
                    request = client.post(
                        "/graphql",
                        json={
                            "query": list_query(args.capped),
                            "variables": {"first": PAGE, **variables},
                        },
                        headers=headers,
                    )
                    task = asyncio.ensure_future(request)
                    done, _ = await asyncio.wait({task}, timeout=args.timeout)
                    if not done:
                        # The app's statements are shielded from cancellation and a
                        # cancelled request waits for them: stop them in the database.
                        while not task.done():
                            await sql.execute(CANCEL_OTHERS)
                            await asyncio.wait({task}, timeout=1)
                        task.exception()  # retrieved: the request failed or was cut short
                        return {"error": f"no answer within {args.timeout:.0f} s"}
                    response = task.result()
                    body = response.json()
                    if response.status_code != 200 or body.get("errors"):
                        return {"error": response.text[:300]}
                    return body["data"]["customers"]

                # The customers to look up come from the SQL side, which always answers.
                first_rows = await sql.fetch(resolved(page_sql(role)), key, start)
                result.viewers[role] = (user_id, first_rows[0]["total"])
                if role == ROLES[0]:
                    result.floor_ms = await floor(client, headers, args.runs)
                target = first_rows[min(len(first_rows) - 1, 24)]["id"]
                ssn = await sql.fetchval("SELECT ssn FROM customers WHERE id = $1", target)
                voucher = await sql.fetchval(
                    resolved(
                        "SELECT pp.voucher_number FROM purchasing_powers pp"
                        f" WHERE pp.customer_id = $3 AND {POWER_VISIBLE[role]}"
                        f" AND {USES_WINDOW} ORDER BY pp.voucher_number LIMIT 1"
                    ),
                    key,
                    start,
                    target,
                )
                after_keys = await sql.fetchrow(
                    "SELECT last_name_lower, first_name_lower, id FROM customers WHERE id = $1",
                    first_rows[PAGE - 1]["id"],
                )
                first_page = await api({})
                cursor = None if "error" in first_page else first_page["pageInfo"]["endCursor"]
                plans: dict[str, tuple[dict[str, Any], str, tuple[Any, ...]]] = {
                    "list": ({}, page_sql(role), ()),
                    "next page": (
                        {"after": cursor} if cursor else {"after": "unmeasured"},
                        page_sql(role, after=True),
                        tuple(after_keys),
                    ),
                    "name": (
                        {"name": NAME},
                        page_sql(role, name=True),
                        (NAME + "%",),
                    ),
                    "ssn": (
                        {"ssn": ssn},
                        point_sql(role, "c.ssn = $3"),
                        (ssn,),
                    ),
                    "voucherNumber": (
                        {"v": voucher},
                        point_sql(
                            role,
                            "c.id IN (SELECT pp.customer_id FROM purchasing_powers pp"
                            f" WHERE pp.voucher_number = $3 AND {POWER_VISIBLE[role]})",
                        ),
                        (voucher,),
                    ),
                }
                for query, (variables, statement, extra) in plans.items():
                    if query not in args.queries:
                        continue
                    print(f"  {label(size)} {role} {query} ...", end="", flush=True)
                    by_hand = partial(sql.fetch, resolved(statement), key, start, *extra)
                    if variables.get("after") == "unmeasured":
                        api_run: Any = partial(
                            _no_answer, "the first page had no answer, so no cursor"
                        )
                    else:
                        api_run = partial(api, variables)
                    api_ms, sql_ms, runs, answer, rows = await interleaved(
                        api_run, by_hand, args.runs, args.budget, args.min_runs
                    )
                    case = Case(role, query, api_ms, sql_ms, runs=runs)
                    if "error" not in answer:
                        total = answer["total"]
                        case.total = total if args.capped is None else total["count"]
                        api_ids = [edge["node"]["id"] for edge in answer["edges"]]
                        if "total" in (rows[0].keys() if rows else ()):
                            sql_total = rows[0]["total"]
                            sql_ids = [row["id"] for row in rows if row["id"] is not None][:PAGE]
                        else:
                            sql_total, sql_ids = len(rows), [row["id"] for row in rows]
                        if args.capped is not None:
                            sql_total = min(sql_total, args.capped)
                        case.same = api_ids == sql_ids and case.total == sql_total
                    else:
                        case.error = answer["error"]
                        print(f" API error: {case.error}", end="")
                    result.cases[(role, query)] = case
                    print(
                        f" api {api_ms:.1f} ms, sql {sql_ms:.1f} ms (p50 of {case.runs}+ runs),"
                        f" totalCount {case.total:,}, same answer: {case.same}",
                        flush=True,
                    )
    finally:
        await sql.close()
        await engine.dispose()
    return result


def report(results: list[SizeResult]) -> None:
    small, large = results[0], results[-1]
    print()
    for result in results:
        made = (
            f"generated in {result.seconds_to_generate:.0f} s"
            if result.seconds_to_generate is not None
            else "reused"
        )
        seen = ", ".join(f"{r} {u} sees {n:,}" for r, (u, n) in result.viewers.items())
        print(f"{label(result.size)} ({made}): {seen}")
        print(f"  API floor ({{ me {{ id }} }}, p50): {result.floor_ms:.1f} ms")
    head = f"{'viewer, query':<24}"
    for result in results:
        head += f" {label(result.size) + ' api':>10} {'sql':>9} {'api/sql':>7}"
    growth = f"{label(large.size)}/{label(small.size)}"
    head += f" {growth + ' api':>12} {'sql':>7} {'same':>5}"
    print(head)
    for role in ROLES:
        for query in QUERIES:
            line = f"{role + ', ' + query:<24}"
            for result in results:
                case = result.cases.get((role, query))
                if case is None:
                    line += f" {'-':>10} {'-':>9} {'-':>7}"
                    continue
                line += (
                    f" {case.api_ms:>10.1f} {case.sql_ms:>9.1f} {case.api_ms / case.sql_ms:>7.1f}"
                )
            first, last = small.cases.get((role, query)), large.cases.get((role, query))
            if first and last:
                line += f" {last.api_ms / first.api_ms:>12.1f} {last.sql_ms / first.sql_ms:>7.1f}"
            measured = [r.cases[(role, query)] for r in results if (role, query) in r.cases]
            if any(case.error for case in measured):
                line += f" {'n/a':>5}"
            else:
                line += f" {'yes' if all(case.same for case in measured) else 'NO':>5}"
            print(line)
    print("\nms are p50; 'same' says the SQL gave the API's page and totalCount at every size;")
    print("nan: the API gave no answer (see the error above), n/a: not comparable.")
    for result in results:
        for case in result.cases.values():
            if case.error:
                print(f"{label(result.size)} {case.role} {case.query}: {case.error}")


async def run(args: argparse.Namespace) -> None:
    results = []
    for size in (int(s) for s in args.sizes.split(",")):
        url = args.url_template.format(label=label(size), size=size)
        results.append(await measure(url, size, args))
    report(results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000", help="customers, comma-separated")
    parser.add_argument(
        "--url-template",
        default="postgresql://postgres@127.0.0.1/vg_gen_{label}",
        help="PostgreSQL URL per size; {label} is 10k, 100k, 1m, {size} the number",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=20, help="timed runs per case (20)")
    parser.add_argument(
        "--budget", type=float, default=60, help="seconds per case before stopping early (60)"
    )
    parser.add_argument("--min-runs", type=int, default=3, help="runs even over budget (3)")
    parser.add_argument(
        "--timeout", type=float, default=120, help="seconds an API request may take (120)"
    )
    parser.add_argument("--today", default="2026-11-26", help="the date taken as today")
    parser.add_argument(
        "--capped", type=int, default=None, metavar="N",
        help="ask totalCountAtMost(atMost: N) instead of the exact totalCount",
    )  # fmt: skip
    parser.add_argument(
        "--queries", default=",".join(QUERIES),
        help=f"which queries, comma-separated (all: {','.join(QUERIES)})",
    )  # fmt: skip
    args = parser.parse_args()
    args.queries = tuple(q.strip() for q in args.queries.split(","))
    unknown = set(args.queries) - set(QUERIES)
    if unknown:
        parser.error(f"unknown queries: {', '.join(sorted(unknown))}")
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
