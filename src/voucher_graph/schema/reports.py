"""Organizer/provider reports: settlement report and correction requests."""

from __future__ import annotations

import datetime

import strawberry

from ..data import models as m


@strawberry.type
class CorrectionRequest:
    """A provider's report of an error in an event, addressed to the organizer."""

    id: strawberry.ID
    event_id: strawberry.ID
    message: str
    provider_id: strawberry.ID
    created_on: datetime.date

    @classmethod
    def of(cls, row: m.CorrectionRequest) -> CorrectionRequest:
        return cls(
            id=strawberry.ID(row.id),
            event_id=strawberry.ID(row.event_id),
            message=row.message,
            provider_id=strawberry.ID(row.provider_id),
            created_on=row.created_on,
        )
