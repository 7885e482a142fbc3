"""`voucher-graph generate`: the same rows for a seed, a valid world, wide viewers that see."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections import Counter, defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from support import TODAY, is_postgres, make_api

from voucher_graph.data.engine import StatementCounter, session_factory
from voucher_graph.data.generate import WideViewer, clear_world, generate_world, table_columns
from voucher_graph.data.names import name_words
from voucher_graph.data.writer import customer_row
from voucher_graph.domain.hetu import parse_hetu
from voucher_graph.world.model import ROLES, WORKFLOW_STATUSES
from voucher_graph.world.synthetic import SyntheticWorld
from voucher_graph.world.validate import validate_world

CUSTOMERS = 300

Rows = dict[str, list[tuple[Any, ...]]]


def _plain(value: Any) -> Any:
    """A value as both databases give it back: dates as text, booleans as 0/1."""
    if value is None:
        return None
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int):
        return value
    return str(value)


def expected_rows(world: SyntheticWorld) -> Rows:
    """What generate must write, from the pure generator alone (no database)."""
    rows: Rows = defaultdict(list)
    for table, fixed in world.fixed.items():
        rows[table] += fixed
    for block in world.chunks():
        for table, block_rows in block.items():
            if table == "customers":
                for row in block_rows:
                    c_id, first, last, ssn = (str(v) for v in row)
                    rows["customers"].append(tuple(customer_row(c_id, first, last, ssn).values()))
                    # Each word with its customer's ordering keys (migration 0006).
                    rows["customer_name_words"] += [
                        (c_id, w, last.lower(), first.lower()) for w in name_words(first, last)
                    ]
            else:
                rows[table] += block_rows
    return {table: sorted(tuple(map(_plain, r)) for r in rows[table]) for table in table_columns()}


async def database_rows(engine: AsyncEngine) -> Rows:
    rows: Rows = {}
    async with engine.connect() as connection:
        for table, columns in table_columns().items():
            result = await connection.execute(text(f"SELECT {', '.join(columns)} FROM {table}"))
            rows[table] = sorted(tuple(map(_plain, row)) for row in result)
    return rows


def checksum(rows: Rows) -> str:
    digest = hashlib.sha256()
    for table in sorted(rows):
        digest.update(repr((table, rows[table])).encode())
    return digest.hexdigest()


async def generate(
    engine: AsyncEngine, customers: int, seed: int, *, separate_process: bool = False
) -> list[WideViewer]:
    world = SyntheticWorld(customers, seed, TODAY)
    async with session_factory(engine)() as session, session.begin():
        await clear_world(session)
        return await generate_world(session, world, separate_process=separate_process)


# -- the pure generator --------------------------------------------------------------------


def test_same_seed_same_rows_and_another_seed_other_rows() -> None:
    first = expected_rows(SyntheticWorld(200, 5, TODAY))
    assert first == expected_rows(SyntheticWorld(200, 5, TODAY))
    assert checksum(first) != checksum(expected_rows(SyntheticWorld(200, 6, TODAY)))


def test_shape_scales_with_the_customers() -> None:
    small, large = SyntheticWorld(300, 1, TODAY), SyntheticWorld(400_000, 1, TODAY)
    assert (small.organizer_count, small.provider_count) == (2, 4)
    assert (large.organizer_count, large.provider_count) == (50, 2000)
    users = Counter(row[2] for row in large.fixed["users"])
    assert set(users) == set(ROLES)


def test_at_least_one_customer() -> None:
    with pytest.raises(ValueError):
        SyntheticWorld(0, 1, TODAY)


# -- written into the database -------------------------------------------------------------


async def test_database_holds_exactly_the_generated_rows(engine: AsyncEngine) -> None:
    """Same N and seed: the same rows, on either database, run after run."""
    await generate(engine, CUSTOMERS, 7)
    written = await database_rows(engine)
    assert written == expected_rows(SyntheticWorld(CUSTOMERS, 7, TODAY))
    await generate(engine, CUSTOMERS, 8)
    other = checksum(await database_rows(engine))
    # Made in a child process while the parent writes: the same rows again.
    viewers = await generate(engine, CUSTOMERS, 7, separate_process=True)
    again = checksum(await database_rows(engine))
    assert again == checksum(written) != other
    assert viewers == await generate(engine, CUSTOMERS, 7)


async def read_world(engine: AsyncEngine) -> dict[str, Any]:
    """The database's world in the world-file format of CONTRACT.md."""

    async def rows(sql: str) -> list[Any]:
        async with engine.connect() as connection:
            return list((await connection.execute(text(sql))).mappings())

    def day(value: Any) -> str | None:
        return None if value is None else _plain(value)

    settlement: dict[str, list[str]] = defaultdict(list)
    for r in await rows("SELECT organizer_id, day FROM settlement_dates"):
        settlement[r["organizer_id"]].append(day(r["day"]))
    contents: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in await rows("SELECT id, service_id, name, unit FROM contents ORDER BY id"):
        contents[r["service_id"]].append({"id": r["id"], "name": r["name"], "unit": r["unit"]})
    team_services: dict[str, list[str]] = defaultdict(list)
    for r in await rows("SELECT team_id, service_id FROM team_services"):
        team_services[r["team_id"]].append(r["service_id"])
    members: dict[str, list[str]] = defaultdict(list)
    for r in await rows("SELECT team_id, user_id FROM team_members"):
        members[r["team_id"]].append(r["user_id"])
    granted: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in await rows("SELECT * FROM purchasing_power_contents"):
        granted[r["purchasing_power_id"]].append(
            {
                "contentId": r["content_id"],
                "unitValue": r["unit_value"],
                "grantedUnits": r["granted_units"],
            }
        )

    def power(r: Any) -> dict[str, Any]:
        entry = {
            "id": r["id"],
            "kind": r["kind"],
            "customerId": r["customer_id"],
            "organizerId": r["organizer_id"],
            "serviceId": r["service_id"],
            "voucherNumber": r["voucher_number"],
            "validFrom": day(r["valid_from"]),
            "validTo": day(r["valid_to"]),
        }
        if r["kind"] == "REGULAR":
            entry["contents"] = granted[r["id"]]
        else:
            entry["grantedAmount"] = r["granted_amount"]
        return entry

    return {
        "organizers": [
            {"id": r["id"], "name": r["name"], "settlementDates": settlement[r["id"]]}
            for r in await rows("SELECT id, name FROM organizers")
        ],
        "providers": [
            {"id": r["id"], "name": r["name"], "businessId": r["business_id"]}
            for r in await rows("SELECT * FROM providers")
        ],
        "services": [
            {
                "id": r["id"],
                "organizerId": r["organizer_id"],
                "name": r["name"],
                "contents": contents[r["id"]],
            }
            for r in await rows("SELECT * FROM services")
        ],
        "users": [
            {
                "id": r["id"],
                "name": r["name"],
                "role": r["role"],
                "providerId": r["provider_id"],
                "organizerId": r["organizer_id"],
            }
            for r in await rows("SELECT * FROM users")
        ],
        "teams": [
            {
                "id": r["id"],
                "organizerId": r["organizer_id"],
                "name": r["name"],
                "serviceIds": team_services[r["id"]],
                "memberIds": members[r["id"]],
            }
            for r in await rows("SELECT * FROM teams")
        ],
        "customers": [
            {
                "id": r["id"],
                "firstName": r["first_name"],
                "lastName": r["last_name"],
                "ssn": r["ssn"],
            }
            for r in await rows("SELECT * FROM customers")
        ],
        "customerNumbers": [
            {"providerId": r["provider_id"], "customerId": r["customer_id"], "number": r["number"]}
            for r in await rows("SELECT * FROM customer_numbers")
        ],
        "purchasingPowers": [power(r) for r in await rows("SELECT * FROM purchasing_powers")],
        "reservations": [
            {
                "id": r["id"],
                "purchasingPowerId": r["purchasing_power_id"],
                "contentId": r["content_id"],
                "providerId": r["provider_id"],
                "validFrom": day(r["valid_from"]),
                "validTo": day(r["valid_to"]),
            }
            for r in await rows("SELECT * FROM reservations")
        ],
        "events": [
            {
                "id": r["id"],
                "purchasingPowerId": r["purchasing_power_id"],
                "contentId": r["content_id"],
                "providerId": r["provider_id"],
                "serviceDate": day(r["service_date"]),
                "units": r["units"],
                "unitPrice": r["unit_price"],
                "description": r["description"],
                "status": r["status"],
                "recordedOn": day(r["recorded_on"]),
                "approvedOn": day(r["approved_on"]),
                "deleted": bool(r["deleted"]),
            }
            for r in await rows("SELECT * FROM events")
        ],
    }


