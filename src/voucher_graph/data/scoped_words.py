"""Name words within a viewer's scope: a name search that reads the viewer's matching
words, not every matching word of the database.

A name search asks for the visible customers with a word starting with a prefix. With
one word table for all customers, the matches of "kor" are those of every provider and
organizer (10,406 customers at a million), each checked against the viewer's rules, or
the viewer's whole visible set (250,000 customers for the biggest provider) hashed
against them: either way the search grows with the database, not with its answer.

So the words are kept per scope as well, beside the facts the policy's rules read:
- `provider_name_words`: rule A's relation (`provider_customers`) times the customer's
  words, with the pair's facts copied. Written wherever the relation is: derived
  with it in bulk, and refreshed for a pair in the same transaction as every event
  write of that pair (`refresh_provider_words`, called by access_relation).
- `grant_name_words`: the (organizer, service, customer) of the purchasing powers
  times the customer's words. Derived by `load` and `generate` only: nothing else
  writes purchasing powers or names.

The policy stays the only place that says who sees whom. Its statement for a provider
is `SELECT pc.customer_id FROM provider_customers pc WHERE φ` with φ a condition on the
pair's provider and facts, and for rules B and C `... FROM purchasing_powers pp WHERE
φ` with φ on the grant's organizer and service. `restate` evaluates that same φ on a
word table's rows, which carry those columns under the same names; a condition on
anything else is not restated (None), and the search keeps its general statement. So
nothing the policy says is dropped: either all of φ applies, or the word tables are not
used.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Select,
    Table,
    case,
    delete,
    distinct,
    func,
    insert,
    or_,
    select,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import operators, visitors
from sqlalchemy.sql.elements import (
    BinaryExpression,
    BindParameter,
    BooleanClauseList,
    ColumnClause,
    False_,
    Grouping,
    Null,
    True_,
)

from . import models as m

PAIRS = cast(Table, m.ProviderCustomer.__table__)
POWERS = cast(Table, m.PurchasingPower.__table__)
WORDS = cast(Table, m.CustomerNameWord.__table__)
PROVIDER_WORDS = cast(Table, m.ProviderNameWord.__table__)
GRANT_WORDS = cast(Table, m.GrantNameWord.__table__)

# The facts of a pair that its word rows carry.
PAIR_FACTS = ("last_date", "reservation_open")
# What a policy statement over each source may read, for the words to answer for it.
_READABLE = {
    PAIRS: ("provider_id", "customer_id", *PAIR_FACTS),
    POWERS: ("organizer_id", "service_id", "customer_id"),
}
# The word table that restates each source.
_WORDS_OF = {PAIRS: PROVIDER_WORDS, POWERS: GRANT_WORDS}
# The plain comparisons a restated condition may be made of.
_ALLOWED = (BinaryExpression, BooleanClauseList, BindParameter, Grouping, True_, False_, Null)


def restate(keys: Select[Any]) -> tuple[Table, ColumnElement[bool]] | None:
    """The word table that answers for `keys`, and the policy's condition φ on its rows;
    None unless `keys` is exactly `SELECT s.customer_id FROM s WHERE φ` over rule A's
    relation or the purchasing powers, with φ reading nothing but the columns the word
    table carries."""
    froms = keys.get_final_froms()
    table = getattr(froms[0], "element", froms[0]) if len(froms) == 1 else None
    if table not in _READABLE:
        return None
    words = _WORDS_OF[table]
    condition = condition_on(keys, table, _READABLE[table], words)
    return None if condition is None else (words, condition)


# The column each word table's prefix index leads with (migration 0012): a provider's
# or an organizer's words lie together there.
_SCOPE_OF = {PROVIDER_WORDS: "provider_id", GRANT_WORDS: "organizer_id"}
# How many leading characters of a word its prefix index holds (migration 0012).
PREFIX_CHARS = 3


def word_prefix(words: Table) -> ColumnElement[str]:
    """The expression of `words`' prefix index: its word's first PREFIX_CHARS
    characters (as the index says it, for PostgreSQL to match the two)."""
    return func.left(words.c.word, PREFIX_CHARS)


def fixes_scope(words: Table, condition: ColumnElement[bool]) -> bool:
    """Whether `condition` (a policy condition restated on `words` by `restate`) holds
    only for rows of one provider or organizer, a top-level `scope = value`: then the
    rows it selects lie in one range of the prefix index. (An ADMIN who is on another
    organizer's team has an OR at the top, and no such range.)"""
    scope = words.c[_SCOPE_OF[words]]

    def is_scope(left: Any) -> bool:
        return isinstance(left, ColumnElement) and left.compare(scope)

    return any(
        equality_with_value(clause, is_scope) is not None
        for clause in top_level_conjuncts(condition)
    )


def condition_on(
    keys: Select[Any], source_table: Table, readable: tuple[str, ...], target: Any
) -> ColumnElement[bool] | None:
    """φ of `SELECT s.customer_id FROM s WHERE φ`, `s` an alias of `source_table`,
    evaluated on `target`'s columns of the same names (`readable`).

    None unless `keys` has exactly that shape and φ reads nothing but those columns,
    compared with values (and/or, true/false/null): anything else the policy might say
    cannot be evaluated on `target`, and the caller must keep the policy's statement.
    """
    froms = keys.get_final_froms()
    if len(froms) != 1 or keys.whereclause is None or _more_than_where(keys):
        return None
    source = froms[0]
    if getattr(source, "element", source) is not source_table:
        return None
    selected = keys.selected_columns
    if not (
        len(selected) == 1
        and isinstance(selected[0], ColumnClause)
        and _of(selected[0], source, "customer_id")
    ):
        return None
    for element in visitors.iterate(keys.whereclause):
        if isinstance(element, ColumnClause):
            if not any(_of(element, source, name) for name in readable):
                return None
        elif not isinstance(element, _ALLOWED):
            return None

    def on_target(element: Any, **_kw: Any) -> Any:
        if isinstance(element, ColumnClause):
            return target.c[element.name]
        return None

    where: ColumnElement[bool] = keys.whereclause
    return visitors.replacement_traverse(where, {}, on_target)


def top_level_conjuncts(where: ColumnElement[bool] | None) -> list[ColumnElement[bool]]:
    """The clauses of `where` that each must hold: its AND's operands, else itself."""
    if where is None:
        return []
    if isinstance(where, BooleanClauseList) and where.operator is operators.and_:
        return list(where.clauses)
    return [where]


def equality_with_value(clause: Any, column: Any) -> BindParameter[Any] | None:
    """The value of `clause` when it is `column = value` (`column` a test of the left
    side), else None."""
    if (
        isinstance(clause, BinaryExpression)
        and clause.operator is operators.eq
        and isinstance(clause.right, BindParameter)
        and column(clause.left)
    ):
        return clause.right
    return None


def summed_within_one_scope(keys: Select[Any], scope: Any, count: Any) -> Select[Any]:
    """`SELECT` the sum of `count` over the rows the caller's WHERE selects when they
    are all of one `scope` (a provider's classes, an organizer's service sets: each
    customer is in at most one of them), else the DISTINCT count of the policy's
    `keys` (a scalar subquery, an InitPlan that PostgreSQL runs only then)."""
    distinct_keys = select(func.count()).select_from(keys.distinct().subquery()).scalar_subquery()
    return select(
        case(
            (func.count(distinct(scope)) <= 1, func.coalesce(func.sum(count), 0)),
            else_=distinct_keys,
        )
    )


def _more_than_where(keys: Select[Any]) -> bool:
    """Whether `keys` says anything besides its WHERE that restating would lose: a
    GROUP BY or HAVING (which narrows the set), a LIMIT, OFFSET or FETCH, a DISTINCT ON.
    (A plain DISTINCT or an ORDER BY changes no member of the set.)"""
    return bool(
        keys._group_by_clauses
        or keys._having_criteria
        or keys._limit_clause is not None
        or keys._offset_clause is not None
        or keys._fetch_clause is not None
        or keys._distinct_on
    )


def _of(column: ColumnClause[Any], source: Any, name: str) -> bool:
    """Whether `column` is `source`'s column `name` (the same FROM object, whatever ORM
    annotations each reference carries)."""
    return _plain(column.table) is _plain(source) and column.name == name


def _plain(element: Any) -> Any:
    return element._deannotate() if element is not None else None


def _provider_word_rows(*where: ColumnElement[bool]) -> Select[Any]:
    return (
        select(
            PAIRS.c.provider_id,
            WORDS.c.word,
            WORDS.c.customer_id,
            *(PAIRS.c[name] for name in PAIR_FACTS),
            WORDS.c.last_name_lower,
            WORDS.c.first_name_lower,
        )
        .join(WORDS, WORDS.c.customer_id == PAIRS.c.customer_id)
        .where(*where)
    )


def _insert_rows(table: Table, rows: Select[Any], dialect_insert: Any = insert) -> Any:
    """INSERT INTO `table` ... `rows`, whose columns are named as the table's."""
    return dialect_insert(table).from_select(list(rows.selected_columns.keys()), rows)


async def derive_provider_words(session: AsyncSession) -> None:
    """Build `provider_name_words` from rule A's relation and the name words, on the
    server: called by `derive_provider_customers`, which empties it first (its rows
    reference the relation's)."""
    await session.execute(_insert_rows(PROVIDER_WORDS, _provider_word_rows()))


async def derive_grant_words(session: AsyncSession) -> None:
    """(Re)build `grant_name_words` from the purchasing powers and the name words, on
    the server (load, generate)."""
    await session.execute(delete(GRANT_WORDS))
    grants = (
        select(POWERS.c.organizer_id, POWERS.c.service_id, POWERS.c.customer_id)
        .distinct()
        .subquery("grants")
    )
    rows = select(
        grants.c.organizer_id,
        WORDS.c.word,
        grants.c.service_id,
        WORDS.c.customer_id,
        WORDS.c.last_name_lower,
        WORDS.c.first_name_lower,
    ).join(WORDS, WORDS.c.customer_id == grants.c.customer_id)
    await session.execute(_insert_rows(GRANT_WORDS, rows))


async def refresh_provider_words(session: AsyncSession, provider_id: str, customer_id: str) -> None:
    """Copy one pair's facts onto its word rows (creating them with the pair): call it
    after the pair's row is refreshed, in the same transaction, which holds that row's
    lock (access_relation.refresh_provider_customer), so the copies are written in the
    order the facts are and always equal them once committed."""
    dialect = session.get_bind().dialect.name
    dialect_insert = pg_insert if dialect == "postgresql" else sqlite_insert
    upsert = _insert_rows(
        PROVIDER_WORDS,
        _provider_word_rows(PAIRS.c.provider_id == provider_id, PAIRS.c.customer_id == customer_id),
        dialect_insert,
    )
    await session.execute(
        upsert.on_conflict_do_update(
            index_elements=list(PROVIDER_WORDS.primary_key.columns),
            set_={name: upsert.excluded[name] for name in PAIR_FACTS},
            # Rows whose facts did not change are left alone: the facts are in the
            # primary key's INCLUDE, so every update writes a new index entry and
            # clears the page's all-visible bit that index-only scans rely on.
            where=or_(
                *(
                    PROVIDER_WORDS.c[name].is_distinct_from(upsert.excluded[name])
                    for name in PAIR_FACTS
                )
            ),
        )
    )
