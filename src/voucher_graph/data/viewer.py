"""The viewer: a user as read from the database on every request."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from sqlalchemy import BindParameter, Select, Subquery, bindparam, or_, select, union
from sqlalchemy.ext.asyncio import AsyncSession

from .engine import read_rows
from .models import Event, PurchasingPower, Reservation, Team, TeamMember, TeamService, User
from .reference import GENERATION, GENERATION_COLUMN


@dataclass(frozen=True, slots=True)
class Grant:
    """A service team's right: team `team_id` names service `service_id` of its
    organizer `organizer_id` (rule B; the team is named when access is explained)."""

    team_id: str
    organizer_id: str
    service_id: str


@dataclass(frozen=True)
class Viewer:
    """The signed-in user. Only the token's user id comes from outside; the rest is data.

    The policy never receives it: it receives `policies.interface.Actor`, the frozen
    facts it may read (and the statement cache's key).

    `window_start` is the first day of the 3-year provider-relationship window and
    `today` the request's today, both fixed when the request starts.
    """

    id: str
    name: str
    role: str
    provider_id: str | None
    organizer_id: str | None
    grants: tuple[Grant, ...]
    today: date
    window_start: date
    # Not a policy fact: the reference tables' generation, read in the same statement
    # so that the per-process reference cache costs no statement (data/reference.py).
    reference_generation: int | None = None


# The user left-joined to its teams' services: built once, the user id a parameter (a
# reused statement keeps its SQLAlchemy cache key; see loaders.Prepared).
_USER_ID: BindParameter[str] = bindparam("user_id")
# Every team member's granted services, as (user_id, team_id, organizer_id, service_id).
_TEAM_GRANTS = (
    select(TeamMember.user_id, Team.id.label("team_id"), Team.organizer_id, TeamService.service_id)
    .join(Team, Team.id == TeamMember.team_id)
    .join(TeamService, TeamService.team_id == Team.id)
)


def _users_with_grants(grants: Subquery) -> Select[Any]:
    """Users left-joined to their grants: one row per grant (or one with nulls)."""
    return select(
        User.id,
        User.name,
        User.role,
        User.provider_id,
        User.organizer_id,
        grants.c.team_id.label("grant_team_id"),
        grants.c.organizer_id.label("grant_organizer_id"),
        grants.c.service_id.label("grant_service_id"),
    ).outerjoin(grants, grants.c.user_id == User.id)


_GRANTS = _TEAM_GRANTS.where(TeamMember.user_id == _USER_ID).subquery()
_VIEWER = (
    _users_with_grants(_GRANTS)
    .add_columns(GENERATION.label(GENERATION_COLUMN))
    .where(User.id == _USER_ID)
)


async def load_viewer(
    session: AsyncSession, user_id: str, *, today: date, window_start: date
) -> Viewer | None:
    """The user with its team grants, or None for an unknown id.

    One statement. Read on every request, never cached: a revoked team membership
    takes effect at once.
    """
    rows = await read_rows(session, _VIEWER, {"user_id": user_id})
    viewers = _viewers(rows, today=today, window_start=window_start)
    if not viewers:
        return None
    return replace(viewers[0], reference_generation=getattr(rows[0], GENERATION_COLUMN))


def _viewers(rows: Sequence[Any], *, today: date, window_start: date) -> list[Viewer]:
    """Users with their grants from rows of a user left-joined to its grants."""
    by_user: dict[str, list[Any]] = {}
    for row in rows:
        by_user.setdefault(row.id, []).append(row)
    viewers = []
    for user_rows in by_user.values():
        user = user_rows[0]
        grants = sorted(
            {
                Grant(
                    team_id=r.grant_team_id,
                    organizer_id=r.grant_organizer_id,
                    service_id=r.grant_service_id,
                )
                for r in user_rows
                if r.grant_organizer_id is not None
            },
            key=lambda g: (g.team_id, g.organizer_id, g.service_id),
        )
        viewers.append(
            Viewer(
                id=user.id,
                name=user.name,
                role=user.role,
                provider_id=user.provider_id,
                organizer_id=user.organizer_id,
                grants=tuple(grants),
                today=today,
                window_start=window_start,
            )
        )
    return viewers


# Explaining access (whoCanSee): the users who might see a customer through one
# organizer's purchasing powers, as candidates for the policy to decide on: users of a
# provider with an event or a reservation on those purchasing powers, members of the
# organizer's teams, and the organizer's own users. The policy, not this list, says
# who holds a reason (policies/explain.py).
_CUSTOMER_ID: BindParameter[str] = bindparam("customer_id")
_ORGANIZER_ID: BindParameter[str] = bindparam("organizer_id")
_ORGANIZERS_PPS = select(PurchasingPower.id).where(
    PurchasingPower.customer_id == _CUSTOMER_ID, PurchasingPower.organizer_id == _ORGANIZER_ID
)
_PROVIDERS_THERE = union(
    select(Event.provider_id).where(Event.purchasing_power_id.in_(_ORGANIZERS_PPS)),
    select(Reservation.provider_id).where(Reservation.purchasing_power_id.in_(_ORGANIZERS_PPS)),
)
_ALL_GRANTS = _TEAM_GRANTS.subquery()
_CANDIDATES = (
    _users_with_grants(_ALL_GRANTS)
    .where(
        or_(
            User.provider_id.in_(_PROVIDERS_THERE),
            User.organizer_id == _ORGANIZER_ID,
            User.id.in_(
                select(TeamMember.user_id)
                .join(Team, Team.id == TeamMember.team_id)
                .where(Team.organizer_id == _ORGANIZER_ID)
            ),
        )
    )
    .order_by(User.id)
)


async def load_candidate_holders(
    session: AsyncSession, customer_id: str, organizer_id: str, *, today: date, window_start: date
) -> list[Viewer]:
    """The candidates above, each with all its grants (one statement)."""
    rows = (
        await session.execute(
            _CANDIDATES, {"customer_id": customer_id, "organizer_id": organizer_id}
        )
    ).all()
    return _viewers(rows, today=today, window_start=window_start)
