"""Each serving process keeps its PostgreSQL connections open
(VOUCHER_GRAPH_DATABASE_POOL_SIZE): none is opened and closed per request, even when
more requests run at once than SQLAlchemy's default pool keeps (5)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine
from support import TODAY, is_postgres, load_world, make_api

from voucher_graph.data.engine import DEFAULT_POOL_SIZE, StatementCounter, create_engine
from voucher_graph.settings import Settings, SettingsError
from voucher_graph.world.demo import demo_world


def test_the_pool_size_is_read_from_the_environment() -> None:
    assert Settings.from_env({}).database_pool_size == DEFAULT_POOL_SIZE == 15
    settings = Settings.from_env({"VOUCHER_GRAPH_DATABASE_POOL_SIZE": " 40 "})
    assert settings.database_pool_size == 40


@pytest.mark.parametrize("value", ["0", "-3", "1001", "many", "1.5"])
def test_a_pool_size_out_of_range_is_refused(value: str) -> None:
    with pytest.raises(SettingsError, match="VOUCHER_GRAPH_DATABASE_POOL_SIZE"):
        Settings.from_env({"VOUCHER_GRAPH_DATABASE_POOL_SIZE": value})


@pytest.mark.skipif(
    not is_postgres(), reason="a PostgreSQL pool (set VOUCHER_GRAPH_TEST_DATABASE_URL)"
)
async def test_concurrent_requests_reuse_the_kept_connections(
    engine: AsyncEngine, counter: StatementCounter
) -> None:
    await load_world(engine, demo_world(TODAY, customers=20))
    pooled = create_engine(str(engine.url), pool_size=10)
    assert pooled.pool.size() == 10  # type: ignore[attr-defined]
    opened: list[int] = []
    event.listen(pooled.sync_engine, "connect", lambda *_: opened.append(1))
    api = make_api(pooled, counter)
    query = "{ customers(first: 3) { edges { node { id firstName } } } }"
    try:
        for _ in range(3):  # rounds of 8 requests at once
            answers = await asyncio.gather(*(api.data(query, user="p1-recorder") for _ in range(8)))
            assert all(a["customers"]["edges"] for a in answers)
        # At most one connection per concurrent request, opened once and then reused.
        assert 1 <= len(opened) <= 8
    finally:
        await api.client.aclose()
        await pooled.dispose()
