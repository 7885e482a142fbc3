"""Read statements run straight on asyncpg: the loaders' hot path on PostgreSQL.

A loader's statement is built once and reused (data/loaders.py `Prepared`), yet each
run through SQLAlchemy's execution still costs about 120 µs of Python (cache-key
lookup, execution context, the greenlet hop, the adapted cursor) plus about 1 µs per
row to build its Row. Measured on a 737-row events batch: 1.36 ms through SQLAlchemy,
0.54 ms here; 0.15 ms against 0.03 ms for a one-customer batch. A small query runs
five such statements, a full page ten with thousands of rows.

So on PostgreSQL a read statement is compiled once by SQLAlchemy (the same SQL it
would send) and run with asyncpg's own `fetch`, on the session's connection, under the
same lock as SQLAlchemy's adapter runs it (and the access log's insert with
`executemany`):

- no BEGIN is sent: a statement runs in the transaction an earlier write or lock
  opened, or else on its own (see `_run`);
- bind values go through the statement's bind processors, result values through the
  column types' result processors (ExactDecimal's text -> Decimal), applied when the
  attribute is read;
- the engine's `before_cursor_execute` / `after_cursor_execute` listeners see each
  statement (statement counts, the request log, OpenTelemetry spans);
- asyncpg's errors become SQLAlchemy's `DBAPIError`, and a dropped connection is
  invalidated, as SQLAlchemy's own execution does.

A statement SQLAlchemy must expand at execution time (an IN list, a literal-execute
parameter) is not compiled here and keeps the ordinary path; so does SQLite.
"""

from __future__ import annotations

import re
import weakref
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from operator import itemgetter
from types import SimpleNamespace
from typing import Any, cast

import asyncpg
from sqlalchemy import Boolean, Date, DateTime, Executable, Integer, Select, String, literal_column
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError, PendingRollbackError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import BindParameter
from sqlalchemy.sql.visitors import replacement_traverse

from .types import ExactDecimal, parse_stored


class Row(asyncpg.Record):  # type: ignore[misc]
    """An asyncpg record read by attribute, as SQLAlchemy's Row is (`row.id`).

    Each statement gets its own subclass with one property per column: a C itemgetter,
    or for a column with a result processor (ExactDecimal's text -> Decimal) the
    processor applied on read.
    """

    __slots__ = ()
    _keys: tuple[str, ...] = ()  # the attribute names, in column order

    @property
    def _mapping(self) -> dict[str, Any]:
        """Column name -> value, as SQLAlchemy's `Row._mapping`."""
        return {name: getattr(self, name) for name in self._keys}


def _column(index: int, convert: Callable[[Any], Any] | None) -> property:
    get = itemgetter(index)
    if convert is None:
        return property(get)
    return property(lambda row: None if (value := get(row)) is None else convert(value))


# Column types whose values asyncpg returns as SQLAlchemy would, or which convert them
# whatever the driver's column type (ExactDecimal's text -> Decimal).
_PLAIN_TYPES = (String, Integer, Boolean, Date, DateTime, ExactDecimal)

# The record's own attributes, which a column of the same name could not be read past.
_RECORD_ATTRIBUTES = frozenset(dir(asyncpg.Record))


@dataclass
class Compiled:
    sql: str
    statement: Executable  # kept alive: the cache is keyed by its id
    construct: Callable[[Mapping[str, Any]], Mapping[str, Any]]
    positions: tuple[str, ...]
    bind: Mapping[str, Callable[[Any], Any]]
    record_class: type[Row]
    names: tuple[str, ...]  # the result's column names, in order
    checked: bool = False  # whether a result showed them in that order
    values_inline: bool = False  # its scope's values are in `sql` (with_values_inline)


_COMPILED: OrderedDict[int, Compiled | None] = OrderedDict()
_COMPILED_SIZE = 4096  # loaders' statements of as many scopes as data/loaders.py keeps


def compiled(statement: Executable, dialect: Dialect) -> Compiled | None:
    """`statement` compiled for asyncpg, or None when it must take SQLAlchemy's path."""
    key = id(statement)
    if key in _COMPILED:
        found = _COMPILED[key]
        if found is None or found.statement is statement:
            _COMPILED.move_to_end(key)
            return found
    found = _compile(statement, dialect)
    _COMPILED[key] = found
    if len(_COMPILED) > _COMPILED_SIZE:
        _COMPILED.popitem(last=False)
    return found


