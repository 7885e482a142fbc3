"""The read path end to end over the example world."""

from __future__ import annotations

from support import Api


async def test_a_recorder_sees_its_customers_with_nested_lists(example_api: Api) -> None:
    data = await example_api.data(
        "{ me { id role } customers(first: 5) { totalCount edges { node { id firstName "
        "purchasingPowers { id } events { id price status } } } } }",
        user="u1",
    )
    assert data["me"] == {"id": "u1", "role": "RECORDER"}
    assert data["customers"]["totalCount"] > 0
