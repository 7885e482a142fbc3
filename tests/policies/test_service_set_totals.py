"""totalCount for rules B and C from the service sets (data/service_sets.py): exact when
the viewer's grants reach one organizer (the sets' sum) and when they reach two (the
policy's keys counted with DISTINCT, in the same statement)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from support import Api, load_world, make_api
from tiny_worlds import tiny_world
from world_builder import World

from voucher_graph.data import models as m
from voucher_graph.data.engine import StatementCounter
from voucher_graph.data.service_sets import set_count_statement

TODAY = date(2028, 2, 29)
TOTAL = "{ customers(first: 1) { totalCount } }"


def world() -> World:
    """c1 s1; c2 s2 (o1) and s3 (o2); c3 s3; c4 s1 and s2; c5 s1 (o1) and s3 (o2).

    team1 (o1 STAFF, team naming s1) is also in a team of o2 naming s3: its grants
    reach two organizers, and c5 matches in both.
    """
    tiny = tiny_world()
    for customer, services in {
        "c1": ["s1"], "c2": ["s2", "s3"], "c3": ["s3"], "c4": ["s1", "s2"], "c5": ["s1", "s3"],
    }.items():  # fmt: skip
        tiny.customer(customer)
        for service in services:
            tiny.regular(f"pp-{customer}-{service}", customer, service)
    tiny.balance("pp-c4-s1-again", "c4", "s1")  # two vouchers of one service
    tiny.team("t3", "o2", ["s3"], ["team1"], name="S3")
    return tiny


@pytest.fixture
async def api(engine: AsyncEngine, counter: StatementCounter) -> AsyncIterator[Api]:
    await load_world(engine, world().raw)
    api = make_api(engine, counter, today=TODAY)
    yield api
    await api.client.aclose()


@pytest.mark.parametrize(
    ("user", "expected"),
    [
        ("admin1", 4),  # o1: c1, c2, c4, c5
        ("admin2", 3),  # o2: c2, c3, c5
        ("team2", 2),  # s2: c2, c4
        ("team1", 5),  # s1 or s3: c1, c4, c5 and c2, c3, c5 (c5 once)
        ("staff0", 0),  # no team: none
    ],
)
async def test_the_total_is_the_number_of_distinct_customers(
    api: Api, user: str, expected: int
) -> None:
    data = await api.data(TOTAL, user=user)
    assert data["customers"]["totalCount"] == expected


async def test_grants_of_two_organizers_cost_no_more_statements(
    api: Api, counter: StatementCounter
) -> None:
    counts = {}
    for user in ("team2", "team1"):  # the sets' sum; the DISTINCT count of the keys
        counter.reset()
        await api.data(TOTAL, user=user)
        counts[user] = counter.count
    assert counts["team1"] == counts["team2"], counts


def test_only_conditions_on_organizer_and_service_are_counted_by_sets() -> None:
    pp = m.PurchasingPower
    assert set_count_statement(select(pp.customer_id).where(pp.organizer_id == "o1")) is not None
    others = [
        select(pp.customer_id).where(pp.kind == "REGULAR"),  # a column a set does not have
        select(pp.id).where(pp.organizer_id == "o1"),  # not the customer
        select(pp.customer_id),  # no condition
        select(pp.customer_id).where(  # a subquery in the condition
            pp.organizer_id.in_(select(m.Service.organizer_id))
        ),
        select(m.ProviderCustomer.customer_id).where(m.ProviderCustomer.provider_id == "p1"),
        select(pp.customer_id)
        .join(m.Customer, m.Customer.id == pp.customer_id)
        .where(pp.organizer_id == "o1"),
    ]
    for keys in others:
        assert set_count_statement(keys) is None, keys
