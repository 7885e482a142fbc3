"""The service sets (models.ServiceSet) as `load` writes them and migration 0007 builds
them: each organizer's customers grouped by the exact set of its services they hold,
computed here again from the world file alone."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine
from support import downgraded_to, fetch_all, load_world

SETS = (
    "SELECT s.id, s.organizer_id, s.customer_count, m.service_id, m.organizer_id"
    " FROM service_sets s JOIN service_set_members m ON m.set_id = s.id"
    " ORDER BY s.id, m.service_id"
)


async def rows(engine: AsyncEngine) -> list[tuple[Any, ...]]:
    return await fetch_all(engine, SETS)


def sets_of(found: list[tuple[Any, ...]]) -> Counter[tuple[str, frozenset[str]]]:
    members: dict[int, tuple[str, int, set[str]]] = {}
    for set_id, organizer_id, count, service_id, member_organizer in found:
        assert member_organizer == organizer_id
        members.setdefault(set_id, (organizer_id, count, set()))[2].add(service_id)
    return Counter({(o, frozenset(s)): count for o, count, s in members.values()})


def expected_sets(world: dict[str, Any]) -> Counter[tuple[str, frozenset[str]]]:
    services: dict[tuple[str, str], set[str]] = {}
    for pp in world["purchasingPowers"]:
        services.setdefault((pp["organizerId"], pp["customerId"]), set()).add(pp["serviceId"])
    return Counter((organizer, frozenset(s)) for (organizer, _c), s in services.items())


async def test_each_organizers_customers_are_grouped_by_their_services(
    engine: AsyncEngine, example_world: dict[str, Any]
) -> None:
    await load_world(engine, example_world)
    found = sets_of(await rows(engine))
    assert found == expected_sets(example_world)
    assert len(found) < sum(found.values())  # sets are shared, or they would save nothing


async def test_upgrading_an_existing_database_builds_the_sets(
    engine: AsyncEngine, example_world: dict[str, Any]
) -> None:
    await load_world(engine, example_world)
    expected = await rows(engine)
    async with downgraded_to(engine, "0006") as tables:
        assert not {"service_sets", "service_set_members"} & tables
    assert await rows(engine) == expected


# organizer_customers (migration 0011): one row per (organizer, customer) pair of the
# purchasing powers, in the set of exactly the pair's services, with the customer's
# ordering keys; an organizer user's list pages through these rows (data/search.py).
PAIRS = (
    "SELECT p.organizer_id, p.customer_id, p.set_id, p.last_name_lower, p.first_name_lower,"
    " c.last_name_lower, c.first_name_lower"
    " FROM organizer_customers p JOIN customers c ON c.id = p.customer_id"
    " ORDER BY p.organizer_id, p.customer_id"
)


async def pair_rows(engine: AsyncEngine) -> list[tuple[Any, ...]]:
    return await fetch_all(engine, PAIRS)


async def test_each_organizer_customer_pair_is_one_row_in_the_set_of_its_services(
    engine: AsyncEngine, example_world: dict[str, Any]
) -> None:
    await load_world(engine, example_world)
    members: dict[int, tuple[str, frozenset[str]]] = {}
    for set_id, organizer_id, _count, service_id, _member_organizer in await rows(engine):
        organizer, services = members.get(set_id, (organizer_id, frozenset()))
        members[set_id] = (organizer, services | {service_id})
    expected: dict[tuple[str, str], set[str]] = {}
    for pp in example_world["purchasingPowers"]:
        expected.setdefault((pp["organizerId"], pp["customerId"]), set()).add(pp["serviceId"])
    found = await pair_rows(engine)
    assert [(o, c) for o, c, *_ in found] == sorted(expected)  # one row per pair
    for organizer, customer, set_id, last, first, customer_last, customer_first in found:
        assert members[set_id] == (organizer, frozenset(expected[(organizer, customer)]))
        assert (last, first) == (customer_last, customer_first)


async def test_upgrading_to_0011_builds_the_organizer_customers(
    engine: AsyncEngine, example_world: dict[str, Any]
) -> None:
    await load_world(engine, example_world)
    expected = await pair_rows(engine)
    assert expected
    async with downgraded_to(engine, "0010") as tables:
        assert "organizer_customers" not in tables
    assert await pair_rows(engine) == expected
