"""Write a validated world into the database, in one transaction, in bulk."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from ..world.model import World
from . import models as m
from .access_relation import derive_provider_customers
from .names import name_words, order_key
from .scoped_words import derive_grant_words
from .service_sets import derive_service_sets

# Deletion order: children before parents, so foreign keys hold at every step. The
# access log is not here: it is the legal record of past reads, not world data, and
# `load --replace` / `generate --replace` keep it (CONTRACT.md, DOMAIN.md Access log).
TABLES_CHILD_FIRST: Sequence[type[m.Base]] = (
    m.CorrectionRequest,
    m.ProviderNameWord,
    m.GrantNameWord,
    m.ProviderCustomerCount,
    m.ProviderCustomer,
    m.OrganizerCustomer,
    m.ServiceSetMember,
    m.ServiceSet,
    m.Event,
    m.Reservation,
    m.PurchasingPowerContent,
    m.PurchasingPower,
    m.CustomerNumber,
    m.CustomerNameWord,
    m.Customer,
    m.TeamMember,
    m.TeamService,
    m.Team,
    m.User,
    m.Content,
    m.Service,
    m.SettlementDate,
    m.Provider,
    m.Organizer,
)

BATCH = 2000


async def has_data(session: AsyncSession) -> bool:
    count = await session.scalar(select(func.count()).select_from(m.Organizer))
    return bool(count)


async def clear(session: AsyncSession) -> None:
    """Delete the world's data; the access log stays."""
    for table in TABLES_CHILD_FIRST:
        await session.execute(delete(table))


async def write_world(
    session: AsyncSession, world: World, progress: Callable[[str, int], None] | None = None
) -> None:
    """Insert every entity of `world`; the caller owns the transaction."""

    async def put(model: type[m.Base], label: str, rows: Iterable[dict[str, Any]]) -> None:
        batch: list[dict[str, Any]] = []
        written = 0
        for row in rows:
            batch.append(row)
            if len(batch) >= BATCH:
                await session.execute(insert(model), batch)
                written += len(batch)
                batch = []
        if batch:
            await session.execute(insert(model), batch)
            written += len(batch)
        if progress is not None:
            progress(label, written)

    pps = {pp.id: pp for pp in world.purchasing_powers}
    await put(m.Organizer, "organizers", ({"id": o.id, "name": o.name} for o in world.organizers))
    await put(
        m.SettlementDate,
        "settlement dates",
        ({"organizer_id": o.id, "day": d} for o in world.organizers for d in o.settlement_dates),
    )
    await put(
        m.Provider,
        "providers",
        ({"id": p.id, "name": p.name, "business_id": p.business_id} for p in world.providers),
    )
    await put(
        m.Service,
        "services",
        ({"id": s.id, "organizer_id": s.organizer_id, "name": s.name} for s in world.services),
    )
    await put(
        m.Content,
        "contents",
        (
            {"id": c.id, "service_id": s.id, "name": c.name, "unit": c.unit}
            for s in world.services
            for c in s.contents
        ),
    )
    await put(
        m.User,
        "users",
        (
            {
                "id": u.id,
                "name": u.name,
                "role": u.role,
                "provider_id": u.provider_id,
                "organizer_id": u.organizer_id,
            }
            for u in world.users
        ),
    )
    await put(
        m.Team,
        "teams",
        ({"id": t.id, "organizer_id": t.organizer_id, "name": t.name} for t in world.teams),
    )
    await put(
        m.TeamService,
        "team services",
        ({"team_id": t.id, "service_id": s} for t in world.teams for s in t.service_ids),
    )
    await put(
        m.TeamMember,
        "team members",
        ({"team_id": t.id, "user_id": u} for t in world.teams for u in t.member_ids),
    )
    await put(
        m.Customer,
        "customers",
        (customer_row(c.id, c.first_name, c.last_name, c.ssn) for c in world.customers),
    )
    await put(
        m.CustomerNameWord,
        "name words",
        (
            name_word_row(c.id, word, c.first_name, c.last_name)
            for c in world.customers
            for word in name_words(c.first_name, c.last_name)
        ),
    )
    await put(
        m.CustomerNumber,
        "customer numbers",
        (
            {"provider_id": n.provider_id, "customer_id": n.customer_id, "number": n.number}
            for n in world.customer_numbers
        ),
    )
    await put(
        m.PurchasingPower,
        "purchasing powers",
        (
            {
                "id": pp.id,
                "kind": pp.kind,
                "customer_id": pp.customer_id,
                "organizer_id": pp.organizer_id,
                "service_id": pp.service_id,
                "voucher_number": pp.voucher_number,
                "valid_from": pp.valid_from,
                "valid_to": pp.valid_to,
                "granted_amount": pp.granted_amount,
            }
            for pp in world.purchasing_powers
        ),
    )
    await put(
        m.PurchasingPowerContent,
        "purchasing power contents",
        (
            {
                "purchasing_power_id": pp.id,
                "content_id": c.content_id,
                "unit_value": c.unit_value,
                "granted_units": c.granted_units,
            }
            for pp in world.purchasing_powers
            for c in pp.contents
        ),
    )
    await put(
        m.Reservation,
        "reservations",
        (
            {
                "id": r.id,
                "purchasing_power_id": r.purchasing_power_id,
                "customer_id": pps[r.purchasing_power_id].customer_id,
                "content_id": r.content_id,
                "provider_id": r.provider_id,
                "valid_from": r.valid_from,
                "valid_to": r.valid_to,
            }
            for r in world.reservations
        ),
    )
    await put(
        m.Event,
        "events",
        (
            {
                "id": e.id,
                "purchasing_power_id": e.purchasing_power_id,
                "customer_id": pps[e.purchasing_power_id].customer_id,
                "content_id": e.content_id,
                "provider_id": e.provider_id,
                "service_date": e.service_date,
                "units": e.units,
                "unit_price": e.unit_price,
                "description": e.description,
                "status": e.status,
                "recorded_on": e.recorded_on,
                "approved_on": e.approved_on,
                "deleted": e.deleted,
                "reason": None,
                "recorded_by": None,
                "idempotency_key": None,
            }
            for e in world.events
        ),
    )
    await derive_tables(session)


