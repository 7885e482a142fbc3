"""The full nested read costs the same number of SQL statements for 10 customers as for 500."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from support import SECRET, TODAY, Api, load_world

from voucher_graph.app import create_app
from voucher_graph.data.engine import StatementCounter
from voucher_graph.settings import Settings
from voucher_graph.world.demo import demo_world

# Every nested list and computed field of the read side.
FULL = """query($first: Int!, $name: Boolean!) {
  customers(first: $first) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges {
      node {
        id
        firstName @include(if: $name)
        lastName @include(if: $name)
        ssn @include(if: $name)
        customerNumber
        purchasingPowers {
          id voucherNumber validFrom validTo organizerId service { id name organizerId }
          contents { content { id name unit } unitValue grantedUnits usedUnits }
        }
        balancePurchasingPowers {
          id voucherNumber service { id } grantedAmount usedAmount balance
        }
        reservations(includeEnded: true) { id purchasingPowerId providerId content { id } }
        current: reservations { id }
        events {
          id serviceDate units unitPrice description content { id unit }
          status settlementDate price voucherShare copay editable deletable
        }
      }
    }
  }
}"""

# (user, whether it may read names, page sizes whose statement counts must agree)
USERS = [
    ("o1-admin", True, (10, 200, 500)),
    ("o1-staff", True, (10, 200)),
    ("p1-recorder", True, (10, 200)),
    ("p1-reporter", False, (10, 200)),
]


@pytest.fixture(scope="module")
async def api(engine: AsyncEngine, counter: StatementCounter) -> AsyncIterator[Api]:
    # 1100 demo customers: each organizer's admin sees over 500 of them.
    await load_world(engine, demo_world(TODAY, customers=1100))
    # The default limits: a full page of 500 with every nested list must be allowed.
    settings = Settings(database_url=str(engine.url), jwt_secret=SECRET, today=TODAY)
    client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(settings, engine=engine)),
        base_url="http://test",
    )
    api = Api(client=client, counter=counter, engine=engine)
    yield api
    await api.client.aclose()


async def statements(api: Api, user: str, first: int, name: bool) -> tuple[int, int]:
    """SQL statements run for one full page, and the page's length."""
    api.counter.reset()
    body = await api.query(FULL, {"first": first, "name": name}, user=user)
    count = api.counter.count
    assert not body.get("errors")
    return count, len(body["data"]["customers"]["edges"])


@pytest.mark.parametrize(
    ("user", "name", "sizes"), [pytest.param(*row, id=row[0]) for row in USERS]
)
async def test_statement_count_does_not_grow_with_the_page(
    api: Api, user: str, name: bool, sizes: tuple[int, ...]
) -> None:
    counts = {}
    for first in sizes:
        count, length = await statements(api, user, first, name)
        assert length == first, f"{user} sees fewer than {first} customers"
        counts[first] = count
    assert len(set(counts.values())) == 1, counts
