"""A voucher's rows (data/loaders.py `PP_ROWS`): a load asks by customer for the
vouchers of customers it is loading, by id for the others, and never leaves a voucher
it was asked for unloaded."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from support import TODAY, load_world

from voucher_graph.data import models as m
from voucher_graph.data.engine import session_factory
from voucher_graph.data.loaders import Loaders
from voucher_graph.data.viewer import load_viewer
from voucher_graph.domain.dates import window_start
from voucher_graph.policies.gate import Gate
from voucher_graph.policies.oso_setup import create_oso
from voucher_graph.world.demo import demo_world


async def test_a_voucher_that_did_not_come_with_its_customer_is_asked_for_by_id(
    engine: AsyncEngine,
) -> None:
    # An event names its voucher's customer (every writer derives it), so a voucher met
    # through an event is left to that customer's rows. Should an event ever name
    # another customer, the voucher does not come with those rows: it is then asked
    # for by id, and loaded, rather than taken for a voucher that does not exist.
    await load_world(engine, demo_world(TODAY, customers=20))
    async with session_factory(engine)() as session:
        viewer = await load_viewer(
            session, "o1-admin", today=TODAY, window_start=window_start(TODAY)
        )
        assert viewer is not None
        voucher = (await session.execute(select(m.PurchasingPower).limit(1))).scalar_one()
        voucher_id, owner = voucher.id, voucher.customer_id
        other = (
            await session.execute(select(m.Customer.id).where(m.Customer.id != owner).limit(1))
        ).scalar_one()
        loaders = Loaders(session, Gate(create_oso(), viewer).scopes)
        loaders._pp_customer[voucher_id] = other  # as such an event would have taught it
        loaders.remember_customers([other])
        loaded = await loaders.pp_rows([voucher_id])
    assert loaded[voucher_id] is not None and loaded[voucher_id].customer_id == owner


# A page reads its vouchers' rows before its events lists (schema/batch_fields.py
# `_customer_lists_ahead`), each statement seeing the database as it began.
PAGE_WITH_AMOUNTS = """{ customers(first: 10) { edges { node {
  id events { id price voucherShare copay }
  purchasingPowers { id contents { usedUnits } }
} } } }"""


async def test_an_event_recorded_between_the_vouchers_rows_and_the_events_list_has_amounts(
    example_api: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Another request records an event on a listed customer's existing voucher after
    # the page read that voucher's rows and before it reads the events: the event is
    # listed, its voucher's rows lack it. The page still answers, with the amounts a
    # later request computes for it.
    api = example_api
    listing = Loaders._read_together
    recorded: list[str] = []

    async def record_first(self: Loaders, customer_ids: list[str], *args: Any) -> None:
        if not recorded:
            assert self._pp_load is not None  # the vouchers' rows were asked for first
            await asyncio.shield(self._pp_load)  # and are read before the lists are
            async with api.engine.begin() as connection:
                row = (
                    (
                        await connection.execute(
                            select(m.Event.__table__)
                            .where(
                                m.Event.customer_id.in_(customer_ids), m.Event.deleted.is_(False)
                            )
                            .limit(1)
                        )
                    )
                    .mappings()
                    .one()
                )
                copy = {**row, "id": "e-recorded-meanwhile", "idempotency_key": None}
                await connection.execute(m.Event.__table__.insert().values(copy))
            recorded.append(str(row["customer_id"]))
        await listing(self, customer_ids, *args)

    monkeypatch.setattr(Loaders, "_read_together", record_first)
    query = PAGE_WITH_AMOUNTS.replace("events {", "reservations { id } events {")
    during = await api.query(query, user="u10")  # an organizer ADMIN
    assert recorded and not during.get("errors"), during.get("errors")
    monkeypatch.setattr(Loaders, "_read_together", listing)
    after = await api.query(query, user="u10")  # an organizer ADMIN
    assert not after.get("errors")

    def event(body: dict[str, Any]) -> dict[str, Any]:
        nodes = [edge["node"] for edge in body["data"]["customers"]["edges"]]
        found = [e for n in nodes for e in n["events"] if e["id"] == "e-recorded-meanwhile"]
        assert len(found) == 1
        return found[0]

    assert event(during) == event(after)
