"""The read path end to end over the example world."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from support import Api


async def test_a_recorder_sees_its_customers_with_nested_lists(
    example_api: Api, example_world: dict[str, Any]
) -> None:
    data = await example_api.data(
        "{ me { id role } customers(first: 5) { totalCount edges { node { id firstName "
        "purchasingPowers { id } events { id price status } } } } }",
        user="u1",
    )
    assert data["me"] == {"id": "u1", "role": "RECORDER"}
    connection = data["customers"]
    nodes = [edge["node"] for edge in connection["edges"]]
    assert connection["totalCount"] >= len(nodes) == 5

    # The nested lists come back, and hold the customer's own rows of the world file.
    pps_of = {c["id"]: set() for c in example_world["customers"]}
    for pp in example_world["purchasingPowers"]:
        pps_of[pp["customerId"]].add(pp["id"])
    events = {e["id"]: e for e in example_world["events"]}
    for node in nodes:
        assert node["firstName"]
        own = pps_of[node["id"]]
        assert {pp["id"] for pp in node["purchasingPowers"]} <= own
        for event in node["events"]:
            stored = events[event["id"]]
            assert stored["purchasingPowerId"] in own
            assert not stored["deleted"]
            assert stored["providerId"] == "p1"  # u1 records for p1
            assert Decimal(event["price"]) >= 0
            assert event["status"] in {
                "RECORDED",
                "UNDER_REVIEW",
                "APPROVED",
                "REJECTED",
                "SETTLED",
                "CREDITED",
            }
    assert any(node["purchasingPowers"] for node in nodes)
    assert any(node["events"] for node in nodes)
    assert len({event["id"] for node in nodes for event in node["events"]}) > 5
