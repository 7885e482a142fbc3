"""GraphQL enums of CONTRACT.md."""

from __future__ import annotations

from enum import Enum

import strawberry


@strawberry.enum
class Role(Enum):
    RECORDER = "RECORDER"
    REPORTER = "REPORTER"
    STAFF = "STAFF"
    ADMIN = "ADMIN"


@strawberry.enum
class Unit(Enum):
    HOUR = "HOUR"
    VISIT = "VISIT"
    DAY = "DAY"
    PIECE = "PIECE"


@strawberry.enum
class EventStatus(Enum):
    RECORDED = "RECORDED"
    UNDER_REVIEW = "UNDER_REVIEW"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    SETTLED = "SETTLED"
    CREDITED = "CREDITED"


@strawberry.enum
class PurchasingPowerKind(Enum):
    REGULAR = "REGULAR"
    BALANCE = "BALANCE"
