"""The plans of the statements a customers search runs (EXPLAIN, never ANALYZE): shared
by the plan tests over the demo world and over a generated one."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from support import TODAY

from voucher_graph.data.engine import session_factory
from voucher_graph.data.search import CustomerSearch, encode_cursor, search_customers
from voucher_graph.data.viewer import load_viewer
from voucher_graph.domain.dates import window_start
from voucher_graph.policies.gate import Gate


def _walk(node: dict[str, Any], init_plans: bool = True) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("Plans", ()):
        if init_plans or child.get("Parent Relationship") != "InitPlan":
            yield from _walk(child, init_plans)


class Plan:
    """One statement's plan: its nodes (EXPLAIN's JSON objects) and total cost."""

    def __init__(self, root: dict[str, Any]) -> None:
        self.cost: float = root["Total Cost"]
        self.nodes = list(_walk(root))
        # The nodes that run unconditionally: an InitPlan runs only when its value is
        # asked for (a CASE branch, say); with ANALYZE its "Actual Loops" tells.
        self.main_nodes = list(_walk(root, init_plans=False))
        self.init_plans = [n for n in self.nodes if n.get("Parent Relationship") == "InitPlan"]

    def types(self) -> set[str]:
        return {n["Node Type"] for n in self.nodes}

    def indexes(self) -> set[str]:
        return {n["Index Name"] for n in self.nodes if "Index Name" in n}

    def relations(self) -> set[str]:
        return {n["Relation Name"] for n in self.nodes if "Relation Name" in n}

    def seq_scans(self) -> set[str]:
        return {n["Relation Name"] for n in self.nodes if n["Node Type"] == "Seq Scan"}

    def __repr__(self) -> str:
        return repr(
            [(n["Node Type"], n.get("Relation Name"), n.get("Index Name")) for n in self.nodes]
        )


async def explain(
    session: AsyncSession, statement: str, params: Any, *, analyze: bool = False
) -> Plan:
    """The plan; with `analyze`, run too, for the rows and loops each node really had
    (timing off: plans, never times)."""
    connection = await session.connection()
    options = "ANALYZE, TIMING OFF, FORMAT JSON" if analyze else "FORMAT JSON"
    result = await connection.exec_driver_sql(f"EXPLAIN ({options}) " + statement, params)
    raw = result.scalar_one()
    return Plan((json.loads(raw) if isinstance(raw, str) else raw)[0]["Plan"])


async def search_plans(
    engine: AsyncEngine,
    oso: Any,
    user: str,
    search: CustomerSearch,
    *,
    first: int,
    next_page: bool = False,
    settings: Sequence[str] = (),
    analyze: bool = False,
    capped: int | None = None,
) -> list[Plan]:
    """The plan of every statement the search runs for `user` (with `next_page`, for
    the page after the first), `settings` (`SET LOCAL ...`) applied first; with
    `analyze`, as run (EXPLAIN ANALYZE without timing); with `capped`, the total is
    totalCountAtMost's."""
    captured: list[tuple[str, Any]] = []

    def capture(_c: Any, _cur: Any, statement: str, params: Any, _ctx: Any, _many: bool) -> None:
        captured.append((statement, params))

    async with session_factory(engine)() as session:
        for setting in settings:
            await session.execute(text(setting))
        viewer = await load_viewer(session, user, today=TODAY, window_start=window_start(TODAY))
        assert viewer is not None
        scopes = Gate(oso, viewer).scopes
        after = None
        if next_page:
            page = await search_customers(
                session, scopes.customers, scopes.purchasing_powers, search, first=first,
                after=None,
            )  # fmt: skip
            after = encode_cursor(page.customers[-1])
        event.listen(engine.sync_engine, "before_cursor_execute", capture)
        try:
            page = await search_customers(
                session, scopes.customers, scopes.purchasing_powers, search, first=first,
                after=after,
            )  # fmt: skip
            if capped is None:
                await page.total()  # as when totalCount is selected
            else:
                await page.capped_total(capped)  # totalCountAtMost(atMost: capped)
        finally:
            event.remove(engine.sync_engine, "before_cursor_execute", capture)
        return [
            await explain(session, statement, params, analyze=analyze)
            for statement, params in captured
        ]