_WRITES: dict[tuple[int, tuple[str, ...]], Compiled | None] = {}


def compiled_write(
    statement: Executable, keys: tuple[str, ...], dialect: Dialect
) -> Compiled | None:
    """A write without RETURNING (an INSERT of the columns `keys`) compiled for asyncpg,
    or None. For the few module-level write statements: kept for the process."""
    key = (id(statement), keys)
    if key not in _WRITES:
        found = None
        if dialect.driver == "asyncpg":
            result = statement.compile(dialect=dialect, column_keys=list(keys))  # type: ignore[attr-defined]
            if _positional(result) and not result._result_columns:
                found = _compiled(statement, result, Row)
        _WRITES[key] = found
    return _WRITES[key]


def _positional(result: Any) -> bool:
    """Whether compiled `result` is fixed SQL with positional parameters (nothing for
    SQLAlchemy to expand or render when it runs)."""
    return not (
        result.post_compile_params or result.literal_execute_params or result.positiontup is None
    )


def _compiled(statement: Executable, result: Any, record_class: type[Row]) -> Compiled:
    return Compiled(
        sql=result.string,
        statement=statement,
        construct=lambda params: result.construct_params(params, _check=False),
        positions=tuple(result.positiontup),
        bind=dict(result._bind_processors),
        record_class=record_class,
        names=tuple(column[1] for column in result._result_columns),
    )


_VALUES_INLINE = "voucher_graph_values_inline"


def with_values_inline(statement: Select[Any]) -> Select[Any]:
    """`statement` to be run with the values it carries written into its SQL text.

    The values a statement carries are its scope's: the viewer's provider, organizer,
    services, window start, bound when the policy built it. The values given per run
    (a search's words, a cursor, a limit) stay parameters.

    Why: a statement is prepared once per connection, and after five runs PostgreSQL
    may plan it generically, costed for the average provider, which at 1M customers
    sorted the biggest provider's whole visible set instead of walking the name index
    (data/search.py). With its scope in the text, each viewer's page is a statement of
    its own, planned for that viewer however often it is reused, so it needs no
    `fresh_plan` and its extra round trip. For statements kept per viewer scope only
    (data/search.py keeps them so). Only plain values are written (`_literal`: ids and
    codes of letters, digits and a few marks, integers, booleans, dates); a statement
    with any other value keeps its parameters and is planned afresh for every run. Such
    statements are kept prepared per connection outside asyncpg's cache (`_KEPT`).
    """
    return statement.execution_options(**{_VALUES_INLINE: True})


class _NoLiteral(Exception):
    """A value the dialect cannot write as a literal (the statement keeps its parameters)."""


# The only strings written into SQL text: letters, digits and a few marks, as the
# scopes' ids and codes are. No quote, backslash or `%` (the asyncpg dialect rewrites
# `%(name)s` into `$n` over the whole text, inside literals too): any other value keeps
# its parameter, and its statement is planned afresh for every run instead.
_PLAIN_TEXT = re.compile(r"[\w .:@+-]*")


def _literal(value: Any, type_: Any, dialect: Dialect) -> str:
    """`value` as a SQL literal, or _NoLiteral when it is not a plain one."""
    if isinstance(value, str):
        if not _PLAIN_TEXT.fullmatch(value):
            raise _NoLiteral(value)
    elif not isinstance(value, bool | int | date):  # datetime is a date too
        raise _NoLiteral(repr(value))
    render = type_.literal_processor(dialect)
    text = render(value) if render is not None else None
    if not isinstance(text, str) or "%" in text or "\\" in text:
        raise _NoLiteral(repr(value))
    if isinstance(value, str) and text != f"'{value}'":
        raise _NoLiteral(value)
    return text


def _literal_values(statement: Executable, dialect: Dialect) -> Executable:
    """`statement` with each parameter that carries its own plain value (`_literal`)
    written as a literal; parameters given per run stay parameters. Raises _NoLiteral
    when a value is not plain."""

    def replace(element: Any, **_: Any) -> Any:
        if not isinstance(element, BindParameter) or element.required:
            return None
        if element.callable is not None or element.expanding or element.value is None:
            raise _NoLiteral(element.key)
        return literal_column(_literal(element.value, element.type, dialect), element.type)

    return cast(Executable, replacement_traverse(cast(Any, statement), {}, replace))


