"""Authorization gates: the one place the rest of the code asks the policy."""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from operator import attrgetter
from typing import Any

from oso import Oso
from sqlalchemy import Select

from ..data import models as m
from ..data.loaders import Scopes
from ..data.viewer import Viewer
from .interface import Actor, Policy, PolicyError
from .oso_setup import OsoPolicy

# The per-process policy with its statement cache (app.py builds one per process).
StatementCache = OsoPolicy


def real_row(model: type[m.Base], row: Any) -> Any:
    """`row` as an instance of `model` carrying every column of the real row.

    Loaders return plain rows (data/loaders.py); the policy's rules are specialized
    on the model classes, so a decision on a row is made on this copy of it, never on
    a stand-in that lacks some of its values.
    """
    if isinstance(row, model):
        return row
    # The model's columns only: a statement may select more (a name search's page
    # carries its total, data/search.py MATCH_TOTAL).
    return model(**{name: getattr(row, name) for name in model.__table__.columns.keys()})


class Gate:
    """The policy's answers for one viewer (one request)."""

    def __init__(self, oso: Oso, viewer: Viewer, cache: Policy | None = None) -> None:
        # Every question goes through `policy` (interface.Policy); the engine itself
        # is only handed to it.
        self.viewer = viewer
        self.actor = Actor.of(viewer)
        self.policy: Policy = cache if cache is not None else OsoPolicy(oso)
        self._decisions: dict[tuple[object, ...], Any] = {}
        # action -> the values of an event that the rule reads, as a tuple.
        self._event_reads: dict[str, Callable[[Any], tuple[Any, ...]]] = {}
        self._event_rights: dict[tuple[object, ...], bool] = {}
        # action -> the identity fields allowed whatever the customer (the field rule
        # reads none of its columns).
        self._fields_for_any: dict[str, frozenset[str]] = {}

    def query(self, action: str, model: type[m.Base]) -> Select[Any]:
        """The rows of `model` the viewer may `action`, as a statement (data filtering)."""
        return self.policy.scope(self.actor, action, model)

    @cached_property
    def scopes(self) -> Scopes:
        return Scopes(
            customers=self.query("read", m.Customer),
            purchasing_powers=self.query("list", m.PurchasingPower),
            reservations=self.query("list", m.Reservation),
            events=self.query("list", m.Event),
            customer_numbers=self.query("read", m.CustomerNumber),
        )

    # -- fields of a customer ---------------------------------------------------------

    def _customer_fields(self, action: str, customer: Any) -> frozenset[str]:
        """The identity fields the viewer may `action` on `customer`.

        The field rule is evaluated with the customer unknown to learn which of its
        columns it reads. Today it reads none (REPORTER depends on the viewer alone),
        so one answer serves the request. Should it read some, the answer is decided
        on the real row, once per distinct value of those columns; with no row to
        decide on, the question fails rather than guess.
        """
        for_any = self._fields_for_any.get(action)
        if for_any is not None:
            # Kept per request: the policy's own cache is keyed by the actor, whose hash
            # walks its grants, and a page asks for every identity field of every row.
            return for_any
        reads = self.policy.field_rule_reads(self.actor, action, m.Customer)
        if not reads:
            fields = self._fields_for_any[action] = self.policy.readable_fields(
                self.actor, action, m.Customer
            )
            return fields
        if customer is None:
            raise PolicyError(f"the {action} field rule reads {reads} of the customer")
        key = ("fields", action, tuple(getattr(customer, f) for f in reads))
        found: frozenset[str] | None = self._decisions.get(key)
        if found is None:
            found = self.policy.readable_fields(self.actor, action, real_row(m.Customer, customer))
            self._decisions[key] = found
        return found

    def can_read_field(self, field: str, customer: Any = None) -> bool:
        return field in self._customer_fields("read", customer)

    def can_search_by(self, field: str) -> bool:
        # A search is not about one customer: a rule that read the customer fails here.
        return field in self._customer_fields("search", None)

    # -- single rows ------------------------------------------------------------------

    def is_allowed(self, action: str, resource: object) -> bool:
        return self.policy.allows(self.actor, action, resource)

    def may_read_report(self, report: str, organizer_id: str) -> bool:
        """The policy's `may_read_report` rule: a report of an organizer's data."""
        return self.policy.holds("may_read_report", self.actor, report, organizer_id)

    def may_change_event(self, action: str, event: Any) -> bool:
        """`action` ("edit", "delete") on this event, decided on the real row.

        A page of events asks thousands of times. The rule is evaluated once with the
        event unknown to learn which columns it reads (today: the provider); events
        equal on those get equal answers, so the policy is asked once per distinct
        value, each time on a real event of that value (and the policy remembers the
        answer for later requests: `Policy.decision`).
        """
        read = self._event_reads.get(action)
        if read is None:
            reads = self.policy.fields_read(self.actor, action, m.Event)
            read = self._event_reads[action] = _values_getter(reads)
        values = read(event)
        found = self._event_rights.get((action, values))
        if found is None:
            # The policy's cache is keyed by the actor too, whose hash and equality
            # walk its grants: kept here per request as well, a page's thousands of
            # asks are one small-tuple lookup each.
            found = self._event_rights[(action, values)] = self.policy.decision(
                self.actor, action, m.Event, values, lambda: real_row(m.Event, event)
            )
        return found


def _values_getter(fields: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
    """A row's values of `fields`, as a tuple, read in C (attrgetter)."""
    if not fields:
        return lambda _row: ()
    if len(fields) == 1:
        get_one = attrgetter(fields[0])
        return lambda row: (get_one(row),)
    return attrgetter(*fields)