async def test_generated_world_obeys_the_rules(engine: AsyncEngine) -> None:
    await generate(engine, CUSTOMERS, 3)
    raw = await read_world(engine)
    world = validate_world(raw)  # ids, references, hetu, business ids, decimals, grants

    assert len(world.customers) == CUSTOMERS
    assert {u.role for u in world.users} == set(ROLES)
    assert any(t.member_ids for t in world.teams)
    powers = {p.id: p for p in world.purchasing_powers}
    per_customer = Counter(p.customer_id for p in world.purchasing_powers)
    assert set(per_customer.values()) == {1, 2, 3} and len(per_customer) == CUSTOMERS
    assert {p.kind for p in world.purchasing_powers} == {"REGULAR", "BALANCE"}
    assert 6 <= len(world.events) / CUSTOMERS <= 14
    assert {e.status for e in world.events if not e.deleted} == set(WORKFLOW_STATUSES)
    assert any(e.deleted for e in world.events)
    ssns = [parse_hetu(c.ssn) for c in world.customers]
    assert set("-A") <= {c.ssn[6] for c in world.customers}
    assert {c.ssn[6] for c in world.customers} & set("BCDEF")  # the 2023 century signs
    assert all(h.birth_date <= TODAY for h in ssns)
    assert len({(h.birth_date, h.individual_number) for h in ssns}) == CUSTOMERS

    settlement = {o.id: o.settlement_dates for o in world.organizers}
    covering = defaultdict(list)
    for r in world.reservations:
        covering[(r.purchasing_power_id, r.content_id, r.provider_id)].append(r)
    groups: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for e in world.events:
        power = powers[e.purchasing_power_id]
        assert power.valid_from <= e.service_date <= power.valid_to, e.id
        assert e.service_date <= e.recorded_on <= TODAY, e.id
        assert any(
            r.valid_from <= e.service_date <= (r.valid_to or date.max)
            for r in covering[(power.id, e.content_id, e.provider_id)]
        ), e.id
        assert Decimal(0) < e.units <= Decimal("9999.99") and e.unit_price <= Decimal("99999.99")
        if e.approved_on is not None:
            assert e.recorded_on <= e.approved_on <= TODAY
        if e.status == "CREDITED":
            day = e.approved_on or e.recorded_on
            assert any(day <= s < TODAY for s in settlement[power.organizer_id]), e.id
        if power.kind == "REGULAR":
            groups[(power.id, e.content_id)].append(e)
        else:
            assert e.status in ("RECORDED", "CREDITED"), e.id  # balance: never reviewed
    # Review: an event went to review exactly when the granted units had run out.
    reviewed = 0
    for (power_id, content_id), events in groups.items():
        limit = next(
            c.granted_units for c in powers[power_id].contents if c.content_id == content_id
        )
        events.sort(key=lambda e: (e.recorded_on, int(e.id.rsplit("-", 1)[1])))
        used = Decimal(0)
        for e in events:
            if e.deleted:
                continue
            if e.status in ("UNDER_REVIEW", "APPROVED", "REJECTED"):
                reviewed += 1
                assert used + e.units > limit, e.id
            elif e.status == "RECORDED":
                assert used + e.units <= limit, e.id
            if e.status in ("RECORDED", "UNDER_REVIEW", "APPROVED"):
                used += e.units
    assert reviewed > 0


