"""The Oso engine: register the classes the policy speaks of, load the packaged policy,
and answer `interface.Policy`'s questions. The one module (with adapter.py) that knows
the engine: replacing Oso replaces these two.

The policy sources are package data, `voucher_graph/policies/polar/*.polar`, read with
importlib.resources: an installed wheel carries them, whatever the working directory.
"""

from __future__ import annotations

import datetime
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any

from oso import Oso
from polar import Variable
from polar.data import DataFilter
from polar.data_filtering import Relation, serialize_types
from polar.exceptions import PolarRuntimeError
from polar.expression import Expression, Pattern
from polar.ffi import PolarSource
from sqlalchemy import Select

from ..data.models import (
    Customer,
    CustomerNumber,
    Event,
    ProviderCustomer,
    PurchasingPower,
    Reservation,
)
from ..data.viewer import Grant
from .adapter import SqlFilterAdapter
from .interface import Actor, PolicyError

POLICY_PACKAGE = "voucher_graph.policies"
POLICY_DIRECTORY = "polar"

# Every rule the code queries, with its arity: a policy without one of them refuses to
# load (an undefined rule would otherwise fail only at the first request that asks).
QUERIED_RULES: Mapping[str, int] = {
    "allow": 3,  # is_allowed, authorized statements (data filtering)
    "allow_field": 4,  # readable and searchable identity fields
    "may_read_report": 3,  # schema/reports.py
    # Explaining access (policies/explain.py): each branch of sees_customer by name.
    "provider_event": 2,
    "provider_reservation": 2,
    "manages_by_team": 3,
    "manages_as_admin": 2,
}


# A table reached on a second path needs a second Polar class: Oso's filters name
# tables by class, so "an event's customer's events" must not be the root `Event`.
class CustomerEvent:
    """Alias of `Event`: the events of a customer, as the customer rules see them."""


class CustomerReservation:
    """Alias of `Reservation`, as the customer rules see them."""


class CustomerPurchasingPower:
    """Alias of `PurchasingPower`, as the customer rules see them."""


def _many(other: str, other_field: str) -> Relation:
    return Relation(kind="many", other_type=other, my_field="id", other_field=other_field)


def _one(other: str, my_field: str) -> Relation:
    return Relation(kind="one", other_type=other, my_field=my_field, other_field="id")


_EVENT_FIELDS = {
    "id": str,
    "customer_id": str,
    "purchasing_power_id": str,
    "provider_id": str,
    "deleted": bool,
    "service_date": datetime.date,
    "status": str,
}
_RESERVATION_FIELDS = {
    "id": str,
    "customer_id": str,
    "purchasing_power_id": str,
    "provider_id": str,
    "valid_from": datetime.date,
    "valid_to": datetime.date,
}
# Rule A's persisted facts per provider and customer (data/access_relation.py).
_PROVIDER_CUSTOMER_FIELDS = {
    "provider_id": str,
    "customer_id": str,
    "last_date": datetime.date,
    "reservation_open": bool,
}
_PURCHASING_POWER_FIELDS = {
    "id": str,
    "customer_id": str,
    "organizer_id": str,
    "service_id": str,
}


def policy_sources() -> list[PolarSource]:
    """The packaged `.polar` files, in name order."""
    directory: Traversable = resources.files(POLICY_PACKAGE) / POLICY_DIRECTORY
    files = sorted(
        (entry for entry in directory.iterdir() if entry.name.endswith(".polar")),
        key=lambda entry: entry.name,
    )
    if not files:
        raise PolicyError(f"no policy files in {POLICY_PACKAGE}/{POLICY_DIRECTORY}")
    return [
        PolarSource(entry.read_text(encoding="utf-8"), f"{POLICY_DIRECTORY}/{entry.name}")
        for entry in files
    ]


