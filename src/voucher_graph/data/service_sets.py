"""Service sets: an exact count of the customers that rules B and C let a viewer see,
from a few dozen rows instead of every visible customer.

Rules B and C (policies/polar) select the customers holding a purchasing power whose
(organizer, service) the viewer manages: the policy's statement is
`customers.id IN (SELECT pp.customer_id FROM purchasing_powers pp WHERE φ)`, with φ a
condition on `pp.organizer_id` and `pp.service_id` alone. Counting that set needs a
DISTINCT over every visible customer's purchasing powers (233,000 of them for the
biggest organizer at a million customers: 55 ms, spilling past `work_mem`).

Each (organizer, customer) pair is in exactly one service set, the services of the
customer's purchasing powers of that organizer (`models.ServiceSet`). A customer
matches φ exactly when one of its sets has a member matching φ. So when every set
matching φ is of one organizer (each customer is in at most one of them), the count is
the sum of their `customer_count`: φ itself, the policy's own condition, is evaluated
on the set members. When the matching sets span organizers (a team member in teams of
two organizers) the same statement counts the policy's keys with DISTINCT instead.
Exact in every case; the policy stays the only place that says who sees whom.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Select,
    Table,
    delete,
    func,
    insert,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import BindParameter, ColumnClause

from . import models as m
from .scoped_words import (
    condition_on,
    equality_with_value,
    summed_within_one_scope,
    top_level_conjuncts,
)

PP = cast(Table, m.PurchasingPower.__table__)
SETS = cast(Table, m.ServiceSet.__table__)
MEMBERS = cast(Table, m.ServiceSetMember.__table__)
PAIRS = cast(Table, m.OrganizerCustomer.__table__)
# The columns of a purchasing power that a set member has too.
_GRANT_COLUMNS = ("organizer_id", "service_id")
# Rows read at a time while deriving (a million customers have 1.7M purchasing powers).
_FETCH = 10_000


async def derive_service_sets(session: AsyncSession) -> int:
    """(Re)build the service sets from the purchasing powers, and each (organizer,
    customer) pair's membership with the customer's ordering keys
    (`organizer_customers`); returns the number of sets.

    Reads (organizer, customer, service) in order and groups in Python: a set is a
    frozenset of service ids, with no encoding of it in SQL that either database could
    get wrong. The caller owns the transaction (`load`, `generate`).
    """
    await session.execute(delete(PAIRS))
    await session.execute(delete(MEMBERS))
    await session.execute(delete(SETS))
    customers = cast(Table, m.Customer.__table__)
    rows = await session.stream(
        select(
            PP.c.organizer_id,
            PP.c.customer_id,
            PP.c.service_id,
            customers.c.last_name_lower,
            customers.c.first_name_lower,
        )
        .join(customers, customers.c.id == PP.c.customer_id)
        .order_by(PP.c.organizer_id, PP.c.customer_id),
        execution_options={"yield_per": _FETCH},
    )
    counts: Counter[tuple[str, frozenset[str]]] = Counter()
    # Each pair with its set's key and the customer's ordering keys.
    pairs: list[tuple[str, str, frozenset[str], str, str]] = []
    pair: tuple[str, str, str, str] | None = None
    services: set[str] = set()

    def close_pair() -> None:
        if pair is not None:
            key = frozenset(services)
            counts[(pair[0], key)] += 1
            pairs.append((pair[0], pair[1], key, pair[2], pair[3]))

    async for organizer_id, customer_id, service_id, last, first in rows:
        if pair is None or (organizer_id, customer_id) != pair[:2]:
            close_pair()
            pair, services = (organizer_id, customer_id, last, first), set()
        services.add(service_id)
    close_pair()
    ordered = sorted(counts.items(), key=lambda item: (item[0][0], sorted(item[0][1])))
    numbers = {key: number for number, (key, _count) in enumerate(ordered, start=1)}
    sets = [
        {"id": number, "organizer_id": organizer_id, "customer_count": count}
        for number, ((organizer_id, _services), count) in enumerate(ordered, start=1)
    ]
    members = [
        {"set_id": number, "organizer_id": organizer_id, "service_id": service_id}
        for number, ((organizer_id, services_of_set), _count) in enumerate(ordered, start=1)
        for service_id in sorted(services_of_set)
    ]
    if sets:
        await session.execute(insert(SETS), sets)
        await session.execute(insert(MEMBERS), members)
    for start in range(0, len(pairs), _FETCH):
        await session.execute(
            insert(PAIRS),
            [
                {
                    "organizer_id": organizer_id,
                    "customer_id": customer_id,
                    "set_id": numbers[(organizer_id, key)],
                    "last_name_lower": last,
                    "first_name_lower": first,
                }
                for organizer_id, customer_id, key, last, first in pairs[start : start + _FETCH]
            ],
        )
    return len(sets)


def _grant_condition(keys: Select[Any]) -> ColumnElement[bool] | None:
    """φ of `SELECT pp.customer_id FROM purchasing_powers pp WHERE φ`, on the members.

    None unless `keys` has exactly that shape and φ reads nothing but the purchasing
    power's organizer and service (compared with values, and/or, true/false): anything
    else the policy might say cannot be evaluated on a set, and is counted as it is.
    """
    return condition_on(keys, PP, _GRANT_COLUMNS, MEMBERS)


def set_count_statement(keys: Select[Any]) -> Select[Any] | None:
    """The count of `keys`' distinct customers, from the service sets; None if the
    keys are not rules B and C over purchasing powers (see the module's docstring).

    One statement either way: the sets' sum when the matching sets are of one
    organizer, else the DISTINCT count of the keys (a subquery evaluated only then).
    """
    condition = _grant_condition(keys)
    if condition is None:
        return None
    matching = select(MEMBERS.c.set_id).where(condition)
    return summed_within_one_scope(keys, SETS.c.organizer_id, SETS.c.customer_count).where(
        SETS.c.id.in_(matching)
    )


def organizer_rows(keys: Select[Any]) -> tuple[BindParameter[Any], Select[Any]] | None:
    """When the customers of `keys` (rules B and C over purchasing powers) are one
    organizer's: that organizer, and the ids of its service sets with a member the
    policy's condition φ selects. The customers are then exactly the organizer's
    `organizer_customers` rows in those sets (one row each). None when the keys have
    another shape, or φ does not fix one organizer by a top-level `organizer_id =
    value` (a team member in teams of two organizers: a customer would be a row of
    each).
    """
    condition = _grant_condition(keys)
    if condition is None:
        return None
    organizer = _one_organizer(keys)
    if organizer is None:
        return None
    return organizer, select(MEMBERS.c.set_id).where(condition)


def customers_in(set_ids: Select[Any]) -> Any:
    """How many customers the sets `set_ids` hold together, when they are one
    organizer's (a scalar subquery)."""
    return _customers_of_sets(SETS.c.id.in_(set_ids))


def customers_of(organizer: Any) -> Any:
    """How many customers hold a voucher of `organizer` (a scalar subquery)."""
    return _customers_of_sets(SETS.c.organizer_id == organizer)


def _customers_of_sets(which: ColumnElement[bool]) -> Any:
    return select(func.coalesce(func.sum(SETS.c.customer_count), 0)).where(which).scalar_subquery()


def _one_organizer(keys: Select[Any]) -> BindParameter[Any] | None:
    """The value of a top-level `organizer_id = value` conjunct of the keys' WHERE (the
    keys' columns are the purchasing power's alone: `_grant_condition` checked)."""
    for clause in top_level_conjuncts(keys.whereclause):
        value = equality_with_value(
            clause, lambda left: isinstance(left, ColumnClause) and left.name == "organizer_id"
        )
        if value is not None:
            return value
    return None
