"""`CustomerConnection.totalCountAtMost(atMost)`: the total counted no further than a
bound, so that a list of a hundred thousand customers can say "10000+" at the cost of
10,000 (data/search.py, `capped_total`). `count` is min(total, atMost) and `isExact`
says whether it is the total, for every role, search, page and cursor; `totalCount`
itself is checked against an independent model of the rules elsewhere (tests/model).
"""

from __future__ import annotations

from typing import Any

import pytest
from support import Api

QUERY = """query($name: String, $voucherNumber: String, $first: Int, $after: String,
                 $atMost: Int!) {
  customers(name: $name, voucherNumber: $voucherNumber, first: $first, after: $after) {
    totalCount
    totalCountAtMost(atMost: $atMost) { count isExact }
    pageInfo { endCursor }
  }
}"""

USERS = ["u1", "u2", "u10", "u11"]  # the example world's RECORDER, REPORTER, ADMIN, STAFF
SEARCHES: list[dict[str, Any]] = [
    {}, {"name": "a"}, {"name": "ko"}, {"voucherNumber": "VAN-2025-00001"},
]  # fmt: skip


@pytest.mark.parametrize("user", USERS)
async def test_the_capped_count_is_the_total_up_to_the_bound(example_api: Api, user: str) -> None:
    checked = capped = 0
    for search in SEARCHES:
        if "name" in search and user == "u2":
            continue  # a REPORTER may not search by name
        for first in (1, 3, 50):
            after = None
            for _page in range(2):  # the first page, then the next (a cursor)
                for at_most in (1, 2, 5, 1000):
                    variables = {**search, "first": first, "after": after, "atMost": at_most}
                    found = (await example_api.data(QUERY, variables, user=user))["customers"]
                    total = found["totalCount"]
                    assert found["totalCountAtMost"] == {
                        "count": min(total, at_most),
                        "isExact": total <= at_most,
                    }, (search, first, after, at_most)
                    checked += 1
                    capped += total > at_most
                after = found["pageInfo"]["endCursor"]
                if after is None:
                    break
    # Not vacuous: some answers were capped, and some were exact.
    assert 0 < capped < checked


@pytest.mark.parametrize("at_most", [0, -5, 1_000_001])
async def test_a_bound_out_of_range_is_bad_user_input(example_api: Api, at_most: int) -> None:
    body = await example_api.query(QUERY, {"atMost": at_most}, user="u10")
    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "atMost must be between 1 and 1000000" in error["message"]


async def test_the_default_bound_is_ten_thousand(example_api: Api) -> None:
    data = await example_api.data(
        "{ customers(first: 1) { totalCount totalCountAtMost { count isExact } } }", user="u10"
    )
    total = data["customers"]["totalCount"]
    assert data["customers"]["totalCountAtMost"] == {"count": total, "isExact": total <= 10_000}