def _register(oso: Oso) -> None:
    # Polar compares dates in the 3-year rule; field types must be registered classes.
    oso.register_class(datetime.date, name="Date")
    oso.register_class(Grant)
    # The policy's actor is the frozen `Actor`, under the name the rules use.
    oso.register_class(Actor, name="Viewer")
    oso.register_class(
        Customer,
        fields={
            "id": str,
            "events": _many("CustomerEvent", "customer_id"),
            "reservations": _many("CustomerReservation", "customer_id"),
            "purchasing_powers": _many("CustomerPurchasingPower", "customer_id"),
            "provider_links": _many("ProviderCustomer", "customer_id"),
        },
    )
    oso.register_class(ProviderCustomer, fields=_PROVIDER_CUSTOMER_FIELDS)
    oso.register_class(CustomerEvent, fields=_EVENT_FIELDS)
    oso.register_class(CustomerReservation, fields=_RESERVATION_FIELDS)
    oso.register_class(CustomerPurchasingPower, fields=_PURCHASING_POWER_FIELDS)
    oso.register_class(CustomerNumber, fields={"provider_id": str, "customer_id": str})
    oso.register_class(
        PurchasingPower,
        fields={
            **_PURCHASING_POWER_FIELDS,
            "reservations": _many("Reservation", "purchasing_power_id"),
            "events": _many("Event", "purchasing_power_id"),
            "customer": _one("Customer", "customer_id"),
        },
    )
    oso.register_class(
        Reservation,
        fields={
            **_RESERVATION_FIELDS,
            "purchasing_power": _one("PurchasingPower", "purchasing_power_id"),
            "customer": _one("Customer", "customer_id"),
        },
    )
    oso.register_class(
        Event,
        fields={
            **_EVENT_FIELDS,
            "purchasing_power": _one("PurchasingPower", "purchasing_power_id"),
            "customer": _one("Customer", "customer_id"),
        },
    )
    oso.set_data_filtering_adapter(
        SqlFilterAdapter(
            {
                Customer: Customer,
                CustomerNumber: CustomerNumber,
                ProviderCustomer: ProviderCustomer,
                PurchasingPower: PurchasingPower,
                Reservation: Reservation,
                Event: Event,
                CustomerEvent: Event,
                CustomerReservation: Reservation,
                CustomerPurchasingPower: PurchasingPower,
            }
        )
    )


def check_rules(oso: Oso, rules: Mapping[str, int] = QUERIED_RULES) -> None:
    """Refuse a policy that lacks a rule the code queries (PolicyError names them)."""
    missing = []
    for name, arity in rules.items():
        # Asked with every argument unknown: Polar refuses an undefined rule before
        # evaluating anything; a defined one yields (or not) a first partial answer.
        query = oso.query_rule(
            name, *(Variable(f"_{n}") for n in range(arity)), accept_expression=True
        )
        try:
            next(query, None)
        except PolarRuntimeError as error:
            if "Query for undefined rule" in str(error):
                missing.append(f"{name}/{arity}")
    if missing:
        raise PolicyError(
            "the policy lacks rules the code queries: "
            + ", ".join(missing)
            + f" (looked in the package data {POLICY_PACKAGE}/{POLICY_DIRECTORY})"
        )


def create_oso(sources: Iterable[PolarSource] | None = None) -> Oso:
    """An Oso with every policy class registered and the packaged policy loaded.

    `sources` replaces the packaged policy (tests load variants of it). Raises
    PolicyError when a rule the code queries is missing.
    """
    oso = Oso()
    _register(oso)
    # Polar loads all sources in one call (a second load is refused); `load_files`
    # wants paths on disk, which package data inside a zip or wheel need not have.
    oso._load_sources(list(policy_sources() if sources is None else sources))
    check_rules(oso)
    return oso


def _resource_constraint(variable: Variable, class_name: str) -> Expression:
    return Expression("And", [Expression("Isa", [variable, Pattern(class_name, {})])])


def _dot_fields(term: Any, found: set[str]) -> None:
    """The attributes looked up on the unknown resource in a partial result."""
    if isinstance(term, Expression):
        if term.operator == "Dot" and isinstance(term.args[0], Variable):
            found.add(str(term.args[1]))
        for arg in term.args:
            _dot_fields(arg, found)
    elif isinstance(term, list | tuple):
        for item in term:
            _dot_fields(item, found)


