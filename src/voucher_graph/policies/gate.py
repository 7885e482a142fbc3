"""Authorization gates: the one place the rest of the code asks the policy."""

from __future__ import annotations

from collections import OrderedDict
from functools import cached_property
from typing import Any

from oso import Oso
from sqlalchemy import Select

from ..data import models as m
from ..data.loaders import Scopes
from ..data.viewer import Viewer


class StatementCache:
    """Authorized statements by (action, model, the viewer's policy facts).

    Building a statement runs Polar's partial evaluation (about 5 ms each); the result
    depends only on the viewer's policy facts, and SQLAlchemy statements are
    immutable, so requests of viewers with equal facts share them.
    """

    def __init__(self, oso: Oso, size: int = 2048) -> None:
        self.oso = oso
        self.size = size
        self._statements: OrderedDict[tuple[object, ...], Select[Any]] = OrderedDict()

    def get(self, viewer: Viewer, action: str, model: type[m.Base]) -> Select[Any]:
        key = (action, model, viewer.policy_facts())
        statement = self._statements.get(key)
        if statement is None:
            statement = self.oso.authorized_query(viewer, action, model)
            self._statements[key] = statement
            if len(self._statements) > self.size:
                self._statements.popitem(last=False)
        else:
            self._statements.move_to_end(key)
        return statement


class Gate:
    """The policy's answers for one viewer (one request)."""

    def __init__(self, oso: Oso, viewer: Viewer, cache: StatementCache | None = None) -> None:
        self.oso = oso
        self.viewer = viewer
        self.cache = cache or StatementCache(oso)
        self._event_rules: dict[tuple[str, str], bool] = {}

    def query(self, action: str, model: type[m.Base]) -> Select[Any]:
        """The rows of `model` the viewer may `action`, as a statement (data filtering)."""
        return self.cache.get(self.viewer, action, model)

    @cached_property
    def scopes(self) -> Scopes:
        return Scopes(
            customers=self.query("read", m.Customer),
            purchasing_powers=self.query("list", m.PurchasingPower),
            reservations=self.query("list", m.Reservation),
            events=self.query("list", m.Event),
            customer_numbers=self.query("read", m.CustomerNumber),
        )

    # Field rules depend on the viewer alone (DOMAIN.md: REPORTER), so they are asked
    # once per request with a blank customer rather than once per customer.
    @cached_property
    def readable_customer_fields(self) -> frozenset[str]:
        return frozenset(self.oso.authorized_fields(self.viewer, "read", m.Customer()))

    @cached_property
    def searchable_customer_fields(self) -> frozenset[str]:
        return frozenset(self.oso.authorized_fields(self.viewer, "search", m.Customer()))

    def can_read_field(self, field: str) -> bool:
        return field in self.readable_customer_fields

    def can_search_by(self, field: str) -> bool:
        return field in self.searchable_customer_fields

    def is_allowed(self, action: str, resource: object) -> bool:
        return bool(self.oso.is_allowed(self.viewer, action, resource))

    def may_change_events_of(self, action: str, provider_id: str) -> bool:
        """`action` ("edit", "delete") on events recorded by `provider_id`.

        Asked of a stand-in event that carries only the provider, once per provider
        and request: a page of events asks it thousands of times. Should the rule ever
        read another field of the event, the stand-in has None there and the answer
        is a refusal, never a wrong permission.
        """
        key = (action, provider_id)
        allowed = self._event_rules.get(key)
        if allowed is None:
            allowed = self.is_allowed(action, m.Event(provider_id=provider_id))
            self._event_rules[key] = allowed
        return allowed
