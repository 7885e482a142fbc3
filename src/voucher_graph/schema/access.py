"""Explaining access: Customer.access and Query.whoCanSee (DOMAIN.md "Explaining access").

The reasons come from the policy (policies/explain.py evaluates each named branch of
`sees_customer` as its own authorized statement); this module runs the statements and
shapes the answers.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from enum import Enum
from typing import Any

import strawberry
from aiodataloader import DataLoader

from ..data import reads
from ..data.viewer import load_candidate_holders
from ..domain.errors import Forbidden, NotFound
from ..policies import explain
from ..policies.interface import Actor
from .context import Context, Info


@strawberry.enum(description="Why a user sees a customer (DOMAIN.md, rules A, B and C).")
class AccessRule(Enum):
    PROVIDER_EVENT = "PROVIDER_EVENT"
    PROVIDER_RESERVATION = "PROVIDER_RESERVATION"
    SERVICE_TEAM = "SERVICE_TEAM"
    ORGANIZER_ADMIN = "ORGANIZER_ADMIN"


def _id(value: str | None) -> strawberry.ID | None:
    return None if value is None else strawberry.ID(value)


@strawberry.type(description="One reason the viewer sees a customer.")
class AccessReason:
    rule: AccessRule
    provider_id: strawberry.ID | None
    event_id: strawberry.ID | None
    reservation_id: strawberry.ID | None
    team_id: strawberry.ID | None
    service_id: strawberry.ID | None
    organizer_id: strawberry.ID | None
    until: datetime.date | None = strawberry.field(
        description="The last day the reason holds if nothing changes; null: open-ended."
    )

    @classmethod
    def of(cls, reason: explain.Reason) -> AccessReason:
        return cls(
            rule=AccessRule(reason.rule),
            provider_id=_id(reason.provider_id),
            event_id=_id(reason.event_id),
            reservation_id=_id(reason.reservation_id),
            team_id=_id(reason.team_id),
            service_id=_id(reason.service_id),
            organizer_id=_id(reason.organizer_id),
            until=reason.until,
        )


@strawberry.type(description="Users who see a customer for one reason, and until when.")
class AccessHolder:
    rule: AccessRule
    provider_id: strawberry.ID | None
    team_id: strawberry.ID | None
    service_id: strawberry.ID | None
    organizer_id: strawberry.ID | None
    user_ids: list[strawberry.ID] = strawberry.field(
        description="The users who hold this reason now, by id (code points)."
    )
    until: datetime.date | None


async def _reasons(
    ctx: Context, actors: Sequence[Actor], customer_ids: Sequence[str], organizer_id: str | None
) -> dict[tuple[int, str], list[explain.Reason]]:
    statement = explain.reasons_statement(
        ctx.gate.policy, actors, organizer=organizer_id is not None
    )
    params: dict[str, Any] = {"explain_customer_ids": sorted(set(customer_ids))}
    if organizer_id is not None:
        params["explain_organizer_id"] = organizer_id
    rows = await reads.rows_of(ctx.session, statement, params)
    return explain.reasons_from_rows(rows)


async def access_of(ctx: Context, customer_ids: Sequence[str]) -> list[list[AccessReason]]:
    """The viewer's reasons for each customer (one statement for all of them)."""
    if not customer_ids:
        return []
    found = await _reasons(ctx, [ctx.gate.actor], customer_ids, None)
    return [[AccessReason.of(r) for r in found.get((0, c), [])] for c in customer_ids]


def access_loader(ctx: Context) -> DataLoader[str, list[AccessReason]]:
    """Per request: Customer.access for every customer of a response in one batch."""
    loader = ctx.access_loader
    if loader is None:

        async def batch(ids: list[str]) -> list[list[AccessReason]]:
            return await access_of(ctx, ids)

        loader = ctx.access_loader = DataLoader(batch_load_fn=batch)
    return loader


async def who_can_see(ctx: Context, customer_id: str) -> list[AccessHolder]:
    # Visibility first: an unseen customer is NOT_FOUND for every role (CONTRACT.md).
    if await ctx.loaders.customer.load(customer_id) is None:
        raise NotFound("no such customer")
    own = (await _reasons(ctx, [ctx.gate.actor], [customer_id], None)).get((0, customer_id), [])
    organizers = sorted(
        {r.organizer_id for r in own if r.rule == explain.ORGANIZER_ADMIN and r.organizer_id}
    )
    if not organizers:
        raise Forbidden("only an admin of an organizer that granted the customer a voucher")
    [organizer_id] = organizers  # an admin belongs to one organizer
    viewer = ctx.viewer
    candidates = await load_candidate_holders(
        ctx.session,
        customer_id,
        organizer_id,
        today=viewer.today,
        window_start=viewer.window_start,
    )
    actors = sorted({Actor.of(c) for c in candidates}, key=repr)
    index = {actor: n for n, actor in enumerate(actors)}
    found = await _reasons(ctx, actors, [customer_id], organizer_id) if actors else {}
    holders: dict[tuple[Any, ...], tuple[set[str], list[datetime.date | None]]] = {}
    for candidate in candidates:
        for reason in found.get((index[Actor.of(candidate)], customer_id), []):
            provider_rule = reason.rule in (explain.PROVIDER_EVENT, explain.PROVIDER_RESERVATION)
            key = (
                explain.RULE_ORDER.index(reason.rule),
                reason.provider_id or "",
                reason.team_id or "",
                reason.service_id or "",
                reason.organizer_id if not provider_rule else "",
            )
            users, untils = holders.setdefault(key, (set(), []))
            users.add(candidate.id)
            untils.append(reason.until)
    answer = []
    for key in sorted(holders):
        users, untils = holders[key]
        rule = explain.RULE_ORDER[key[0]]
        answer.append(
            AccessHolder(
                rule=AccessRule(rule),
                provider_id=_id(key[1] or None),
                team_id=_id(key[2] or None),
                service_id=_id(key[3] or None),
                organizer_id=_id(key[4] or None),
                user_ids=[strawberry.ID(u) for u in sorted(users)],
                # Open-ended if any holder's reason is; else the latest day.
                until=None if None in untils else max(d for d in untils if d is not None),
            )
        )
    return answer


@strawberry.type
class AccessQuery:
    @strawberry.field(
        description="Who else sees a customer through the organizer's purchasing powers, "
        "and until when; organizer ADMIN (rule C)."
    )
    async def who_can_see(self, info: Info, customer_id: strawberry.ID) -> list[AccessHolder]:
        return await who_can_see(info.context, str(customer_id))
