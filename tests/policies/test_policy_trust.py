"""One policy you can trust: packaged, complete, keyed on what it reads, decided on real rows.

Policy variants (the packaged sources with a rule added or changed) show that the code
follows the policy instead of assumptions about it: a rule reading a viewer fact the
statement cache is not keyed on fails loudly; a rule reading more of an event or a
customer is decided on the real row.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import date
from typing import Any

import pytest
from polar.exceptions import PolarRuntimeError
from polar.ffi import PolarSource
from sqlalchemy.ext.asyncio import AsyncEngine
from support import SECRET, load_world
from tiny_worlds import tiny_world

from voucher_graph.app import Services
from voucher_graph.data import models as m
from voucher_graph.data.engine import session_factory
from voucher_graph.data.viewer import Grant, Viewer
from voucher_graph.policies.gate import Gate, StatementCache
from voucher_graph.policies.interface import Actor, PolicyError
from voucher_graph.policies.oso_setup import QUERIED_RULES, create_oso, policy_sources
from voucher_graph.schema.build import build_schema
from voucher_graph.settings import Settings

VIEWER = Viewer(
    id="u1",
    name="Anna",
    role="RECORDER",
    provider_id="p1",
    organizer_id=None,
    grants=(Grant("t1", "o1", "s1"),),
    today=date(2026, 11, 26),
    window_start=date(2023, 11, 26),
)
TODAY = date(2028, 2, 29)


def variant(
    *, add: str = "", replace_text: tuple[str, str] | None = None, drop: str | None = None
) -> list[PolarSource]:
    """The packaged sources, with `add` appended to customers.polar, one text replaced
    (it must occur), or one file dropped."""
    sources = []
    for source in policy_sources():
        if drop is not None and source.filename.endswith(drop):
            continue
        text = source.src
        if replace_text is not None and replace_text[0] in text:
            text = text.replace(*replace_text)
        if source.filename.endswith("customers.polar"):
            text += "\n" + add
        sources.append(PolarSource(text, source.filename))
    if replace_text is not None:
        assert any(replace_text[1] in s.src for s in sources), "the variant changed nothing"
    return sources


# -- packaged and complete -----------------------------------------------------------------


def test_the_policy_is_package_data_and_loads_every_queried_rule() -> None:
    names = [source.filename for source in policy_sources()]
    assert "polar/customers.polar" in names and "polar/events.polar" in names
    create_oso()  # raises if a rule the code queries were missing


def test_a_policy_lacking_a_queried_rule_refuses_to_load() -> None:
    with pytest.raises(PolicyError, match="may_read_report/3"):
        create_oso(variant(drop="reports.polar"))


def test_every_queried_rule_is_checked() -> None:
    for rule in QUERIED_RULES:
        sources = [
            PolarSource(s.src.replace(f"{rule}(", f"renamed_{rule}("), s.filename)
            for s in policy_sources()
        ]
        with pytest.raises(PolicyError, match=rule):
            create_oso(sources)


# -- the frozen actor and the statement cache -------------------------------------------------


def test_the_actor_holds_exactly_the_cache_key_facts() -> None:
    actor = Actor.of(VIEWER)
    with pytest.raises(AttributeError):
        actor.id  # type: ignore[attr-defined]  # noqa: B018
    with pytest.raises(AttributeError):
        actor.today  # type: ignore[attr-defined]  # noqa: B018
    with pytest.raises(AttributeError):
        actor.role = "ADMIN"  # type: ignore[misc]


def test_viewers_with_equal_facts_share_statements() -> None:
    cache = StatementCache(create_oso())
    other_user = replace(VIEWER, id="u9", name="Other", today=date(2026, 11, 27))
    first = Gate(cache.oso, VIEWER, cache).query("read", m.Customer)
    second = Gate(cache.oso, other_user, cache).query("read", m.Customer)
    assert first is second


def test_viewers_with_other_facts_get_their_own_statements() -> None:
    cache = StatementCache(create_oso())
    base = Gate(cache.oso, VIEWER, cache).query("read", m.Customer)
    for changed in (
        replace(VIEWER, provider_id="p2"),
        replace(VIEWER, role="REPORTER"),
        replace(VIEWER, grants=()),
        replace(VIEWER, grants=(Grant("t2", "o1", "s1"),)),
        replace(VIEWER, window_start=date(2023, 11, 27)),
    ):
        assert Gate(cache.oso, changed, cache).query("read", m.Customer) is not base


def test_a_rule_reading_the_viewer_id_cannot_produce_a_cross_user_statement() -> None:
    """The review's example: with this rule, viewer c2 was handed c1's cached filter."""
    oso = create_oso(
        variant(add="sees_customer(v: Viewer, customer: Customer) if customer.id = v.id;")
    )
    cache = StatementCache(oso)
    c1 = replace(VIEWER, id="c1")
    with pytest.raises(PolarRuntimeError, match="no attribute 'id'"):
        Gate(oso, c1, cache).query("read", m.Customer)
    # Nothing was cached for c1, so c2 (equal facts) fails the same way.
    with pytest.raises(PolarRuntimeError, match="no attribute 'id'"):
        Gate(oso, replace(VIEWER, id="c2"), cache).query("read", m.Customer)


# -- decisions on real rows ------------------------------------------------------------------


def test_event_rights_read_the_columns_the_rule_reads() -> None:
    cache = StatementCache(create_oso())
    actor = Actor.of(VIEWER)
    assert cache.fields_read(actor, "delete", m.Event) == ("provider_id",)
    assert cache.fields_read(Actor.of(replace(VIEWER, role="REPORTER")), "delete", m.Event) == ()
    strict = StatementCache(
        create_oso(
            variant(
                replace_text=(
                    'has_permission(viewer: Viewer, "delete", event: Event) if\n'
                    '  viewer.role = "RECORDER" and\n',
                    'has_permission(viewer: Viewer, "delete", event: Event) if\n'
                    '  viewer.role = "RECORDER" and\n  event.status != "UNDER_REVIEW" and\n',
                )
            )
        )
    )
    assert strict.fields_read(actor, "delete", m.Event) == ("provider_id", "status")


def test_identity_field_rules_read_nothing_of_the_customer() -> None:
    cache = StatementCache(create_oso())
    for role in ("RECORDER", "REPORTER", "ADMIN"):
        actor = Actor.of(replace(VIEWER, role=role))
        assert cache.field_rule_reads(actor, "read", m.Customer) == ()
        assert cache.field_rule_reads(actor, "search", m.Customer) == ()


async def _answer(engine: AsyncEngine, oso: Any, user: str, query: str) -> dict[str, Any]:
    settings = Settings(database_url=str(engine.url), jwt_secret=SECRET, today=TODAY)
    services = Services(settings=settings, engine=engine, sessions=session_factory(engine), oso=oso)
    results = {}
    for batched in (True, False):
        async with services.sessions() as session:
            context = await services.open_context(session, user, request_id="variant")
            assert context is not None
            result = await build_schema(batched=batched).execute(query, context_value=context)
            await session.rollback()
        results[batched] = (result.data, [e.message for e in result.errors or []])
    assert results[True] == results[False]
    data, errors = results[True]
    return {"data": data, "errors": errors}


@pytest.fixture(scope="module")
async def event_world(engine: AsyncEngine) -> AsyncIterator[None]:
    world = tiny_world()
    world.customer("c1", first="Maija")
    world.customer("c2", first="Matti")
    world.regular("pp1", "c1")
    world.regular("pp2", "c2")
    world.reservation("r1", "pp1", "p1")
    world.event("e1", "pp1", "2028-02-20", provider="p1", status="RECORDED")
    world.event("e2", "pp1", "2028-02-21", provider="p1", status="UNDER_REVIEW")
    world.event("e3", "pp2", "2028-02-21", provider="p1", status="RECORDED")
    await load_world(engine, world.raw)
    yield


EVENTS = "{ customers { edges { node { id firstName events { id deletable editable } } } } }"


def _rights(body: dict[str, Any]) -> dict[str, tuple[bool, bool]]:
    return {
        e["id"]: (e["editable"], e["deletable"])
        for edge in body["data"]["customers"]["edges"]
        for e in edge["node"]["events"]
    }


async def test_a_status_condition_in_the_delete_rule_is_honored(
    engine: AsyncEngine, event_world: None
) -> None:
    as_packaged = await _answer(engine, create_oso(), "rec1", EVENTS)
    assert _rights(as_packaged) == {"e1": (True, True), "e2": (False, True), "e3": (True, True)}
    strict = create_oso(
        variant(
            replace_text=(
                'has_permission(viewer: Viewer, "delete", event: Event) if\n'
                '  viewer.role = "RECORDER" and\n',
                'has_permission(viewer: Viewer, "delete", event: Event) if\n'
                '  viewer.role = "RECORDER" and\n  event.status != "UNDER_REVIEW" and\n',
            )
        )
    )
    assert _rights(await _answer(engine, strict, "rec1", EVENTS)) == {
        "e1": (True, True),
        "e2": (False, False),
        "e3": (True, True),
    }


async def test_a_field_rule_reading_the_customer_is_decided_per_customer(
    engine: AsyncEngine, event_world: None
) -> None:
    per_customer = create_oso(
        variant(
            replace_text=(
                'allow_field(viewer: Viewer, "read", _customer: Customer, field) if\n'
                '  field in ["firstName", "lastName", "ssn"] and\n  viewer.role != "REPORTER";',
                'allow_field(viewer: Viewer, "read", customer: Customer, field) if\n'
                '  field in ["firstName", "lastName", "ssn"] and\n  viewer.role != "REPORTER" and\n'
                '  customer.first_name = "Maija";',
            )
        )
    )
    body = await _answer(engine, per_customer, "rec1", EVENTS)
    names = {e["node"]["id"]: e["node"]["firstName"] for e in body["data"]["customers"]["edges"]}
    assert names == {"c1": "Maija", "c2": None}
    assert body["errors"] == ["firstName is not available to this role"]


def test_serve_refuses_an_incomplete_policy_by_name(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Any
) -> None:
    from voucher_graph import cli
    from voucher_graph.policies import oso_setup

    incomplete = variant(drop="reports.polar")
    monkeypatch.setattr(oso_setup, "policy_sources", lambda: incomplete)
    monkeypatch.setenv("VOUCHER_GRAPH_JWT_SECRET", SECRET)
    monkeypatch.setenv("VOUCHER_GRAPH_DATABASE_URL", f"sqlite:///{tmp_path}/refused.db")
    assert cli.main(["serve", "--port", "1"]) == 2
    assert "may_read_report/3" in capsys.readouterr().err
