"""The statement cache may only key on what the policy reads of a viewer."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from pathlib import Path

from voucher_graph.data import models as m
from voucher_graph.data.viewer import POLICY_ATTRIBUTES, Grant, Viewer
from voucher_graph.policies.gate import Gate, StatementCache
from voucher_graph.policies.oso_setup import POLAR_DIR, create_oso

VIEWER = Viewer(
    id="u1",
    name="Anna",
    role="RECORDER",
    provider_id="p1",
    organizer_id=None,
    grants=(Grant("o1", "s1"),),
    today=date(2026, 11, 26),
    window_start=date(2023, 11, 26),
)


def test_the_policy_reads_no_viewer_attribute_outside_the_cache_key() -> None:
    read: set[str] = set()
    for path in Path(POLAR_DIR).glob("*.polar"):
        text = re.sub(r"#.*", "", path.read_text(encoding="utf-8"))
        read |= set(re.findall(r"\bviewer\.([a-z_]+)", text))
    assert read, "the policy should read the viewer"
    assert read <= set(POLICY_ATTRIBUTES)


def test_viewers_with_equal_policy_facts_share_statements() -> None:
    cache = StatementCache(create_oso())
    other_user = replace(VIEWER, id="u9", name="Other", today=date(2026, 11, 27))
    first = Gate(cache.oso, VIEWER, cache).query("read", m.Customer)
    second = Gate(cache.oso, other_user, cache).query("read", m.Customer)
    assert first is second


def test_viewers_with_other_policy_facts_get_their_own_statements() -> None:
    cache = StatementCache(create_oso())
    base = Gate(cache.oso, VIEWER, cache).query("read", m.Customer)
    for changed in (
        replace(VIEWER, provider_id="p2"),
        replace(VIEWER, role="REPORTER"),
        replace(VIEWER, grants=()),
        replace(VIEWER, window_start=date(2023, 11, 27)),
    ):
        assert Gate(cache.oso, changed, cache).query("read", m.Customer) is not base


def test_event_permissions_are_asked_once_per_provider() -> None:
    gate = Gate(create_oso(), VIEWER)
    assert gate.may_change_events_of("edit", "p1") is True
    assert gate.may_change_events_of("edit", "p2") is False
    reporter = Gate(gate.oso, replace(VIEWER, role="REPORTER"))
    assert reporter.may_change_events_of("delete", "p1") is False
