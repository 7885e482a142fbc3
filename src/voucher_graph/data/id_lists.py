"""`column IN (:ids)` for a batch of ids, rendered the cheapest way per database.

A batch binds hundreds of ids. As an expanding IN, SQLAlchemy renders one placeholder
(and one cast) per id on every execution, about 10 µs each: tens of milliseconds for
a full page. On PostgreSQL the list is one array parameter instead, `= ANY($1)`, so
the SQL text and its asyncpg prepared statement are the same whatever the batch size.
SQLite has no arrays and keeps the expanding IN.

`in_ids(..., probe=True)` is for a list whose plan tests the ids row by row: a generic
plan checks `= ANY($1)` by a linear search of the array (PostgreSQL hashes constant
arrays only), 500 ids against every row. `IN (SELECT unnest($1))` lets the planner
probe an index per id instead: the provider's customer numbers of a page of 500,
4.7 -> 0.5 ms. Elsewhere `= ANY($1)` is an index condition and stays (as a subquery
those plans got slower).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ARRAY, Boolean, ColumnElement, Select, String, any_, bindparam, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.visitors import InternalTraversal


class InIds(ColumnElement[bool]):
    """`column` is one of the ids bound to the parameter `name` (a list of strings)."""

    inherit_cache = True
    type = Boolean()
    _traverse_internals = [
        ("column", InternalTraversal.dp_clauseelement),
        ("name", InternalTraversal.dp_string),
        ("probe", InternalTraversal.dp_boolean),
    ]

    def __init__(self, column: ColumnElement[Any], name: str, probe: bool) -> None:
        self.column = column
        self.name = name
        self.probe = probe


def _clause(column: Any) -> ColumnElement[Any]:
    """A mapped attribute's column, or the column itself."""
    return column.__clause_element__() if hasattr(column, "__clause_element__") else column  # type: ignore[no-any-return]


def in_ids(column: Any, name: str, *, probe: bool = False) -> InIds:
    """`column` (a mapped attribute or a column) is one of the ids bound to `name`;
    `probe`: one index probe per id on PostgreSQL (see the module docstring)."""
    return InIds(_clause(column), name, probe)


@compiles(InIds)
def _expanding_in(element: InIds, compiler: Any, **kw: Any) -> str:
    return compiler.process(  # type: ignore[no-any-return]
        element.column.in_(bindparam(element.name, expanding=True)), **kw
    )


@compiles(InIds, "postgresql")
def _any_array(element: InIds, compiler: Any, **kw: Any) -> str:
    ids = bindparam(element.name, type_=ARRAY(String))
    if element.probe:
        each = select(func.unnest(ids)).scalar_subquery()
        return compiler.process(element.column.in_(each), **kw)  # type: ignore[no-any-return]
    return compiler.process(element.column == any_(ids), **kw)  # type: ignore[no-any-return]


class InFewSelected(ColumnElement[bool]):
    """`column` is one of the ids `ids` selects, a few (see `in_few_selected`)."""

    inherit_cache = True
    type = Boolean()
    _traverse_internals = [
        ("column", InternalTraversal.dp_clauseelement),
        ("ids", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, column: ColumnElement[Any], ids: Select[Any]) -> None:
        self.column = column
        self.ids = ids


def in_few_selected(column: Any, ids: Select[Any]) -> InFewSelected:
    """`column IN (ids)` for a subquery that selects a few ids, probed one by one on
    PostgreSQL as `column = ANY(ARRAY(ids))`: the ids are computed first and each is
    an index probe. As `IN (subquery)` the planner costs a probe dearer than a scan of
    a small table, so a page's 16 vouchers' contents were a hash join over all 3,200
    content rows (0.6 ms against 0.1 ms)."""
    return InFewSelected(_clause(column), ids)


@compiles(InFewSelected)
def _in_subquery(element: InFewSelected, compiler: Any, **kw: Any) -> str:
    return compiler.process(element.column.in_(element.ids), **kw)  # type: ignore[no-any-return]


@compiles(InFewSelected, "postgresql")
def _any_of_array(element: InFewSelected, compiler: Any, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)
    ids = compiler.process(element.ids.scalar_subquery(), **kw)  # "(SELECT ...)"
    return f"{column} = ANY(ARRAY{ids})"