async def test_derived_rows_match_the_loader(engine: AsyncEngine) -> None:
    """Ordering keys and name words are those the loader writes for the same names."""
    await generate(engine, 50, 4)
    async with engine.connect() as connection:
        customers = (await connection.execute(text("SELECT * FROM customers"))).mappings().all()
        words = Counter(
            (await connection.execute(text("SELECT customer_id FROM customer_name_words")))
            .scalars()
            .all()
        )
    for c in customers:
        expected = customer_row(c["id"], c["first_name"], c["last_name"], c["ssn"])
        assert dict(c) == expected
        assert words[c["id"]] == len(name_words(c["first_name"], c["last_name"]))


async def test_wide_viewers_see_the_customers_counted(
    engine: AsyncEngine, counter: StatementCounter
) -> None:
    """Each printed user sees, through the API, as many customers as were counted."""
    viewers = await generate(engine, CUSTOMERS, 9)
    assert {v.role for v in viewers} == set(ROLES)
    api = make_api(engine, counter)
    try:
        for role in ROLES:
            mine = [v for v in viewers if v.role == role]
            assert 1 <= len(mine) <= 3
            assert [v.customers for v in mine] == sorted((v.customers for v in mine), reverse=True)
            for viewer in mine:
                data = await api.data(
                    "{ me { role } customers(first: 1) { totalCount } }", user=viewer.user_id
                )
                assert data["me"]["role"] == role
                assert data["customers"]["totalCount"] == viewer.customers > 0
            assert mine[0].customers > CUSTOMERS // 10
    finally:
        await api.client.aclose()