async def derive_tables(session: AsyncSession) -> int:
    """Fill the tables derived from the base tables, after a world is written.

    The one place where `load` (write_world) and `generate` build derived data from
    the rows already in the database, in the caller's transaction: rule A's relation
    follows from the events and reservations, rules B and C's service sets from the
    purchasing powers, and the name words per provider (with rule A's relation) and
    per grant from those and the customers' words (data/scoped_words.py). Returns
    the provider-customer pairs.
    """
    pairs = await derive_provider_customers(session)
    await derive_service_sets(session)
    await derive_grant_words(session)
    return pairs


async def refresh_statistics(engine: AsyncEngine) -> None:
    """After a bulk write has committed: VACUUM (ANALYZE) the world's tables on PostgreSQL.

    ANALYZE gives the planner the new sizes; without it the relation just derived looks
    empty and rule A's probes turn into scans. VACUUM sets the visibility map, without
    which an "index-only" count still visits every heap row (and autovacuum may take
    its time). VACUUM cannot run in a transaction, hence a connection of its own in
    autocommit, after the caller's commit. SQLite plans well without statistics.
    """
    if engine.dialect.name != "postgresql":
        return
    tables = ", ".join(t.__tablename__ for t in TABLES_CHILD_FIRST)
    async with engine.connect() as connection:
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        await autocommit.exec_driver_sql(f"VACUUM (ANALYZE) {tables}")


def name_word_row(customer_id: str, word: str, first_name: str, last_name: str) -> dict[str, Any]:
    """A name word with its customer's ordering keys (the same as `customer_row`'s)."""
    return {
        "customer_id": customer_id,
        "word": word,
        "last_name_lower": order_key(last_name),
        "first_name_lower": order_key(first_name),
    }


def customer_row(id: str, first_name: str, last_name: str, ssn: str) -> dict[str, Any]:
    return {
        "id": id,
        "first_name": first_name,
        "last_name": last_name,
        "ssn": ssn,
        "first_name_lower": order_key(first_name),
        "last_name_lower": order_key(last_name),
    }