def _compile(statement: Executable, dialect: Dialect) -> Compiled | None:
    if dialect.driver != "asyncpg":
        return None
    result = None
    if statement.get_execution_options().get(_VALUES_INLINE):
        try:
            result = _literal_values(statement, dialect).compile(dialect=dialect)  # type: ignore[attr-defined]
        except _NoLiteral:
            result = None  # planned afresh instead (`fetch`'s fresh_plan)
    inlined = result is not None
    if result is None:
        result = statement.compile(dialect=dialect)  # type: ignore[attr-defined]
    if not (_positional(result) and result._result_columns):
        return None
    columns: dict[str, Any] = {"__slots__": (), "_keys": ()}
    for index, column in enumerate(result._result_columns):
        name = column[0]
        if name in _RECORD_ATTRIBUTES or name in columns:
            return None
        type_ = column[3]
        if not isinstance(type_, _PLAIN_TYPES):
            return None  # its result processing may depend on the driver's column type
        convert = (
            parse_stored  # ExactDecimal's own processing, without SQLAlchemy's wrapper
            if isinstance(type_, ExactDecimal)
            else type_._cached_result_processor(dialect, None)
        )
        columns[name] = _column(index, convert)
    columns["_keys"] = tuple(column[0] for column in result._result_columns)
    record_class = type(f"Row{len(_COMPILED)}", (Row,), columns)
    found = _compiled(statement, result, record_class)
    found.values_inline = inlined
    return found


def _arguments(found: Compiled, params: Mapping[str, Any] | None) -> tuple[Any, ...]:
    """Positional values, as SQLAlchemy hands them to the driver (and to listeners)."""
    values = found.construct(params or {})
    bind = found.bind
    args = []
    for name in found.positions:
        value = values[name]
        process = bind.get(name)
        args.append(value if process is None else process(value))
    return tuple(args)


async def fetch(
    connection: AsyncConnection,
    adapted: Any,
    found: Compiled,
    params: Mapping[str, Any] | None,
    *,
    fresh_plan: bool = False,
) -> list[Row]:
    """The rows of `found` with `params` on `connection` (see the module docstring).

    Statements are prepared once per connection and reused, and after five runs
    PostgreSQL may plan one generically, for any parameter values: right for the
    loaders' id lists, which cost the same plan whoever asks. `fresh_plan` prepares
    the statement afresh instead (one more round trip), so that it is planned for
    these values: a search's page, whose best plan depends on how many customers the
    provider or organizer sees (walk the name index for the biggest, sort for the
    smallest; a generic plan made for the average took a big provider's page from
    59 to 757 ms at 1M customers). A statement with its scope's values in its text
    (`with_values_inline`) is its viewer's own and needs no fresh plan: PostgreSQL's
    generic plan for it is costed for that viewer.
    """
    args = _arguments(found, params)

    async def run(driver: Any) -> list[Row]:
        if found.values_inline:
            return await _run_kept(driver, found, args)
        if fresh_plan:
            statement = await driver.prepare(found.sql, record_class=found.record_class)
            return await statement.fetch(*args)  # type: ignore[no-any-return]
        return await driver.fetch(found.sql, *args, record_class=found.record_class)  # type: ignore[no-any-return]

    rows: list[Row] = await _run(connection, adapted, found, args, False, run)
    if rows and not found.checked:
        # The properties read by position, as SQLAlchemy matches a compiled select's
        # columns: the result must have as many (checked once per statement).
        if len(rows[0]) != len(found.names):
            raise RuntimeError(f"unexpected result columns for {found.sql!r}")
        found.checked = True
    return rows


# A statement with its scope in its text (`with_values_inline`) is one viewer's: kept
# prepared in a small map of the connection's own, not in asyncpg's statement cache,
# where a hundred viewers' pages would push out the loaders' statements that every
# request runs (and their generic plans with them).
_KEPT_PER_CONNECTION = 32
_KEPT: weakref.WeakKeyDictionary[Any, OrderedDict[tuple[str, type[Row]], Any]] = (
    weakref.WeakKeyDictionary()
)


