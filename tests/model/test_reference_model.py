"""Random small worlds, loaded through the real loader: every user's answers match the model.

For each world and each user, one `customers(first: 500)` query with every nested list,
the same list paged three customers at a time, name searches paged two at a time, then
`customer(id)` for every customer and `event(id)` for every event of the world (as
aliases of one request), all compared with `reference.Reference`, written from
DOMAIN.md alone.
HYPOTHESIS_MAX_EXAMPLES overrides the number of worlds (40 by default).
"""

from __future__ import annotations

import os
import re
from datetime import date
from typing import Any

from hypothesis import HealthCheck, event, example, given, settings
from reference import Reference, money
from strategies import boundary_world, worlds
from support import Api, Apis, load_world

EVENT_FIELDS = "id status settlementDate price voucherShare copay"
EVERYTHING = f"""
query Everything {{
  customers(first: 500) {{
    totalCount
    edges {{ node {{
      id firstName lastName ssn customerNumber
      purchasingPowers {{ id contents {{ content {{ id }} usedUnits }} }}
      balancePurchasingPowers {{ id usedAmount balance }}
      reservations {{ id }}
      ended: reservations(includeEnded: true) {{ id }}
      events {{ {EVENT_FIELDS} }}
    }} }}
  }}
}}
"""
NAME_FIELDS = ("firstName", "lastName", "ssn")
BATCH = 25  # aliases per lookup request, under the API's alias limit

MODEL_SETTINGS = settings(
    max_examples=int(os.environ.get("HYPOTHESIS_MAX_EXAMPLES", "40")),
    deadline=None,
    database=None,  # no example database in the work tree
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)


def event_json(model: Reference, event_id: str) -> dict[str, Any]:
    facts = model.facts[event_id]
    return {
        "id": event_id,
        "status": facts.status,
        "settlementDate": None
        if facts.settlement_date is None
        else facts.settlement_date.isoformat(),
        "price": money(facts.price),
        "voucherShare": money(facts.voucher_share),
        "copay": money(facts.copay),
    }


def expected_customer(model: Reference, user_id: str, customer_id: str) -> dict[str, Any]:
    """The model's answer for one customer node, lists as sorted id lists where unordered."""
    view = model.view(user_id, customer_id)
    customer = model.customers[customer_id]
    return {
        "id": customer_id,
        **{f: customer[f] if view.names_readable else None for f in NAME_FIELDS},
        "customerNumber": view.customer_number,
        "purchasingPowers": {
            power_id: {
                c["contentId"]: money(model.used_units(power_id, c["contentId"]))
                for c in model.powers[power_id]["contents"]
            }
            for power_id in view.regular_powers
        },
        "balancePurchasingPowers": {
            power_id: (money(model.used_amount(power_id)), money(model.balance(power_id)))
            for power_id in view.balance_powers
        },
        "reservations": sorted(view.current_reservations),
        "ended": sorted(view.all_reservations),
        "events": [event_json(model, event_id) for event_id in view.events],
    }


def observed_customer(node: dict[str, Any]) -> dict[str, Any]:
    """The API's node in the shape of `expected_customer`."""
    return {
        "id": node["id"],
        **{f: node[f] for f in NAME_FIELDS},
        "customerNumber": node["customerNumber"],
        "purchasingPowers": {
            p["id"]: {c["content"]["id"]: c["usedUnits"] for c in p["contents"]}
            for p in node["purchasingPowers"]
        },
        "balancePurchasingPowers": {
            p["id"]: (p["usedAmount"], p["balance"]) for p in node["balancePurchasingPowers"]
        },
        "reservations": sorted(r["id"] for r in node["reservations"]),
        "ended": sorted(r["id"] for r in node["ended"]),
        "events": node["events"],
    }


def error_codes(body: dict[str, Any]) -> set[tuple[tuple[Any, ...], str]]:
    return {
        (tuple(error.get("path") or ()), (error.get("extensions") or {}).get("code"))
        for error in body.get("errors") or []
    }


async def check_customers(api: Api, model: Reference, user_id: str) -> None:
    body = await api.query(EVERYTHING, user=user_id)
    assert body.get("data") is not None, body.get("errors")
    visible = model.visible_customers(user_id)
    order = model.customer_order(visible)
    connection = body["data"]["customers"]
    nodes = [edge["node"] for edge in connection["edges"]]
    where = f"user {user_id}, today {model.today}"
    assert [node["id"] for node in nodes] == order, where
    assert connection["totalCount"] == len(order), where
    for node in nodes:
        assert observed_customer(node) == expected_customer(model, user_id, node["id"]), where
    names_hidden = model.users[user_id]["role"] == "REPORTER"
    expected_errors = {
        (("customers", "edges", index, "node", field), "FORBIDDEN")
        for index in range(len(nodes))
        for field in NAME_FIELDS
        if names_hidden
    }
    assert error_codes(body) == expected_errors, where


async def lookup(
    api: Api, user_id: str, wanted: list[tuple[str, str, list[str]]]
) -> dict[tuple[str, str], Any]:
    """`field(id:) { selection }` for each (field, selection, ids) and id, as aliases in
    batches of BATCH (customers and events share a request); the answers by (field, id)."""
    asks = [(field, selection, ident) for field, selection, ids in wanted for ident in ids]
    answers: dict[tuple[str, str], Any] = {}
    for start in range(0, len(asks), BATCH):
        batch = asks[start : start + BATCH]
        params = ", ".join(f"$i{n}: ID!" for n in range(len(batch)))
        parts = " ".join(
            f"i{n}: {field}(id: $i{n}) {{ {selection} }}"
            for n, (field, selection, _) in enumerate(batch)
        )
        variables = {f"i{n}": ident for n, (_, _, ident) in enumerate(batch)}
        data = await api.data(f"query Lookup({params}) {{ {parts} }}", variables, user=user_id)
        answers.update({(field, ident): data[f"i{n}"] for n, (field, _, ident) in enumerate(batch)})
    return answers


