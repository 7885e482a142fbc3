"""The API's PostgreSQL sessions plan every statement for its own values, without JIT.

Custom plans: a generic plan costed for the average provider would sort the biggest
provider's whole visible set. No JIT: the policy's subplans are costed far above what
they do, and compiling cost more than running (data/engine.py says the numbers).
"""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from support import is_postgres

pytestmark = pytest.mark.skipif(not is_postgres(), reason="PostgreSQL server settings")


async def test_sessions_use_custom_plans_and_no_jit(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        plan_cache = (await connection.execute(text("SHOW plan_cache_mode"))).scalar_one()
        jit = (await connection.execute(text("SHOW jit"))).scalar_one()
    assert (plan_cache, jit) == ("force_custom_plan", "off")
