"""Authorization gates: the one place the rest of the code asks the policy."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from oso import Oso
from sqlalchemy import Select

from ..data import models as m
from ..data.loaders import Scopes
from ..data.viewer import Viewer

IDENTITY_FIELDS = ("firstName", "lastName", "ssn")


class Gate:
    """The policy's answers for one viewer (one request)."""

    def __init__(self, oso: Oso, viewer: Viewer) -> None:
        self.oso = oso
        self.viewer = viewer

    def query(self, action: str, model: type[m.Base]) -> Select[Any]:
        """The rows of `model` the viewer may `action`, as a statement (data filtering)."""
        statement: Select[Any] = self.oso.authorized_query(self.viewer, action, model)
        return statement

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
