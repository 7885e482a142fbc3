"""Single reads the schema, the app and the CLI ask for: each one statement, run here so
that SQL stays in the data layer (an import-linter contract keeps sqlalchemy out above)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Executable, Select, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.sql import text

from . import models as m


async def visible_event(
    session: AsyncSession, events_scope: Select[Any], event_id: str
) -> m.Event | None:
    """The event with this id among the viewer's readable events (a policy statement)."""
    statement = events_scope.where(m.Event.id == event_id)
    row: m.Event | None = (await session.scalars(statement)).first()
    return row


async def customer_in_scope(
    session: AsyncSession, customers_scope: Select[Any], customer_id: str
) -> bool:
    """Whether the customer is among the rows of a policy statement over customers."""
    statement = customers_scope.where(m.Customer.id == customer_id)
    return (await session.scalars(statement)).first() is not None


async def rows_of(
    session: AsyncSession, statement: Executable, params: dict[str, Any]
) -> Sequence[Any]:
    """The rows of a statement built above this layer (the policy's explain statement)."""
    return (await session.execute(statement, params)).all()


async def users(session: AsyncSession) -> Sequence[m.User]:
    """Every user, by id (the demo's printed tokens)."""
    return (await session.scalars(select(m.User).order_by(m.User.id))).all()


async def ping(engine: AsyncEngine) -> None:
    """One round trip to the database; raises when it cannot be reached."""
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))
