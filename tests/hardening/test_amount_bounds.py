"""Amounts have a ceiling: an event beyond 9,999.99 units or 99,999.99 € per unit is
BAD_USER_INPUT, is not written, and statements keep sane totals."""

from __future__ import annotations

import pytest
from hostile import assert_graphql_answer
from sqlalchemy import func, select
from support import Api

from voucher_graph.data import models as m
from voucher_graph.data.engine import session_factory

RECORD = """mutation($u: Decimal!, $p: Decimal!) { recordEvent(input: {purchasingPowerId: "pp4",
  contentId: "k5", serviceDate: "2026-11-02", units: $u, unitPrice: $p}) { id price } }"""
EDIT = """mutation($id: ID!, $u: Decimal!, $p: Decimal!) { recordEvent(input: {id: $id,
  purchasingPowerId: "pp4", contentId: "k5", serviceDate: "2026-11-02", units: $u,
  unitPrice: $p}) { id price } }"""


async def event_count(api: Api) -> int:
    async with session_factory(api.engine)() as session:
        return int(await session.scalar(select(func.count()).select_from(m.Event)) or 0)


@pytest.mark.parametrize(
    ("units", "unit_price"),
    [("99999999.99", "99999999999.99"), ("10000", "1.00"), ("1", "100000.00")],
)
async def test_huge_amounts_are_refused_and_not_written(
    example_api: Api, units: str, unit_price: str
) -> None:
    before = await event_count(example_api)
    body = assert_graphql_answer(
        await example_api.post(RECORD, {"u": units, "p": unit_price}, user="u1")
    )
    assert body["data"] is None
    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "must be at most" in error["message"]  # refused for its size, nothing else
    assert await event_count(example_api) == before


async def test_the_ceilings_themselves_are_allowed_and_an_edit_cannot_exceed_them(
    example_api: Api,
) -> None:
    # 1 unit fits what is left of pp4's grant, so the event stays RECORDED and editable.
    small = await example_api.data(RECORD, {"u": "1", "p": "99999.99"}, user="u1")
    edited = await example_api.query(
        EDIT, {"id": small["recordEvent"]["id"], "u": "10000", "p": "1.00"}, user="u1"
    )
    [error] = edited["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["message"] == "units must be at most 9999.99"
    body = await example_api.query(RECORD, {"u": "9999.99", "p": "99999.99"}, user="u1")
    assert not body.get("errors"), body
    assert body["data"]["recordEvent"]["price"] == "999998900.00"  # the largest possible
    assert await example_api.data("{ me { id } }", user="u1") == {"me": {"id": "u1"}}
