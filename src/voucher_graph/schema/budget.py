"""Cheap counts over a parsed document, refused before graphql-core validates it.

Validation is not linear: the overlapping-fields rule compares every pair of fields
that share a response name, so ~1,200 repeated `me { id }` in 12 KB keep a worker busy
for seconds. One walk here, without recursion and stopping at the first count over its
limit, bounds what validation (and every later step) can be handed.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)

from ..settings import Limits
from .errors import TOO_COMPLEX

INTROSPECTION_ROOTS = frozenset({"__schema", "__type"})


class TooComplex(Exception):
    """A count went over its limit; the message says which."""


@dataclass
class _Unit:
    """Selection sets answered as one object (a field's, with its fragments inlined)."""

    sets: list[tuple[SelectionSetNode, frozenset[str]]]
    depth: int  # depth of the fields in it: a root field has depth 0 (as Strawberry counts)
    introspection: bool


class _Walk:
    def __init__(self, document: DocumentNode, limits: Limits) -> None:
        self.limits = limits
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.fields = 0
        self.selections = 0

    def operation(self, operation: OperationDefinitionNode) -> None:
        units = [_Unit([(operation.selection_set, frozenset())], 0, False)]
        while units:
            units.extend(self._unit(units.pop()))

    def _unit(self, unit: _Unit) -> list[_Unit]:
        """Count the unit's fields; their sub-selections, merged by response name as
        validation merges them, are the next units."""
        limits = self.limits
        names: Counter[str] = Counter()
        children: dict[str, _Unit] = {}
        pending = list(unit.sets)
        while pending:
            selection_set, path = pending.pop()
            for selection in selection_set.selections:
                self.selections += 1
                if self.selections > limits.max_selections:
                    raise TooComplex(f"more than {limits.max_selections} selections")
                if isinstance(selection, FieldNode):
                    name = self._field(selection, unit, names)
                    if selection.selection_set is None:
                        continue
                    child = children.get(name)
                    if child is None:
                        introspection = (
                            unit.introspection or selection.name.value in INTROSPECTION_ROOTS
                        )
                        child = children[name] = _Unit([], unit.depth + 1, introspection)
                    child.sets.append((selection.selection_set, path))
                elif isinstance(selection, InlineFragmentNode):
                    pending.append((selection.selection_set, path))
                elif isinstance(selection, FragmentSpreadNode):
                    fragment_name = selection.name.value
                    fragment = self.fragments.get(fragment_name)
                    # Unknown or cyclic spreads are the standard rules' to report.
                    if fragment is not None and fragment_name not in path:
                        pending.append((fragment.selection_set, path | {fragment_name}))
        return list(children.values())

    def _field(self, field: FieldNode, unit: _Unit, names: Counter[str]) -> str:
        limits = self.limits
        self.fields += 1
        if self.fields > limits.max_fields:
            raise TooComplex(f"more than {limits.max_fields} fields")
        introspection = unit.introspection or field.name.value in INTROSPECTION_ROOTS
        deepest = limits.max_introspection_depth if introspection else limits.max_depth
        if unit.depth > deepest:
            raise TooComplex(f"deeper than {deepest} levels")
        name = (field.alias or field.name).value
        names[name] += 1
        if names[name] > limits.max_same_name:
            raise TooComplex(f"more than {limits.max_same_name} fields named {name!r} in one place")
        return name


def budget_errors(document: DocumentNode, limits: Limits) -> list[GraphQLError]:
    """QUERY_TOO_COMPLEX errors for a document over the cheap counts, else none.

    Fields and selections are counted as executed: a fragment counts each time it is
    spread. Depth covers introspection too, with its own limit."""
    definitions = len(document.definitions)
    try:
        if definitions > limits.max_definitions:
            raise TooComplex(f"more than {limits.max_definitions} definitions")
        walk = _Walk(document, limits)
        for definition in document.definitions:
            if isinstance(definition, OperationDefinitionNode):
                walk.operation(definition)
    except TooComplex as exc:
        return [GraphQLError(f"query too complex: {exc}", extensions={"code": TOO_COMPLEX})]
    return []
