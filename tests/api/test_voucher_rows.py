"""A voucher's rows (data/loaders.py `PP_ROWS`): a load asks by customer for the
vouchers of customers it is loading, by id for the others, and never leaves a voucher
it was asked for unloaded."""

from __future__ import annotations

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