# -- the command ---------------------------------------------------------------------------


def _run(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "VOUCHER_GRAPH_TODAY": TODAY.isoformat()}
    return subprocess.run(
        [sys.executable, "-m", "voucher_graph.cli", "generate", "--database-url", url, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )


async def test_command_refuses_data_and_replace_keeps_the_access_log(engine: AsyncEngine) -> None:
    url = engine.url.render_as_string(hide_password=False)
    await generate(engine, 20, 1)
    async with engine.begin() as connection:
        await connection.execute(text("DELETE FROM access_log"))
        await connection.execute(
            text(
                "INSERT INTO access_log (user_id, customer_id, fields, at, operation)"
                " VALUES ('o1-u1', 'c1', '[\"ssn\"]', CURRENT_TIMESTAMP, 'q')"
            )
        )
    refused = _run(url, "--customers", "30")
    assert refused.returncode == 2 and "--replace" in refused.stderr
    assert refused.stdout == ""

    done = _run(url, "--customers", "30", "--seed", "2", "--replace")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines and all(line.split()[0] in ROLES and len(line.split()) == 2 for line in lines)
    assert {line.split()[0] for line in lines} == set(ROLES)
    assert "customers 30/30" in done.stderr  # progress
    async with engine.connect() as connection:
        assert await connection.scalar(text("SELECT count(*) FROM customers")) == 30
        assert await connection.scalar(text("SELECT count(*) FROM access_log")) == 1
    assert checksum(await database_rows(engine)) == checksum(
        expected_rows(SyntheticWorld(30, 2, TODAY))
    )


@pytest.mark.skipif(not is_postgres(), reason="the bulk path drops and rebuilds keys on PostgreSQL")
async def test_keys_indexes_and_foreign_keys_are_rebuilt(engine: AsyncEngine) -> None:
    schema = (
        "SELECT conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid)"
        " FROM pg_constraint WHERE connamespace = current_schema()::regnamespace"
        " UNION ALL SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema()"
    )
    async with engine.connect() as connection:
        before = sorted((await connection.execute(text(schema))).scalars())
    await generate(engine, 40, 2)
    async with engine.connect() as connection:
        after = sorted((await connection.execute(text(schema))).scalars())
        validated = await connection.scalar(
            text(
                "SELECT bool_and(convalidated) FROM pg_constraint"
                " WHERE connamespace = current_schema()::regnamespace"
            )
        )
    assert any("FOREIGN KEY" in line for line in after)
    assert after == before and validated
