"""Fixtures of the model tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from support import Apis

from voucher_graph.data.engine import StatementCounter


@pytest.fixture(scope="module")
async def apis(engine: AsyncEngine, counter: StatementCounter) -> AsyncIterator[Apis]:
    """Apps shared by the examples of a module's property tests (support.Apis)."""
    shared = Apis(engine, counter)
    yield shared
    await shared.aclose()
