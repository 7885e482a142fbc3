"""The policy as the rest of the code sees it: a small typed interface over the engine.

Everything outside `policies/` asks through `Gate` (policies/gate.py), and `Gate` asks
through `Policy` alone; the engine (Oso 0.27, unmaintained: README "The policy
engine") lives in `oso_setup.py` and `adapter.py`. A later engine change replaces those
two modules and keeps this one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from sqlalchemy import Select

from ..data.viewer import Grant, Viewer


class PolicyError(Exception):
    """The policy cannot answer as the code needs: a missing rule, an unreadable fact."""


@dataclass(frozen=True, slots=True)
class Actor:
    """The viewer as the policy sees it: exactly the facts the statement cache keys on.

    The policy receives this object, never the `Viewer`: it has no `__dict__`, so a
    rule reading anything else of the viewer (its id, its name, today) fails with an
    AttributeError instead of baking one user's value into a statement that another
    user with equal facts would then be handed. A rule that needs another fact adds a
    field here, and with it to the cache key.
    """

    role: str
    provider_id: str | None
    organizer_id: str | None
    grants: tuple[Grant, ...]
    window_start: date

    @classmethod
    def of(cls, viewer: Viewer) -> Actor:
        return cls(
            role=viewer.role,
            provider_id=viewer.provider_id,
            organizer_id=viewer.organizer_id,
            grants=viewer.grants,
            window_start=viewer.window_start,
        )


class Policy(Protocol):
    """What the code asks of the policy engine."""

    def scope(self, actor: Actor, action: str, model: type[Any]) -> Select[Any]:
        """The rows of `model` that `actor` may `action`, as one SQL statement."""

    def allows(self, actor: Actor, action: str, resource: object) -> bool:
        """Whether `actor` may `action` this one (real) resource."""

    def fields_read(self, actor: Actor, action: str, model: type[Any]) -> tuple[str, ...]:
        """The attributes of a `model` row that the `action` rule reads for `actor`."""

    def decision(
        self,
        actor: Actor,
        action: str,
        model: type[Any],
        values: tuple[object, ...],
        row: Callable[[], object],
    ) -> bool:
        """`allows` on the real row `row()`, whose `fields_read` columns hold `values`:
        asked once per actor, action and values, and remembered for later requests."""

    def readable_fields(self, actor: Actor, action: str, resource: object) -> frozenset[str]:
        """The fields of `resource` (real, or a model class when the field rule reads
        nothing of the resource) that `actor` may `action` (read, search)."""

    def field_rule_reads(self, actor: Actor, action: str, model: type[Any]) -> tuple[str, ...]:
        """The attributes of a `model` row the field rule reads for `actor` and `action`."""

    def rule_scope(self, rule: str, args: tuple[object, ...], model: type[Any]) -> Select[Any]:
        """The rows of `model` for which the named rule `rule(*args, row)` holds, as
        one SQL statement (explaining access evaluates each branch of sees_customer
        this way: policies/explain.py). `args` start with the actor."""

    def holds(self, rule: str, *args: object) -> bool:
        """Whether the named rule holds (rules asked of values, not data-filtered)."""
