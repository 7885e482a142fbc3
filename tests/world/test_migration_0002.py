"""Migration 0002 builds rule A's relation from the data already in the database."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from support import downgraded_to, load_world

from voucher_graph.data.access_relation import derive_provider_customers
from voucher_graph.data.engine import session_factory

FACTS = (
    "SELECT provider_id, customer_id, last_date, reservation_open"
    " FROM provider_customers ORDER BY provider_id, customer_id"
)


# What migration 0010 rebuilds besides the relation: the pairs' words and classes.
WORDS = (
    "SELECT provider_id, word, customer_id, last_date, reservation_open, last_name_lower,"
    " first_name_lower FROM provider_name_words ORDER BY provider_id, word, customer_id"
)
CLASSES = (
    "SELECT provider_id, dated, date_key, reservation_open, last_date, customer_count"
    " FROM provider_customer_counts ORDER BY provider_id, dated, date_key, reservation_open"
)


async def rows(engine: AsyncEngine) -> list[tuple[Any, ...]]:
    async with engine.connect() as connection:
        return [
            tuple(r)
            for statement in (FACTS, WORDS, CLASSES)
            for r in [("--", statement), *await connection.execute(text(statement))]
        ]


async def test_upgrading_an_existing_database_derives_the_relation(
    engine: AsyncEngine, example_world: dict[str, Any]
) -> None:
    await load_world(engine, example_world)
    expected = await rows(engine)
    assert len(expected) > 3  # the example world has provider relationships
    async with downgraded_to(engine, "0001") as tables:
        assert "provider_customers" not in tables
    assert await rows(engine) == expected
    # ...and the same as the loader's derive function gives.
    async with session_factory(engine)() as session, session.begin():
        await derive_provider_customers(session)
    assert await rows(engine) == expected
