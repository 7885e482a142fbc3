"""Explaining access over random worlds, against the independent model (reference.py).

For every user and customer: `customer(id) { access }` is the model's list of reasons
(so non-empty exactly when the customer is visible, and absent otherwise), with `until`
exact at the window's edges (29 February among the todays drawn). For every ADMIN and
customer it sees by rule C: `whoCanSee` is the model's list of holders; every holder's
user really sees the customer, and no user outside the holders sees it through the
organizer's purchasing powers. Others get FORBIDDEN, an unseen customer NOT_FOUND.
(test_executor_differential.py asks the same fields of both executors.)
"""

from __future__ import annotations

import os
from datetime import date, timedelta
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from reference import AccessModel, last_day_holding, window_start
from sqlalchemy.ext.asyncio import AsyncEngine
from strategies import boundary_world, worlds
from support import Api, Apis, load_world, make_api

from voucher_graph.data.engine import StatementCounter
from voucher_graph.domain.dates import last_day_in_window

REASON = "rule providerId eventId reservationId teamId serviceId organizerId until"
HOLDER = "rule providerId teamId serviceId organizerId userIds until"
BATCH = 25

ACCESS_SETTINGS = settings(
    max_examples=int(os.environ.get("HYPOTHESIS_MAX_EXAMPLES", "25")),
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)


def test_until_is_the_last_day_whose_window_holds_the_date() -> None:
    examples = {
        date(2025, 2, 28): date(2028, 2, 29),  # held on 29 Feb 2028, whose window starts 28 Feb
        date(2025, 3, 1): date(2028, 3, 1),
        date(2025, 2, 27): date(2028, 2, 27),
        date(2024, 2, 29): date(2027, 2, 28),
        date(2023, 2, 28): date(2026, 2, 28),
        date(2023, 11, 26): date(2026, 11, 26),
    }
    for day, until in examples.items():
        assert last_day_in_window(day) == until == last_day_holding(day)
    day = date(2020, 1, 1)
    while day < date(2029, 1, 1):
        until = last_day_in_window(day)
        assert window_start(until) <= day < window_start(until + timedelta(days=1))
        day += timedelta(days=1)


async def _lookup(api: Api, user: str, ids: list[str]) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for start in range(0, len(ids), BATCH):
        batch = ids[start : start + BATCH]
        params = ", ".join(f"$i{n}: ID!" for n in range(len(batch)))
        parts = " ".join(
            f"i{n}: customer(id: $i{n}) {{ id access {{ {REASON} }} }}" for n in range(len(batch))
        )
        variables = {f"i{n}": ident for n, ident in enumerate(batch)}
        data = await api.data(f"query Lookup({params}) {{ {parts} }}", variables, user=user)
        answers.update({ident: data[f"i{n}"] for n, ident in enumerate(batch)})
    return answers


async def check_access(api: Api, model: AccessModel, user: str) -> None:
    where = f"user {user}, today {model.today}"
    visible = model.visible_customers(user)
    answers = await _lookup(api, user, sorted(model.customers))
    for customer in model.customers:
        expected = model.access(user, customer)
        assert bool(expected) == (customer in visible), where
        if customer in visible:
            assert answers[customer] == {"id": customer, "access": expected}, where
        else:
            assert answers[customer] is None, where
    # A page answers as the lookups did (one batch for the whole level).
    page = await api.data(
        f"{{ customers(first: 500) {{ edges {{ node {{ id access {{ {REASON} }} }} }} }} }}",
        user=user,
    )
    for edge in page["customers"]["edges"]:
        assert edge["node"] == answers[edge["node"]["id"]], where


async def check_who_can_see(api: Api, model: AccessModel, user: str) -> None:
    where = f"user {user}, today {model.today}"
    visible = model.visible_customers(user)
    for customer in sorted(model.customers):
        body = await api.query(
            f"query($c: ID!) {{ whoCanSee(customerId: $c) {{ {HOLDER} }} }}",
            {"c": customer},
            user=user,
        )
        codes = [(e.get("extensions") or {}).get("code") for e in body.get("errors") or []]
        if customer not in visible:
            assert codes == ["NOT_FOUND"], where
            continue
        if not model.admin_sees_by_rule_c(user, customer):
            assert codes == ["FORBIDDEN"], where
            continue
        assert codes == [], where
        holders = body["data"]["whoCanSee"]
        assert holders == model.who_can_see(user, customer), f"{where}, customer {customer}"
        organizer = model.users[user]["organizerId"]
        holding = {u for h in holders for u in h["userIds"]}
        for other in model.users:
            sees = model.sees_through(other, customer, organizer)
            assert sees == (other in holding), f"{where}, customer {customer}, other {other}"
            if other in holding:
                assert customer in model.visible_customers(other), where


async def check_world(apis: Apis, world: dict[str, Any], today: date) -> None:
    await load_world(apis.engine, world)
    model = AccessModel(world, today)
    api = apis.get(today)
    for user in model.users:
        await check_access(api, model, user)
        if model.users[user]["role"] in ("ADMIN", "RECORDER", "STAFF"):
            await check_who_can_see(api, model, user)


@ACCESS_SETTINGS
@given(case=worlds())
@example(case=boundary_world(date(2028, 2, 29)))
@example(case=boundary_world(date(2026, 11, 26)))
@example(case=boundary_world(date(2027, 2, 28)))
async def test_access_and_holders_are_what_the_domain_says(
    apis: Apis, case: tuple[dict[str, Any], date]
) -> None:
    world, today = case
    await check_world(apis, world, today)


async def test_access_costs_one_statement_per_level(
    engine: AsyncEngine, counter: StatementCounter
) -> None:
    world, today = boundary_world(date(2028, 2, 29))
    await load_world(engine, world)
    api = make_api(engine, counter, today)
    try:
        for user in ("r-p1", "admin-o1", "staff-o2"):
            counts = {}
            for selection in ("id", f"id access {{ {REASON} }}"):
                counter.reset()
                page = f"{{ customers {{ edges {{ node {{ {selection} }} }} }} }}"
                await api.data(page, user=user)
                counts[selection] = counter.count
            assert counts[f"id access {{ {REASON} }}"] == counts["id"] + 1, (user, counts)
        # whoCanSee: the viewer, the customer, the admin's own reasons, the candidates
        # with their grants, and every candidate's reasons: five, whoever holds what.
        for customer in ("c1", "c2", "C6"):
            counter.reset()
            await api.data(
                f'{{ whoCanSee(customerId: "{customer}") {{ rule userIds }} }}', user="admin-o1"
            )
            assert counter.count == 5, customer
    finally:
        await api.client.aclose()
