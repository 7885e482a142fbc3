"""Explaining access (DOMAIN.md "Explaining access"), derived from the policy.

Each named branch of `sees_customer` in the policy (customers.polar, actors.polar) is
evaluated as its own authorized statement over the rows that grant it:

- `provider_event(viewer, event)`: rule A through events -> PROVIDER_EVENT;
- `provider_reservation(viewer, reservation)`: rule A through reservations ->
  PROVIDER_RESERVATION;
- `manages_by_team(viewer, grant, pp)`, once per team grant of the viewer -> SERVICE_TEAM;
- `manages_as_admin(viewer, pp)`: rule C -> ORGANIZER_ADMIN.

The four are one UNION ALL statement, restricted to the customers asked about (and,
for whoCanSee, to one organizer's purchasing powers). Which rows count is the policy's
answer; this module only names, per DOMAIN.md, the one row a reason shows (the latest
event, the longest reservation) and the day it lasts until. Change a rule in the
policy and the explanation changes with it.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import (
    BindParameter,
    Date,
    Integer,
    Select,
    String,
    bindparam,
    literal,
    literal_column,
    null,
    select,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.sql import CompoundSelect, union_all

from ..data import models as m
from ..domain.dates import last_day_in_window
from .interface import Actor, Policy

PROVIDER_EVENT = "PROVIDER_EVENT"
PROVIDER_RESERVATION = "PROVIDER_RESERVATION"
SERVICE_TEAM = "SERVICE_TEAM"
ORGANIZER_ADMIN = "ORGANIZER_ADMIN"
RULE_ORDER = (PROVIDER_EVENT, PROVIDER_RESERVATION, SERVICE_TEAM, ORGANIZER_ADMIN)

CUSTOMER_IDS: BindParameter[Any] = bindparam("explain_customer_ids", expanding=True)
ORGANIZER_ID: BindParameter[Any] = bindparam("explain_organizer_id")


@dataclass(frozen=True)
class Reason:
    """One reason an actor sees a customer; `until` None is open-ended."""

    rule: str
    customer_id: str
    provider_id: str | None = None
    event_id: str | None = None
    reservation_id: str | None = None
    team_id: str | None = None
    service_id: str | None = None
    organizer_id: str | None = None
    until: date | None = None

    def sort_key(self) -> tuple[Any, ...]:
        return (
            RULE_ORDER.index(self.rule),
            self.provider_id or "",
            self.team_id or "",
            self.service_id or "",
            self.organizer_id or "",
            self.event_id or "",
            self.reservation_id or "",
        )


def _text(value: Any) -> Any:
    # NULLs typed, so that every branch of the UNION agrees on PostgreSQL.
    return value if value is not None else sql_cast(null(), String)


def _row(
    rule: str,
    customer_id: Any,
    *,
    actor_index: int,
    provider_id: Any = None,
    row_id: Any = None,
    day: Any = None,
    team_id: str | None = None,
    service_id: Any = None,
    organizer_id: Any = None,
) -> list[Any]:
    return [
        # Constants of this module, inlined: a bound parameter in a UNION has no type.
        literal_column(str(int(actor_index)), Integer).label("actor"),
        literal_column(f"'{rule}'", String).label("rule"),
        customer_id.label("customer_id"),
        _text(provider_id).label("provider_id"),
        _text(row_id).label("row_id"),
        (day if day is not None else sql_cast(null(), Date)).label("day"),
        (sql_cast(literal(team_id), String) if team_id is not None else _text(None)).label(
            "team_id"
        ),
        _text(service_id).label("service_id"),
        _text(organizer_id).label("organizer_id"),
    ]


def _branches(policy: Policy, actor: Actor, actor_index: int, organizer: bool) -> list[Select[Any]]:
    """The actor's reason rows, one select per named branch of the policy."""
    event, reservation, pp = m.Event, m.Reservation, m.PurchasingPower
    # whoCanSee asks only about one organizer's purchasing powers.
    organizers_pps = select(pp.id).where(pp.organizer_id == ORGANIZER_ID)
    events = policy.rule_scope("provider_event", (actor,), event).with_only_columns(
        *_row(PROVIDER_EVENT, event.customer_id, actor_index=actor_index,
              provider_id=event.provider_id, row_id=event.id, day=event.service_date)
    ).where(event.customer_id.in_(CUSTOMER_IDS))  # fmt: skip
    reservations = policy.rule_scope(
        "provider_reservation", (actor,), reservation
    ).with_only_columns(
        *_row(PROVIDER_RESERVATION, reservation.customer_id, actor_index=actor_index,
              provider_id=reservation.provider_id, row_id=reservation.id,
              day=reservation.valid_to)
    ).where(reservation.customer_id.in_(CUSTOMER_IDS))  # fmt: skip
    if organizer:
        events = events.where(event.purchasing_power_id.in_(organizers_pps))
        reservations = reservations.where(reservation.purchasing_power_id.in_(organizers_pps))
    selects = [events, reservations]
    for grant in actor.grants:
        selects.append(
            policy.rule_scope("manages_by_team", (actor, grant), pp)
            .with_only_columns(
                *_row(SERVICE_TEAM, pp.customer_id, actor_index=actor_index,
                      team_id=grant.team_id, service_id=pp.service_id,
                      organizer_id=pp.organizer_id)
            )
            .where(pp.customer_id.in_(CUSTOMER_IDS))
        )  # fmt: skip
    selects.append(
        policy.rule_scope("manages_as_admin", (actor,), pp)
        .with_only_columns(
            *_row(ORGANIZER_ADMIN, pp.customer_id, actor_index=actor_index,
                  organizer_id=pp.organizer_id)
        )
        .where(pp.customer_id.in_(CUSTOMER_IDS))
    )  # fmt: skip
    if organizer:
        selects[2:] = [s.where(pp.organizer_id == ORGANIZER_ID) for s in selects[2:]]
    return selects


