"""An event's organizer is its content's service's organizer.

Statuses, settlement dates and edit rights are derived without reading the event's
voucher (schema/derived_events.py, `derive_events(amounts=False)`): the content names
the service, the service its organizer. That holds because a voucher is granted by
its service's organizer and an event's content is one of its voucher's service's
contents, both refused otherwise on load and on recordEvent. These tests hold every
world the project writes to that: the example world, the demo world and a generated
one, read back from the database."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from support import TODAY, load_world

from voucher_graph.data import models as m
from voucher_graph.data.engine import session_factory
from voucher_graph.data.generate import clear_world, generate_world
from voucher_graph.world.demo import demo_world
from voucher_graph.world.synthetic import SyntheticWorld

MISMATCHED = (
    select(func.count())
    .select_from(m.Event)
    .join(m.PurchasingPower, m.PurchasingPower.id == m.Event.purchasing_power_id)
    .join(m.Content, m.Content.id == m.Event.content_id)
    .join(m.Service, m.Service.id == m.Content.service_id)
    .where(m.Service.organizer_id != m.PurchasingPower.organizer_id)
)


async def mismatched_and_total(engine: AsyncEngine) -> tuple[int, int]:
    async with engine.connect() as connection:
        mismatched = (await connection.execute(MISMATCHED)).scalar_one()
        total = (await connection.execute(select(func.count()).select_from(m.Event))).scalar_one()
    return mismatched, total


@pytest.mark.parametrize("world", ["example", "demo"])
async def test_loaded_worlds(
    engine: AsyncEngine, example_world: dict[str, Any], world: str
) -> None:
    await load_world(
        engine, example_world if world == "example" else demo_world(TODAY, customers=200)
    )
    mismatched, total = await mismatched_and_total(engine)
    assert total > 0 and mismatched == 0


async def test_a_generated_world(engine: AsyncEngine) -> None:
    async with session_factory(engine)() as session, session.begin():
        await clear_world(session)
        await generate_world(session, SyntheticWorld(300, 3, TODAY), separate_process=False)
    mismatched, total = await mismatched_and_total(engine)
    assert total > 0 and mismatched == 0
