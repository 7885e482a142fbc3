"""accessLog(customerId): who saw a customer's identity, for the organizer's ADMIN."""

from __future__ import annotations

from datetime import UTC, datetime

import strawberry

from ..data import access_log, reads
from ..data import models as m
from ..domain.errors import Forbidden, NotFound
from .context import Info


@strawberry.type
class AccessLogEntry:
    user_id: strawberry.ID
    customer_id: strawberry.ID
    fields: list[str]
    at: str = strawberry.field(description="ISO 8601 timestamp in UTC.")
    operation: str | None

    @classmethod
    def of(cls, row: m.AccessLogEntry) -> AccessLogEntry:
        return cls(
            user_id=strawberry.ID(row.user_id),
            customer_id=strawberry.ID(row.customer_id),
            fields=list(row.fields),
            at=_utc(row.at).isoformat(),
            operation=row.operation,
        )


def _utc(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; they were written in UTC.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@strawberry.type
class AuditQuery:
    @strawberry.field(
        description="Identity disclosures of a customer, oldest first; organizer ADMIN (rule C)."
    )
    async def access_log(self, info: Info, customer_id: strawberry.ID) -> list[AccessLogEntry]:
        ctx = info.context
        # Visibility first: an unseen customer is NOT_FOUND for every role (CONTRACT.md).
        if await ctx.loaders.customer.load(str(customer_id)) is None:
            raise NotFound("no such customer")
        allowed = ctx.gate.query("read_access_log", m.Customer)
        if not await reads.customer_in_scope(ctx.session, allowed, str(customer_id)):
            raise Forbidden("only an admin of an organizer that granted the customer a voucher")
        rows = await access_log.entries_of(ctx.session, str(customer_id))
        return [AccessLogEntry.of(row) for row in rows]