# Per policy (a test may load several), per actors and organizer restriction.
_STATEMENTS: WeakKeyDictionary[Any, OrderedDict[tuple[object, ...], CompoundSelect[Any]]] = (
    WeakKeyDictionary()
)


def reasons_statement(
    policy: Policy, actors: Sequence[Actor], *, organizer: bool = False
) -> CompoundSelect[Any]:
    """One statement of every reason row of `actors` (column `actor`: the index in
    `actors`) for the customers bound to `explain_customer_ids`; with `organizer`,
    only through the purchasing powers of `explain_organizer_id`.

    Kept per actors (as the policy keeps its statements): a reused statement keeps its
    SQLAlchemy cache key, and the policy's statements are only looked up once."""
    key = (tuple(actors), organizer)
    statements = _STATEMENTS.setdefault(policy, OrderedDict())
    found = statements.get(key)
    if found is None:
        found = statements[key] = union_all(
            *(
                branch
                for index, actor in enumerate(actors)
                for branch in _branches(policy, actor, index, organizer)
            )
        )
        if len(statements) > 512:
            statements.popitem(last=False)
    else:
        statements.move_to_end(key)
    return found


def reasons_from_rows(rows: Iterable[Any]) -> dict[tuple[int, str], list[Reason]]:
    """The reasons per (actor index, customer id), one per DOMAIN.md's unit, ordered."""
    events: dict[tuple[int, str, str], tuple[date, str]] = {}
    reservations: dict[tuple[int, str, str], tuple[bool, date | None, str]] = {}
    others: set[tuple[int, Reason]] = set()
    for row in rows:
        key = (row.actor, row.customer_id, row.provider_id)
        if row.rule == PROVIDER_EVENT:
            # The latest service date, ties: the greatest id (code points).
            candidate = (row.day, row.row_id)
            if key not in events or candidate > events[key]:
                events[key] = candidate
        elif row.rule == PROVIDER_RESERVATION:
            # One without an end first, else the latest end; ties: the greatest id.
            open_ended = row.day is None
            best = reservations.get(key)
            candidate_r = (open_ended, row.day, row.row_id)
            if best is None or _longer(candidate_r, best):
                reservations[key] = candidate_r
        else:
            others.add(
                (
                    row.actor,
                    Reason(
                        rule=row.rule,
                        customer_id=row.customer_id,
                        team_id=row.team_id,
                        service_id=row.service_id,
                        organizer_id=row.organizer_id,
                    ),
                )
            )
    found: dict[tuple[int, str], list[Reason]] = {}
    for (actor, customer, provider), (day, event_id) in events.items():
        found.setdefault((actor, customer), []).append(
            Reason(PROVIDER_EVENT, customer, provider_id=provider, event_id=event_id,
                   until=last_day_in_window(day))
        )  # fmt: skip
    for (actor, customer, provider), (_, end, reservation_id) in reservations.items():
        found.setdefault((actor, customer), []).append(
            Reason(PROVIDER_RESERVATION, customer, provider_id=provider,
                   reservation_id=reservation_id,
                   until=None if end is None else last_day_in_window(end))
        )  # fmt: skip
    for actor, reason in others:
        found.setdefault((actor, reason.customer_id), []).append(reason)
    for reasons in found.values():
        reasons.sort(key=Reason.sort_key)
    return found


def _longer(a: tuple[bool, date | None, str], b: tuple[bool, date | None, str]) -> bool:
    if a[0] != b[0]:
        return a[0]
    if a[1] != b[1]:
        return a[1] is not None and (b[1] is None or a[1] > b[1])
    return a[2] > b[2]