class OsoPolicy:
    """`interface.Policy` on Oso, with the authorized statements cached.

    Building a statement runs Polar's partial evaluation (about 5 ms each). Its result
    depends only on the actor, which holds exactly the facts the policy may read (a
    frozen `Actor`), and SQLAlchemy statements are immutable: actors with equal facts
    share them.
    """

    def __init__(self, oso: Oso, size: int = 2048) -> None:
        self.oso = oso
        self.size = size
        self._statements: OrderedDict[tuple[object, ...], Select[Any]] = OrderedDict()
        self._decisions: OrderedDict[tuple[object, ...], bool] = OrderedDict()

    def _cached(self, key: tuple[object, ...], build: Any) -> Any:
        found = self._statements.get(key)
        if found is None:
            found = build()
            self._statements[key] = found
            if len(self._statements) > self.size:
                self._statements.popitem(last=False)
        else:
            self._statements.move_to_end(key)
        return found

    def _partial(
        self, rule: str, args: tuple[object, ...], model: type[Any], *after: object
    ) -> Any:
        """`rule(*args, resource, *after)` with the resource an unknown `model` row:
        partial evaluation, whose results say what the rule asks of that row."""
        resource = Variable("resource")
        class_name = self.oso.host.types[model].name
        return self.oso.query_rule(
            rule,
            *args,
            resource,
            *after,
            bindings={"resource": _resource_constraint(resource, class_name)},
            accept_expression=True,
        )

    def scope(self, actor: Actor, action: str, model: type[Any]) -> Select[Any]:
        return self._cached(  # type: ignore[no-any-return]
            ("scope", action, model, actor),
            lambda: self.oso.authorized_query(actor, action, model),
        )

    def rule_scope(self, rule: str, args: tuple[object, ...], model: type[Any]) -> Select[Any]:
        """The rows of `model` for which `rule(*args, row)` holds, as one statement.

        `args` must hold the actor (or be built from it): it is part of the cache key.
        """

        def build() -> Select[Any]:
            class_name = self.oso.host.types[model].name
            query = self._partial(rule, args, model)
            results = [
                {"bindings": {k: self.oso.host.to_polar(v)}}
                for result in query
                for k, v in result["bindings"].items()
            ]
            types = serialize_types(self.oso.host.distinct_user_types(), self.oso.host.types)
            plan = self.oso.ffi_polar.build_data_filter(types, results, "resource", class_name)
            return self.oso.host.adapter.build_query(  # type: ignore[no-any-return]
                DataFilter.parse(self.oso, plan)
            )

        return self._cached(("rule", rule, args, model), build)  # type: ignore[no-any-return]

    def allows(self, actor: Actor, action: str, resource: object) -> bool:
        return bool(self.oso.is_allowed(actor, action, resource))

    def decision(
        self,
        actor: Actor,
        action: str,
        model: type[Any],
        values: tuple[object, ...],
        row: Callable[[], object],
    ) -> bool:
        # The answer depends on the actor (exactly the facts it holds) and on the row's
        # `fields_read` columns only (a rule reaching any further raises there), so
        # rows equal on those get equal answers, in this request and in later ones:
        # a page of events asks the engine a few times, not once per event per request.
        key = (action, model, actor, values)
        found = self._decisions.get(key)
        if found is None:
            found = self._decisions[key] = self.allows(actor, action, row())
            if len(self._decisions) > self.size:
                self._decisions.popitem(last=False)
        return found

    def _partial_fields(
        self, rule: str, args: tuple[object, ...], model: type[Any], extra: int = 0
    ) -> tuple[str, ...]:
        class_name = self.oso.host.types[model].name
        query = self._partial(rule, args, model, *(Variable(f"_extra{n}") for n in range(extra)))
        found: set[str] = set()
        for result in query:
            _dot_fields(result["bindings"].get("resource"), found)
        columns = set(model.__table__.columns.keys())
        unknown = found - columns
        if unknown:
            # A relation (event.purchasing_power.x) would need more than the row: no
            # decision on a partial row; the rule must be asked as a statement instead.
            raise PolicyError(
                f"{rule} reads {sorted(unknown)} of a {class_name}, which is not a column"
            )
        return tuple(sorted(found))

    def fields_read(self, actor: Actor, action: str, model: type[Any]) -> tuple[str, ...]:
        return self._cached(  # type: ignore[no-any-return]
            ("reads", action, model, actor),
            lambda: self._partial_fields("allow", (actor, action), model),
        )

    def field_rule_reads(self, actor: Actor, action: str, model: type[Any]) -> tuple[str, ...]:
        return self._cached(  # type: ignore[no-any-return]
            ("field-reads", action, model, actor),
            lambda: self._partial_fields("allow_field", (actor, action), model, extra=1),
        )

    def readable_fields(self, actor: Actor, action: str, resource: object) -> frozenset[str]:
        if isinstance(resource, type):
            # A model, not a row: only when the field rule reads nothing of the resource
            # (the caller checks with field_rule_reads); any row would answer alike.
            model = resource
            return self._cached(  # type: ignore[no-any-return]
                ("fields", action, model, actor),
                lambda: self._fields_of_unknown(actor, action, model),
            )
        return frozenset(self.oso.authorized_fields(actor, action, resource))

    def _fields_of_unknown(self, actor: Actor, action: str, model: type[Any]) -> frozenset[str]:
        query = self._partial("allow_field", (actor, action), model, Variable("field"))
        fields: set[str] = set()
        for result in query:
            value = result["bindings"].get("field")
            if not isinstance(value, str):
                raise PolicyError(f"allow_field for {action} names no single field: {value!r}")
            fields.add(value)
        return frozenset(fields)

    def holds(self, rule: str, *args: object) -> bool:
        """Whether `rule(*args)` holds (rules the code asks, not data-filters)."""
        return bool(self.oso.query_rule_once(rule, *args))
