"""Shared fixtures; the helpers they use live in support.py."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from support import EXAMPLE_WORLD, Api, database_url, load_world, make_api, reset_database

from voucher_graph.data.engine import StatementCounter, create_engine


@pytest.fixture(scope="session")
def example_world() -> dict[str, Any]:
    raw: dict[str, Any] = json.loads(EXAMPLE_WORLD.read_text(encoding="utf-8"))
    return raw


@pytest.fixture(scope="session")
async def engine(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url(tmp_path_factory.mktemp("db")))
    await reset_database(engine)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="session")
def counter(engine: AsyncEngine) -> StatementCounter:
    return StatementCounter(engine)


@pytest.fixture
async def example_api(
    engine: AsyncEngine, counter: StatementCounter, example_world: dict[str, Any]
) -> AsyncIterator[Api]:
    """The API over the example world, loaded afresh for each test."""
    await load_world(engine, example_world)
    api = make_api(engine, counter)
    yield api
    await api.client.aclose()
