"""setCustomerNumber: a provider's own number for a customer (asiakasnumero)."""

from __future__ import annotations

from typing import Any

import pytest
from mutation_world import SET_NUMBER, error_codes, world_apis
from sqlalchemy.ext.asyncio import AsyncEngine

from voucher_graph.data.engine import StatementCounter

NUMBER = "query($c: ID!) { customer(id: $c) { customerNumber } }"


async def number_of(api: Any, customer: str, user: str) -> Any:
    return (await api.data(NUMBER, {"c": customer}, user=user))["customer"]["customerNumber"]


async def test_a_recorder_sets_changes_and_clears_its_providers_number(
    engine: AsyncEngine, counter: StatementCounter
) -> None:
    async with world_apis(engine, counter) as (api,):
        set_ = await api.data(SET_NUMBER, {"c": "c1", "n": " B-7 "}, user="rec")
        assert set_ == {"setCustomerNumber": {"id": "c1", "customerNumber": "B-7"}}
        assert await number_of(api, "c1", "rec2") == "B-7"
        # The old number is free again, and another provider's number is no clash.
        await api.data(SET_NUMBER, {"c": "c3", "n": "A-100"}, user="rec")
        await api.data(SET_NUMBER, {"c": "c3", "n": "A-200"}, user="rec")
        assert await number_of(api, "c3", "other") == "A-200"
        cleared = await api.data(SET_NUMBER, {"c": "c1", "n": None}, user="rec")
        assert cleared == {"setCustomerNumber": {"id": "c1", "customerNumber": None}}
        assert await number_of(api, "c1", "rec") is None
        # Keeping one's own number is no clash either.
        await api.data(SET_NUMBER, {"c": "c3", "n": "A-200"}, user="rec")


NUMBER_FAILURES: list[tuple[str, str, str | None, str]] = [
    ("rec", "nope", "X-1", "NOT_FOUND"),
    ("rec", "c2", "X-1", "NOT_FOUND"),  # exists, but p1 does not see it
    ("other", "c1", "X-1", "NOT_FOUND"),
    ("rep", "c1", "X-1", "FORBIDDEN"),
    ("rep", "c1", None, "FORBIDDEN"),
    ("adm", "c1", "X-1", "FORBIDDEN"),
    ("staff", "c1", "X-1", "FORBIDDEN"),
    ("rec", "c3", "A-100", "BAD_USER_INPUT"),  # c1 has it at p1
    ("rec", "c1", "   ", "BAD_USER_INPUT"),
    ("rec", "c1", "X" * 65, "BAD_USER_INPUT"),
]


@pytest.mark.parametrize(("user", "customer", "number", "code"), NUMBER_FAILURES)
async def test_a_number_that_breaks_a_rule_gets_its_code_and_changes_nothing(
    engine: AsyncEngine,
    counter: StatementCounter,
    user: str,
    customer: str,
    number: str | None,
    code: str,
) -> None:
    async with world_apis(engine, counter) as (api,):
        body = await api.query(SET_NUMBER, {"c": customer, "n": number}, user=user)
        assert error_codes(body) == [code]
        assert await number_of(api, "c1", "rec") == "A-100"
        assert await number_of(api, "c3", "rec") is None
        assert await number_of(api, "c3", "other") == "A-200"
