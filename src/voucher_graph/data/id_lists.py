"""`column IN (:ids)` for a batch of ids, rendered the cheapest way per database.

A batch binds hundreds of ids. As an expanding IN, SQLAlchemy renders one placeholder
(and one cast) per id on every execution, about 10 µs each: tens of milliseconds for
a full page. On PostgreSQL the list is one array parameter instead, `= ANY($1)`, so
the SQL text and its asyncpg prepared statement are the same whatever the batch size.
SQLite has no arrays and keeps the expanding IN.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ARRAY, Boolean, ColumnElement, String, any_, bindparam
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.visitors import InternalTraversal


class InIds(ColumnElement[bool]):
    """`column` is one of the ids bound to the parameter `name` (a list of strings)."""

    inherit_cache = True
    type = Boolean()
    _traverse_internals = [
        ("column", InternalTraversal.dp_clauseelement),
        ("name", InternalTraversal.dp_string),
    ]

    def __init__(self, column: ColumnElement[Any], name: str) -> None:
        self.column = column
        self.name = name


def in_ids(column: Any, name: str) -> InIds:
    """`column` (a mapped attribute or a column) is one of the ids bound to `name`."""
    clause = column.__clause_element__() if hasattr(column, "__clause_element__") else column
    return InIds(clause, name)


@compiles(InIds)
def _expanding_in(element: InIds, compiler: Any, **kw: Any) -> str:
    return compiler.process(  # type: ignore[no-any-return]
        element.column.in_(bindparam(element.name, expanding=True)), **kw
    )


@compiles(InIds, "postgresql")
def _any_array(element: InIds, compiler: Any, **kw: Any) -> str:
    ids = bindparam(element.name, type_=ARRAY(String))
    return compiler.process(element.column == any_(ids), **kw)  # type: ignore[no-any-return]
