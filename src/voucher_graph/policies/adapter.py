"""Oso data filter -> SQLAlchemy `Select`, mapping every operator or refusing.

Oso's bundled SQLAlchemy adapter is synchronous, inner-joins every relation of the
filter (so one OR branch's join drops rows another branch allows), maps only Eq, Neq,
In and Nin and silently drops the rest. A dropped condition is a data leak, so this
adapter:

- builds a statement and never executes it (the caller runs it on an async session);
- turns each OR branch into its own semi-join (`key IN (SELECT ...)`, or a correlated
  EXISTS when the branch also constrains the root row) over only the relations that
  branch uses, so branches cannot restrict one another and no DISTINCT is needed;
  semi-join branches over the same relations are merged into one select;
- maps Eq, Neq, In, Nin, Lt, Leq, Gt, Geq with SQL NULL handled as Polar's `nil`, and
  raises `UnsupportedFilter` on any other operator, operand or relation shape.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from polar.data.adapter import DataAdapter
from polar.data.filter import Condition, DataFilter, Projection, Relation
from sqlalchemy import ColumnElement, and_, exists, false, or_, select, true
from sqlalchemy.orm import aliased
from sqlalchemy.sql import Select


class UnsupportedFilter(Exception):
    """The policy produced a filter this adapter cannot translate exactly."""


# Literal types that may appear as immediate values in a condition.
_LITERALS = (str, bool, int, Decimal, datetime.date, type(None))

Comparator = Callable[[Any, Any], ColumnElement[bool]]


def _eq(left: Any, right: Any) -> ColumnElement[bool]:
    # Polar's nil = nil holds; SQL's NULL = NULL does not. A plain `=` against a
    # literal keeps the comparison indexable on PostgreSQL.
    if right is None:
        return left.is_(None)  # type: ignore[no-any-return]
    if isinstance(right, _LITERALS):
        return left == right  # type: ignore[no-any-return]
    return left.is_not_distinct_from(right)  # type: ignore[no-any-return]


def _neq(left: Any, right: Any) -> ColumnElement[bool]:
    # nil != "x" holds in Polar, so a NULL column passes a Neq against a literal.
    if right is None:
        return left.is_not(None)  # type: ignore[no-any-return]
    if isinstance(right, _LITERALS):
        return or_(left != right, left.is_(None))
    return left.is_distinct_from(right)  # type: ignore[no-any-return]


_COMPARATORS: Mapping[str, Comparator] = {
    "Eq": _eq,
    "Neq": _neq,
    "Lt": lambda left, right: left < right,
    "Leq": lambda left, right: left <= right,
    "Gt": lambda left, right: left > right,
    "Geq": lambda left, right: left >= right,
}

_PYTHON_COMPARATORS: Mapping[str, Callable[[Any, Any], bool]] = {
    "Eq": lambda a, b: bool(a == b),
    "Neq": lambda a, b: bool(a != b),
    "Lt": lambda a, b: bool(a < b),
    "Leq": lambda a, b: bool(a <= b),
    "Gt": lambda a, b: bool(a > b),
    "Geq": lambda a, b: bool(a >= b),
    "In": lambda a, b: a in b,
    "Nin": lambda a, b: a not in b,
}


@dataclass
class _SemiJoin:
    """OR branches that each say `root.<root_key> IN (SELECT key FROM <needed> ...)`."""

    root_key: str
    needed: frozenset[type]
    froms: list[Any]
    key_column: Any
    joins: list[ColumnElement[bool]]
    clauses: list[list[ColumnElement[bool]]]  # one conjunction per branch

    @property
    def group_key(self) -> tuple[str, frozenset[type]]:
        return (self.root_key, self.needed)

    def select(self) -> Select[Any]:
        common = [
            clause
            for clause in self.clauses[0]
            if all(any(_same_clause(clause, other) for other in rest) for rest in self.clauses[1:])
        ]
        rests = [
            [c for c in conj if not any(_same_clause(c, k) for k in common)]
            for conj in self.clauses
        ]
        where = list(common)
        if all(rests):  # a branch with nothing but the common conditions admits them all
            where.append(
                or_(*(and_(*rest) for rest in rests)) if len(rests) > 1 else and_(*rests[0])
            )
        return select(self.key_column).select_from(*self.froms).where(*self.joins, *where)


def _same_clause(a: ColumnElement[bool], b: ColumnElement[bool]) -> bool:
    """The same condition on the same rows. SQLAlchemy's `compare` takes a column of two
    aliases of one table as equal (`e1.provider_id = 'p1'` and `e2.provider_id = 'p1'`):
    factored out as common, a condition on one alias would then be applied to another,
    changing who sees what. So the FROM objects must be the very same too."""
    return a.compare(b) and [id(f) for f in a._from_objects] == [id(f) for f in b._from_objects]


class SqlFilterAdapter(DataAdapter):
    """Translate Oso's `DataFilter` into a `Select` of the root model.

    `models` maps each registered Polar class to the mapped SQLAlchemy class whose
    table holds it: a model maps to itself, an alias marker (the same table reached on
    a second path, e.g. a customer's events seen from an event) to its model.
    """

    def __init__(self, models: Mapping[type, type]) -> None:
        self._models = dict(models)

    def build_query(self, filter: DataFilter) -> Select[Any]:
        root = self._model(filter.model)
        parents = self._relation_tree(filter)
        entities: dict[type, Any] = {filter.model: root}
        for cls in parents:
            entities[cls] = aliased(self._model(cls))

        branches: list[ColumnElement[bool]] = []
        semi_joins: dict[tuple[str, frozenset[type]], _SemiJoin] = {}
        for conj in filter.conditions:
            branch = self._branch(conj, filter, parents, entities)
            if isinstance(branch, _SemiJoin):
                group = semi_joins.setdefault(branch.group_key, branch)
                if group is not branch:
                    group.clauses.append(branch.clauses[0])
            else:
                branches.append(branch)
        branches[:0] = self._semi_join_conditions(root, list(semi_joins.values()))
        where = or_(*branches) if branches else false()
        return select(root).where(where)

    @staticmethod
    def _semi_join_conditions(root: Any, groups: list[_SemiJoin]) -> list[ColumnElement[bool]]:
        """The semi-join branches as conditions on the root.

        A group's branches reach the same related rows on the same joins, so one
        select with their conditions OR-ed answers all of them; their common
        conditions (the viewer's provider, say) are factored out so that an index can
        serve them. A root key reached by one group is one `root.key IN (SELECT ...)`:
        PostgreSQL makes it a semi-join that it runs either as a hash or as index
        probes from an ordered walk of the root (a page of customers by name). A key
        reached by several groups gets a correlated EXISTS per group: an `IN` over
        their UNION ALL would be hashed whole even to check one row (PostgreSQL
        cannot estimate its distinct keys), while each EXISTS is one index probe per
        row, or a hash when many rows are checked.
        """
        by_key: dict[str, list[_SemiJoin]] = {}
        for group in groups:
            by_key.setdefault(group.root_key, []).append(group)
        conditions: list[ColumnElement[bool]] = []
        for key, members in by_key.items():
            root_key = getattr(root, key)
            if len(members) == 1:
                conditions.append(root_key.in_(members[0].select()))
            else:
                conditions.extend(
                    exists(group.select().where(group.key_column == root_key)) for group in members
                )
        return conditions

    def execute_query(self, query: Any) -> Any:
        raise UnsupportedFilter("run the built statement on an async session instead")

    # -- relations ------------------------------------------------------------------

    def _relation_tree(self, filter: DataFilter) -> dict[type, Relation]:
        """Each non-root class and the one relation that reaches it from the root."""
        parents: dict[type, Relation] = {}
        for relation in filter.relations:
            if relation.right is filter.model or relation.right in parents:
                raise UnsupportedFilter(
                    f"{relation.right.__name__} is reached on two paths; "
                    "register an alias class for the second one"
                )
            parents[relation.right] = relation
        for relation in parents.values():
            if relation.left is not filter.model and relation.left not in parents:
                raise UnsupportedFilter(f"relation from unreachable {relation.left.__name__}")
        return parents

    def _join_condition(
        self, relation: Relation, filter: DataFilter, entities: dict[type, Any]
    ) -> ColumnElement[bool]:
        declared = filter.types[relation.left].fields.get(relation.name)
        if declared is None or not hasattr(declared, "my_field"):
            raise UnsupportedFilter(f"unknown relation {relation.left.__name__}.{relation.name}")
        left = getattr(entities[relation.left], declared.my_field)
        right = getattr(entities[relation.right], declared.other_field)
        return left == right  # type: ignore[no-any-return]

    # -- conditions -----------------------------------------------------------------

    def _branch(
        self,
        conjunction: list[Condition],
        filter: DataFilter,
        parents: dict[type, Relation],
        entities: dict[type, Any],
    ) -> ColumnElement[bool] | _SemiJoin:
        clauses = [self._condition(cond, entities) for cond in conjunction]
        needed: set[type] = set()
        for cond in conjunction:
            for side in (cond.left, cond.right):
                if isinstance(side, Projection) and side.source is not filter.model:
                    cls = side.source
                    while cls is not filter.model:
                        if cls not in parents:
                            raise UnsupportedFilter(f"{cls.__name__} is not related to the root")
                        needed.add(cls)
                        cls = parents[cls].left
        if not needed:
            return and_(true(), *clauses)
        tops = [cls for cls in needed if parents[cls].left is filter.model]
        if len(tops) == 1 and not self._mentions_root(conjunction, filter):
            # One chain hanging from the root, conditions on related rows only: an
            # uncorrelated semi-join (`root.key IN (SELECT ...)`), computed once. A
            # correlated EXISTS lets SQLite without statistics pick an index on the
            # conditions and rescan it for every root row (seconds at 2000 customers).
            top = tops[0]
            declared = filter.types[filter.model].fields.get(parents[top].name)
            if declared is None or not hasattr(declared, "my_field"):
                raise UnsupportedFilter(f"unknown relation {parents[top].name}")
            inner_joins = [
                self._join_condition(parents[cls], filter, entities)
                for cls in needed
                if cls is not top
            ]
            return _SemiJoin(
                root_key=declared.my_field,
                needed=frozenset(needed),
                # Entities and joins in a stable order: equal branches, equal SQL.
                froms=[entities[c] for c in sorted(needed, key=lambda c: c.__name__)],
                key_column=getattr(entities[top], declared.other_field),
                joins=inner_joins,
                clauses=[clauses],
            )
        joins = [self._join_condition(parents[cls], filter, entities) for cls in needed]
        # Correlated to the root entity: true when some related rows satisfy the branch.
        subquery = select(true()).select_from(*(entities[c] for c in needed))
        return exists(subquery.where(*joins, *clauses))

    @staticmethod
    def _mentions_root(conjunction: list[Condition], filter: DataFilter) -> bool:
        return any(
            isinstance(side, Projection) and side.source is filter.model
            for cond in conjunction
            for side in (cond.left, cond.right)
        )

    def _condition(self, cond: Condition, entities: dict[type, Any]) -> ColumnElement[bool]:
        op = cond.cmp
        left_is_column = isinstance(cond.left, Projection)
        right_is_column = isinstance(cond.right, Projection)
        if not left_is_column and not right_is_column:
            compare = _PYTHON_COMPARATORS.get(op)
            if compare is None:
                raise UnsupportedFilter(f"unknown operator {op!r}")
            return (
                true() if compare(self._literal(cond.left), self._literal(cond.right)) else false()
            )

        left = self._side(cond.left, entities)
        right = self._side(cond.right, entities)
        if op in ("In", "Nin"):
            if not left_is_column or right_is_column or not isinstance(cond.right, list | tuple):
                raise UnsupportedFilter(f"{op} needs a column on the left and a list on the right")
            values = [self._literal(value) for value in cond.right]
            if any(value is None for value in values):
                raise UnsupportedFilter(f"{op} with nil in the list")
            column = left
            return (
                column.in_(values) if op == "In" else or_(column.not_in(values), column.is_(None))
            )
        compare_sql = _COMPARATORS.get(op)
        if compare_sql is None:
            raise UnsupportedFilter(f"unknown operator {op!r}")
        if not left_is_column:
            # Keep the column on the left so SQLAlchemy renders the operator as written.
            mirrored = {"Lt": "Gt", "Leq": "Geq", "Gt": "Lt", "Geq": "Leq"}.get(op, op)
            return _COMPARATORS[mirrored](right, left)
        return compare_sql(left, right)

    def _side(self, side: Any, entities: dict[type, Any]) -> Any:
        if isinstance(side, Projection):
            entity = entities.get(side.source)
            if entity is None:
                raise UnsupportedFilter(f"{side.source.__name__} is not part of this query")
            field = side.field or "id"
            if not hasattr(entity, field):
                raise UnsupportedFilter(f"{side.source.__name__} has no column {field!r}")
            return getattr(entity, field)
        if isinstance(side, list | tuple):
            return side
        return self._literal(side)

    def _literal(self, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return [self._literal(v) for v in value]
        if not isinstance(value, _LITERALS):
            # A model instance as an operand would need its primary key; refuse rather
            # than guess which column was meant.
            raise UnsupportedFilter(f"unsupported operand of type {type(value).__name__}")
        return value

    def _model(self, cls: type) -> type:
        model = self._models.get(cls)
        if model is None:
            raise UnsupportedFilter(f"{cls.__name__} is not a registered model")
        return model
