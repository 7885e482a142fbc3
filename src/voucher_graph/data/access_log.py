"""The access log's statements: one insert per response, and a customer's entries."""

from __future__ import annotations

from collections.abc import Mapping, Sequence, Set
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from . import models as m
from .engine import ShieldedSession

# inline: no RETURNING of the new ids, which nothing reads.
_INSERT = insert(m.AccessLogEntry.__table__).inline()  # type: ignore[arg-type]


async def insert_entries(
    session: AsyncSession,
    *,
    user_id: str,
    operation: str | None,
    at: datetime,
    disclosed: Mapping[str, Set[str]],
) -> int:
    """One row per disclosed customer (fields sorted), in one statement; returns the count."""
    rows = [
        {
            "user_id": user_id,
            "customer_id": customer_id,
            "fields": sorted(fields),
            "at": at,
            "operation": operation,
        }
        for customer_id, fields in sorted(disclosed.items())
    ]
    if not rows:
        return 0
    if isinstance(session, ShieldedSession):  # a request's: straight on asyncpg there
        await session.write_many(_INSERT, rows)
    else:
        # Core insert: one executemany, without the ORM's bulk-insert bookkeeping.
        await session.execute(_INSERT, rows)
    return len(rows)


async def entries_of(session: AsyncSession, customer_id: str) -> Sequence[m.AccessLogEntry]:
    """A customer's entries, oldest first (ties by id)."""
    rows = await session.scalars(
        select(m.AccessLogEntry)
        .where(m.AccessLogEntry.customer_id == customer_id)
        .order_by(m.AccessLogEntry.at, m.AccessLogEntry.id)
    )
    return rows.all()
