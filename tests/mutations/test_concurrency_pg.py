"""Concurrent mutations on PostgreSQL: two requests never both succeed where only one may.

Each request runs in its own session and connection, as in production; asyncio.gather
puts them in flight together, so they meet at the row locks and unique constraints.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from decimal import Decimal
from typing import Any

import pytest
from mutation_world import DELETE, RECORD, SET_NUMBER, error_codes, record_input, world_apis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from support import TODAY, Api, is_postgres, make_api

from voucher_graph.data.engine import StatementCounter

pytestmark = pytest.mark.skipif(
    not is_postgres(),
    reason="needs PostgreSQL row locks (set VOUCHER_GRAPH_TEST_DATABASE_URL); "
    "SQLite runs one writer at a time",
)

CLIENTS = 6


async def together(engine: AsyncEngine, counter: StatementCounter, calls: list[Any]) -> list[Any]:
    """Run `calls` (functions of an Api) at once, each over its own HTTP client."""
    apis = [make_api(engine, counter, TODAY) for _ in calls]
    try:
        return list(
            await asyncio.gather(*(call(api) for call, api in zip(calls, apis, strict=True)))
        )
    finally:
        for api in apis:
            await api.client.aclose()


def recording(user: str, **changes: Any) -> Any:
    async def call(api: Api) -> dict[str, Any]:
        return await api.query(RECORD, record_input(**changes), user=user)

    return call


async def test_recordings_that_fit_alone_but_not_together_are_not_all_recorded(
    engine: AsyncEngine, counter: StatementCounter
) -> None:
    async with world_apis(engine, counter):
        # 4 units are left of pp1/k1's grant: any two of these fit, three do not.
        users = ["rec", "rec2"] * (CLIENTS // 2)
        bodies = await together(engine, counter, [recording(u, units="2") for u in users])
        statuses = Counter(b["data"]["recordEvent"]["status"] for b in bodies)
        assert statuses == {"RECORDED": 2, "UNDER_REVIEW": CLIENTS - 2}


async def test_one_idempotency_key_sent_at_once_records_one_event(
    engine: AsyncEngine, counter: StatementCounter
) -> None:
    async with world_apis(engine, counter):
        bodies = await together(
            engine, counter, [recording("rec", idempotencyKey="same") for _ in range(CLIENTS)]
        )
        ids = {b["data"]["recordEvent"]["id"] for b in bodies}
        assert len(ids) == 1, bodies
        async with engine.connect() as connection:
            rows = await connection.scalar(
                text("SELECT COUNT(*) FROM events WHERE idempotency_key = 'same'")
            )
        assert rows == 1


@pytest.mark.parametrize("round_", range(4))
async def test_a_delete_racing_an_edit_leaves_the_event_deleted_and_one_consistent_story(
    engine: AsyncEngine, counter: StatementCounter, round_: int
) -> None:
    edit = {
        "id": "e-recorded",
        "purchasingPowerId": "pp1",
        "contentId": "k1",
        "serviceDate": "2026-11-20",
        "units": "3",
        "unitPrice": "40",
    }

    async def edit_call(api: Api) -> dict[str, Any]:
        return await api.query(RECORD, {"input": edit}, user="rec")

    async def delete_call(api: Api) -> dict[str, Any]:
        return await api.query(DELETE, {"id": "e-recorded"}, user="rec2")

    async with world_apis(engine, counter):
        calls = [edit_call, delete_call] if round_ % 2 else [delete_call, edit_call]
        bodies = await together(engine, counter, calls)
        by_kind = dict(
            zip(["edit", "delete"] if round_ % 2 else ["delete", "edit"], bodies, strict=True)
        )
        assert by_kind["delete"]["data"] == {"deleteEvent": True}
        async with engine.connect() as connection:
            deleted, units = (
                await connection.execute(
                    text("SELECT deleted, units FROM events WHERE id = 'e-recorded'")
                )
            ).one()
        assert bool(deleted)
        if by_kind["edit"].get("errors"):
            # Deleted first: the edit found nothing, and changed nothing.
            assert error_codes(by_kind["edit"]) == ["NOT_FOUND"]
            assert Decimal(str(units)) == Decimal("1")
        else:
            assert Decimal(str(units)) == Decimal("3")


async def test_one_number_given_to_two_customers_at_once_goes_to_one(
    engine: AsyncEngine, counter: StatementCounter
) -> None:
    def setting(customer: str) -> Any:
        async def call(api: Api) -> dict[str, Any]:
            return await api.query(SET_NUMBER, {"c": customer, "n": "Z-1"}, user="rec")

        return call

    async with world_apis(engine, counter):
        bodies = await together(engine, counter, [setting("c1"), setting("c3")])
        codes = sorted(error_codes(b)[0] if b.get("errors") else "OK" for b in bodies)
        assert codes == ["BAD_USER_INPUT", "OK"]
        async with engine.connect() as connection:
            holders = await connection.scalar(
                text(
                    "SELECT COUNT(*) FROM customer_numbers"
                    " WHERE provider_id = 'p1' AND number = 'Z-1'"
                )
            )
        assert holders == 1
