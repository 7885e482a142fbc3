"""One vocabulary: the GraphQL enums and the world model name what the domain defines."""

from __future__ import annotations

from voucher_graph.domain.amounts import WorkflowStatus
from voucher_graph.domain.settlement import SETTLED
from voucher_graph.schema.enums import EventStatus
from voucher_graph.world.model import WORKFLOW_STATUSES


def test_event_status_is_the_workflow_statuses_and_settled() -> None:
    # The schema's enum mirrors the contract's order; its values are the domain's.
    assert {s.value for s in EventStatus} == {s.value for s in WorkflowStatus} | {SETTLED}
    assert set(WORKFLOW_STATUSES) == {s.value for s in WorkflowStatus}