async def _run_kept(driver: Any, found: Compiled, args: tuple[Any, ...]) -> list[Row]:
    kept = _KEPT.get(driver)
    if kept is None:
        kept = _KEPT[driver] = OrderedDict()
    key = (found.sql, found.record_class)
    statement = kept.get(key)
    if statement is not None:
        kept.move_to_end(key)
        try:
            return await statement.fetch(*args)  # type: ignore[no-any-return]
        except asyncpg.InvalidCachedStatementError:
            # The tables changed under it (`load --replace`): prepared again below, as
            # asyncpg does for its own cache, unless a transaction is now aborted.
            del kept[key]
            if driver.is_in_transaction():
                raise
    statement = await driver.prepare(found.sql, record_class=found.record_class)
    kept[key] = statement
    while len(kept) > _KEPT_PER_CONNECTION:
        kept.popitem(last=False)  # asyncpg closes it once it is unreferenced
    return await statement.fetch(*args)  # type: ignore[no-any-return]


async def execute_many(
    connection: AsyncConnection,
    adapted: Any,
    found: Compiled,
    rows: Sequence[Mapping[str, Any]],
) -> None:
    """Run the write `found` once per parameter set of `rows`, in one round trip."""
    args = [_arguments(found, row) for row in rows]
    await _run(
        connection, adapted, found, args, True, lambda driver: driver.executemany(found.sql, args)
    )


def adapted_connection(connection: AsyncConnection) -> Any:
    """SQLAlchemy's AsyncAdapt_asyncpg_connection under `connection`: its lock and its
    asyncpg connection are used as its own cursor uses them (private; pinned by
    pyproject's SQLAlchemy range and by tests/api/test_raw_rows_pg.py).

    Read off the checked-out connection (`Connection.connection` does no I/O then), not
    with `await get_raw_connection()`: a greenlet hop fewer per request."""
    sync = connection.sync_connection
    if sync is None or sync.closed or sync.invalidated:
        # As SQLAlchemy's own path refuses it: a database error, which a query retries.
        raise PendingRollbackError("the connection was lost; roll back before reading again")
    return sync.connection.dbapi_connection


async def _run(
    connection: AsyncConnection,
    adapted: Any,
    found: Compiled,
    args: Any,
    many: bool,
    call: Callable[[Any], Awaitable[Any]],
) -> Any:
    sync = connection.sync_connection
    assert sync is not None
    # No BEGIN is sent here: a statement
    # runs in the transaction SQLAlchemy opened for an earlier one (a write, a lock),
    # or else on its own. In READ COMMITTED each statement takes its own snapshot
    # either way, so a read sees the same rows; a request that only reads then costs
    # no BEGIN and no COMMIT round trip, and its access-log insert commits by itself.
    dispatch = sync.dispatch
    context = SimpleNamespace()  # where span listeners keep their span
    if dispatch.before_cursor_execute:
        dispatch.before_cursor_execute(sync, None, found.sql, args, context, many)
    try:
        async with adapted._execute_mutex:
            return await call(adapted._connection)
    except Exception as error:
        await _raise_translated(connection, found, args, error)
    finally:
        if dispatch.after_cursor_execute:
            dispatch.after_cursor_execute(sync, None, found.sql, args, context, many)


async def _raise_translated(
    connection: AsyncConnection, found: Compiled, args: Any, error: Exception
) -> None:
    """Raise `error` as SQLAlchemy's execution would: a DBAPIError, the connection
    invalidated when it was lost."""
    sync = connection.sync_connection
    assert sync is not None
    dialect = sync.dialect
    dbapi = dialect.loaded_dbapi
    raw = await connection.get_raw_connection()
    adapted: Any = raw.dbapi_connection
    try:
        adapted._handle_exception(error)  # asyncpg's error -> the DBAPI's
    except dbapi.Error as translated:
        lost = dialect.is_disconnect(translated, adapted, None)
        if lost:
            await connection.invalidate(translated)
        raise DBAPIError.instance(
            found.sql, args, translated, dbapi.Error, connection_invalidated=lost,
            dialect=dialect,
        ) from error  # fmt: skip
    raise error
