"""The viewer: a user as read from the database on every request."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import BindParameter, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from .models import Team, TeamMember, TeamService, User
from .reference import GENERATION, GENERATION_COLUMN


@dataclass(frozen=True)
class Grant:
    """A service team's right: services `service_id` granted by `organizer_id`."""

    organizer_id: str
    service_id: str


@dataclass(frozen=True)
class Viewer:
    """The Polar actor. Only the token's user id comes from outside; the rest is data.

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

    def policy_facts(self) -> tuple[object, ...]:
        """Every attribute the Polar policy reads of a viewer (and nothing else).

        Viewers with equal facts get equal answers, so authorized statements are
        cached by these facts. A rule that reads another attribute must add it here;
        tests/policies/test_gate_cache.py checks `polar/` against this list.
        """
        return (self.role, self.provider_id, self.organizer_id, self.grants, self.window_start)


POLICY_ATTRIBUTES = ("role", "provider_id", "organizer_id", "grants", "window_start")


# The user left-joined to its teams' services: built once, the user id a parameter (a
# reused statement keeps its SQLAlchemy cache key; see loaders.Prepared).
_USER_ID: BindParameter[str] = bindparam("user_id")
_GRANTS = (
    select(TeamMember.user_id, Team.organizer_id, TeamService.service_id)
    .join(Team, Team.id == TeamMember.team_id)
    .join(TeamService, TeamService.team_id == Team.id)
    .where(TeamMember.user_id == _USER_ID)
    .subquery()
)
_VIEWER = (
    select(
        User.id,
        User.name,
        User.role,
        User.provider_id,
        User.organizer_id,
        _GRANTS.c.organizer_id.label("grant_organizer_id"),
        _GRANTS.c.service_id.label("grant_service_id"),
        GENERATION.label(GENERATION_COLUMN),
    )
    .outerjoin(_GRANTS, _GRANTS.c.user_id == User.id)
    .where(User.id == _USER_ID)
)


async def load_viewer(
    session: AsyncSession, user_id: str, *, today: date, window_start: date
) -> Viewer | None:
    """The user with its team grants, or None for an unknown id.

    One statement. Read on every request, never cached: a revoked team membership
    takes effect at once.
    """
    rows = (await session.execute(_VIEWER, {"user_id": user_id})).all()
    if not rows:
        return None
    user = rows[0]
    grants = sorted(
        {
            Grant(organizer_id=r.grant_organizer_id, service_id=r.grant_service_id)
            for r in rows
            if r.grant_organizer_id is not None
        },
        key=lambda g: (g.organizer_id, g.service_id),
    )
    return Viewer(
        id=user.id,
        name=user.name,
        role=user.role,
        provider_id=user.provider_id,
        organizer_id=user.organizer_id,
        grants=tuple(grants),
        today=today,
        window_start=window_start,
        reference_generation=getattr(user, GENERATION_COLUMN),
    )
