"""The reference tables (services, contents, settlement dates), kept per process.

Every request needs them and only `load` and `generate` change them, so reading them
on every request was three statements of pure repetition. They are kept per engine
with the `reference_generation` number read in the same statement (one snapshot, so
rows and number always agree). The viewer's statement reads the current number on
every request; while it is unchanged the kept rows are used, and when it has moved
(triggers bump it on any write to those tables, see migration 0003) they are read
again. Nothing is ever served from a generation older than the request's own.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.engine import Engine

from . import models as m

# The current generation: a scalar subquery for the viewer's statement and the loads.
GENERATION = (
    select(m.ReferenceGeneration.generation).where(m.ReferenceGeneration.id == 1).scalar_subquery()
)
GENERATION_COLUMN = "reference_generation"


def with_generation(statement: Any) -> Select[Any]:
    """`statement` with the current generation as an extra column of every row."""
    return statement.add_columns(GENERATION.label(GENERATION_COLUMN))  # type: ignore[no-any-return]


@dataclass
class _Kept:
    generation: int
    tables: dict[str, Any] = field(default_factory=dict)


# Per engine (a weak key: engines of finished tests or closed apps are dropped).
_KEPT: weakref.WeakKeyDictionary[Engine, _Kept] = weakref.WeakKeyDictionary()


def kept(engine: Engine, name: str, generation: int | None) -> Any | None:
    """The table `name` as read at `generation`, if this process holds it."""
    if generation is None:
        return None
    found = _KEPT.get(engine)
    if found is None or found.generation != generation:
        return None
    return found.tables.get(name)


def keep(engine: Engine, name: str, rows: Sequence[Any], value: Any) -> None:
    """Keep `value`, built from `rows` read with `with_generation`, for later requests.

    An empty table tells no generation and is not kept (only an empty database has one).
    """
    if not rows:
        return
    generation = getattr(rows[0], GENERATION_COLUMN)
    found = _KEPT.get(engine)
    if found is None or found.generation != generation:
        found = _KEPT[engine] = _Kept(generation)
    found.tables[name] = value
