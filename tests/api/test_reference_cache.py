"""The reference tables are kept per process, and never served after they change.

Services, contents and settlement dates are read once per process and generation
(data/reference.py). Database triggers bump the generation on any write to them, so
even a change made behind the API's back (in psql) is seen by the next request.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from support import Api, load_world

SERVICE_NAMES = """{ customers(first: 100) { edges { node {
  purchasingPowers { service { id name } }
} } } }"""


async def generation(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        found = await connection.execute(text("SELECT generation FROM reference_generation"))
        return int(found.scalar_one())


async def run(engine: AsyncEngine, sql: str) -> None:
    async with engine.begin() as connection:
        await connection.execute(text(sql))


def service_names(body: dict[str, Any]) -> dict[str, str]:
    return {
        pp["service"]["id"]: pp["service"]["name"]
        for edge in body["data"]["customers"]["edges"]
        for pp in edge["node"]["purchasingPowers"]
    }


async def test_a_service_renamed_behind_the_api_is_seen_by_the_next_request(
    example_api: Api,
) -> None:
    before = service_names(await example_api.query(SERVICE_NAMES, user="u10"))
    assert before
    service = sorted(before)[0]
    example_api.counter.keep = True
    try:
        example_api.counter.reset()
        again = await example_api.query(SERVICE_NAMES, user="u10")
    finally:
        example_api.counter.keep = False
    assert service_names(again) == before
    assert not any("FROM services" in s for s in example_api.counter.statements)
    await run(example_api.engine, f"UPDATE services SET name = 'Renamed' WHERE id = '{service}'")
    after = service_names(await example_api.query(SERVICE_NAMES, user="u10"))
    assert after == {**before, service: "Renamed"}


@pytest.mark.parametrize(
    "change",
    [
        "UPDATE services SET name = name || '!'",
        "UPDATE contents SET name = name || '!'",
        "DELETE FROM settlement_dates WHERE day = (SELECT min(day) FROM settlement_dates)",
        "UPDATE settlement_dates SET day = day",
    ],
)
async def test_every_write_to_a_reference_table_moves_the_generation(
    example_api: Api, change: str
) -> None:
    before = await generation(example_api.engine)
    await run(example_api.engine, change)
    assert await generation(example_api.engine) > before


async def test_loading_a_world_moves_the_generation(
    example_api: Api, example_world: dict[str, Any]
) -> None:
    before = await generation(example_api.engine)
    await load_world(example_api.engine, example_world)
    assert await generation(example_api.engine) > before
