"""A resolver marked `reads_row(attribute)` promises that its answer is exactly
`self.row.<attribute>`; the batched executor then reads the attribute itself, without
calling the resolver (schema/executor.py). Every mark is held to its resolver's body."""

from __future__ import annotations

from types import SimpleNamespace

from voucher_graph.schema.build import build_schema
from voucher_graph.schema.executor import DEFINITION


def marked_fields() -> list[tuple[str, str, object, str]]:
    schema = build_schema()
    found = []
    for type_name, graphql_type in schema._schema.type_map.items():  # type: ignore[attr-defined]
        for field_name, field in getattr(graphql_type, "fields", {}).items():
            strawberry_field = (field.extensions or {}).get(DEFINITION)
            resolver = getattr(strawberry_field, "base_resolver", None)
            attribute = getattr(getattr(resolver, "wrapped_func", None), "row_attribute", None)
            if attribute is not None:
                found.append((type_name, field_name, resolver.wrapped_func, attribute))
    return found


def test_every_marked_resolver_answers_its_rows_attribute() -> None:
    marked = marked_fields()
    # Ids, dates and amounts of vouchers, contents, reservations, events and customers.
    assert len(marked) >= 19
    for type_name, field_name, function, attribute in marked:
        value = object()
        row = SimpleNamespace(**{attribute: value})
        answer = function(SimpleNamespace(row=row))
        assert answer is value, f"{type_name}.{field_name} does not answer row.{attribute}"


def test_a_resolver_that_changes_the_value_is_not_marked() -> None:
    # Event.description answers "" for a missing description: it must keep its call.
    names = {(type_name, field_name) for type_name, field_name, _, _ in marked_fields()}
    assert ("Event", "description") not in names
    assert ("BalancePurchasingPower", "grantedAmount") not in names
    assert ("Event", "id") in names