async def check_lookups(api: Api, model: Reference, user_id: str) -> None:
    where = f"user {user_id}, today {model.today}"
    visible = model.visible_customers(user_id)
    seen = model.visible_events(user_id)
    answers = await lookup(
        api,
        user_id,
        [
            ("customer", "id", sorted(model.customers)),
            ("event", EVENT_FIELDS, sorted(model.events)),
        ],
    )
    customers = {c: answers["customer", c] for c in model.customers}
    expected = {c: ({"id": c} if c in visible else None) for c in model.customers}
    assert customers == expected, where
    events = {e: answers["event", e] for e in model.events}
    expected = {e: (event_json(model, e) if e in seen else None) for e in model.events}
    assert events == expected, where


async def check_total(api: Api, model: Reference, user_id: str) -> None:
    """`totalCount` when the first page is not the whole answer: then it is counted by a
    statement of its own (for rules B and C, from the service sets), not read off the page."""
    data = await api.data("{ customers(first: 1) { totalCount } }", user=user_id)
    expected = len(model.visible_customers(user_id))
    assert data["customers"]["totalCount"] == expected, f"user {user_id}, today {model.today}"


PAGE = """query Page($after: String) {
  customers(first: 3, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { id } }
  }
}"""


async def check_pages(api: Api, model: Reference, user_id: str) -> None:
    """The same list three customers at a time, each page after the last one's cursor:
    every visible customer once, in order, and every page's `totalCount` the whole
    answer's (a next page on PostgreSQL: an organizer user's walks its organizer's
    rows, a provider's the name order)."""
    order = model.customer_order(model.visible_customers(user_id))
    where = f"user {user_id}, today {model.today}"
    await check_paged(api, PAGE, {}, user_id, order, where)


async def check_paged(
    api: Api, query: str, variables: dict[str, Any], user_id: str, order: list[str], where: str
) -> None:
    """`query`'s customers page after page, each after the last one's cursor: `order`,
    every customer once, and every page's `totalCount` the whole answer's."""
    seen: list[str] = []
    after = None
    while True:
        data = await api.data(query, {**variables, "after": after}, user=user_id)
        connection = data["customers"]
        seen += [edge["node"]["id"] for edge in connection["edges"]]
        assert connection["totalCount"] == len(order), where
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]
        assert len(seen) < len(order), where  # a next page promised past the end
    assert seen == order, where


NAME_PAGE = """query Names($name: String!, $after: String) {
  customers(name: $name, first: 2, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { id } }
  }
}"""
# Three letters (the word tables' prefix index on PostgreSQL: "vir" is both words of a
# "Virta Virtanen", who is one customer all the same), fewer (the general statement),
# Finnish letters, and a whole word.
NAME_PREFIXES = ("vir", "ann", "mäk", "äij", "a", "zo", "matti")


def name_matches(model: Reference, user_id: str, prefix: str) -> list[str]:
    """The visible customers with a name word starting with `prefix`, in list order:
    names are lower-cased and split at white space and hyphens into words."""
    visible = model.visible_customers(user_id)
    matching = {
        customer_id
        for customer_id in visible
        if any(
            word.startswith(prefix)
            for name in (
                model.customers[customer_id]["firstName"],
                model.customers[customer_id]["lastName"],
            )  # fmt: skip
            for word in re.split(r"[\s-]+", name.lower())
        )
    }
    return model.customer_order(matching)


async def check_name_searches(api: Api, model: Reference, user_id: str) -> None:
    """Every name search two customers a page, each page after the last one's cursor:
    the matching visible customers once each, in order, with the whole answer's total."""
    for prefix in NAME_PREFIXES:
        expected = name_matches(model, user_id, prefix)
        where = f"user {user_id}, today {model.today}, name {prefix!r}"
        await check_paged(api, NAME_PAGE, {"name": prefix}, user_id, expected, where)


async def check_world(apis: Apis, world: dict[str, Any], today: date) -> None:
    """Load the world and compare every user's answers with the model."""
    await load_world(apis.engine, world)
    model = Reference(world, today)
    # Shown by --hypothesis-show-statistics: how often the interesting cases come up.
    event(f"today {today}")
    event(f"statuses {sorted({facts.status for facts in model.facts.values()})}")
    api = apis.get(today)
    for user_id in model.users:
        await check_customers(api, model, user_id)
        await check_total(api, model, user_id)
        if len(model.visible_customers(user_id)) > 3:
            await check_pages(api, model, user_id)
        if model.users[user_id]["role"] != "REPORTER":  # a REPORTER cannot search by name
            await check_name_searches(api, model, user_id)
        await check_lookups(api, model, user_id)


@MODEL_SETTINGS
@given(case=worlds())
@example(case=boundary_world(date(2028, 2, 29)))
@example(case=boundary_world(date(2026, 11, 26)))
async def test_every_user_sees_what_the_domain_rules_say(
    apis: Apis, case: tuple[dict[str, Any], date]
) -> None:
    world, today = case
    await check_world(apis, world, today)
