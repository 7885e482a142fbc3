"""A root field that fails must not break its siblings' statements or the session."""

from __future__ import annotations

from support import Api

# `customers(first: 0)` fails at once; graphql-core then cancels the sibling fields,
# which are in the middle of their SQL statements.
FAILING_WITH_SIBLINGS = """{
  customers(first: 0) { totalCount }
  event(id: "e0001") { price deletable }
  settlementReport(organizerId: "o1", settlementDate: "2026-01-08") { total }
  other: customers(first: 5) { edges { node { id events { price status } } } }
}"""


async def test_a_failing_root_field_leaves_the_server_answering(example_api: Api) -> None:
    for _ in range(5):
        body = await example_api.query(FAILING_WITH_SIBLINGS, user="u1")
        codes = {e["extensions"]["code"] for e in body["errors"]}
        assert "BAD_USER_INPUT" in codes
        assert "INTERNAL_SERVER_ERROR" not in codes
    data = await example_api.data("{ me { id } customers(first: 2) { totalCount } }", user="u1")
    assert data["me"] == {"id": "u1"}
