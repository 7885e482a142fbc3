"""Per-request batch loaders: one SQL statement per loader per batch, whatever the size.

Loaders that expose rows to the viewer take an authorized base statement (built by the
policy layer) and only add the batch's keys to it; the internal ones (voucher rows,
reference data) feed computations and are never returned to the client as such.
"""

from __future__ import annotations

import asyncio
import typing
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from operator import attrgetter
from typing import Any, TypeVar

from aiodataloader import DataLoader
from sqlalchemy import (
    BindParameter,
    Integer,
    Select,
    bindparam,
    cast,
    exists,
    func,
    literal_column,
    null,
    or_,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.selectable import Exists, ScalarSelect
from sqlalchemy.sql.visitors import replacement_traverse

from . import models as m
from . import reference
from .engine import read_rows
from .id_lists import in_few_selected, in_ids
from .reference import with_generation

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


@dataclass(frozen=True)
class Scopes:
    """The viewer's authorized base statements, one per kind of row."""

    customers: Select[Any]
    purchasing_powers: Select[Any]
    reservations: Select[Any]
    events: Select[Any]
    customer_numbers: Select[Any]


def _columns(model: type[m.Base], statement: Select[Any]) -> Select[Any]:
    """`statement` (a select of `model`) selecting its columns: plain rows, not entities.

    The read side only reads attributes; building and tracking an ORM entity costs
    about ten times as much as a row (0.25 s for a full page of 500 customers).
    """
    return statement.with_only_columns(*model.__table__.columns)


_TODAY: BindParameter[Any] = bindparam("today")
_FROM: BindParameter[Any] = bindparam("from_date")
_TO: BindParameter[Any] = bindparam("to_date")
_ID: BindParameter[Any] = bindparam("id")  # one customer's id


class Prepared:
    """The loaders' statements for one set of scopes, built once and then reused.

    A statement object that is reused keeps its SQLAlchemy cache key (about 3 µs to
    look up), where building `scope.where(...)` afresh for each batch costs about a
    millisecond of cache-key generation over the policy's nested EXISTS clauses. So
    the batch's keys, dates and today are bound parameters, never part of the tree.
    """

    def __init__(self, scopes: Scopes) -> None:
        reservation, event = m.Reservation, m.Event
        self.customers = _columns(m.Customer, scopes.customers.where(in_ids(m.Customer.id, "ids")))
        self.purchasing_powers = _columns(
            m.PurchasingPower,
            scopes.purchasing_powers.where(in_ids(m.PurchasingPower.customer_id, "ids")).order_by(
                m.PurchasingPower.valid_from, m.PurchasingPower.id
            ),
        )
        # The same for a page's few customers: each EXISTS of the policy one probe per
        # row, never a hash (`_probing_exists`).
        self.few_purchasing_powers = _probing_exists(self.purchasing_powers)
        all_reservations = scopes.reservations.where(in_ids(reservation.customer_id, "ids"))
        # Current: started, and not ended before today.
        current = all_reservations.where(
            reservation.valid_from <= _TODAY,
            or_(reservation.valid_to.is_(None), reservation.valid_to >= _TODAY),
        )
        by_start = (reservation.valid_from, reservation.id)
        self.reservations = {
            True: _columns(reservation, all_reservations.order_by(*by_start)),
            False: _columns(reservation, current.order_by(*by_start)),
        }
        events = scopes.events.where(in_ids(event.customer_id, "ids"))
        self.events = {
            dates: _dated(event, events, dates)
            for dates in ((False, False), (True, False), (False, True), (True, True))
        }
        # Both lists of the same customers in one statement (`Loaders.read_together`),
        # by (include_ended, (from?, to?)).
        self.reservations_and_events = {
            (include_ended, dates): _together(
                _columns(reservation, all_reservations if include_ended else current),
                by_start,
                self.events[dates],
            )
            for include_ended in (True, False)
            for dates in self.events
        }
        self.customer_numbers = _columns(
            m.CustomerNumber,
            scopes.customer_numbers.where(in_ids(m.CustomerNumber.customer_id, "ids", probe=True)),
        )
        # One customer by a scalar `= $id`, not `= ANY($ids)`: PostgreSQL costs an
        # array parameter at ten elements, so the generic plan looked dearer than a
        # one-id custom plan and every run was planned afresh (0.3 ms of the server's
        # CPU, six times the execution, for a frontend's small query). With its events
        # of (from?, to?): that customer statement left-joined to the events statement.
        self.one_customer = _columns(m.Customer, scopes.customers.where(m.Customer.id == _ID))
        one_customers_events = scopes.events.where(event.customer_id == _ID)
        self.customers_with_events = {
            dates: _with_events(self.one_customer, _dated(event, one_customers_events, dates))
            for dates in self.events
        }


# Up to this many customers, their vouchers are read by probing each EXISTS of the
# policy (`_probing_exists`); more, and PostgreSQL chooses (measured on the benchmark's
# 2,000-customer world, a provider's vouchers of 10 / 100 / 500 customers: 0.05 / 0.38
# / 1.85 ms probed against 0.33 / 0.5 / 1.3 ms hashed).
_FEW_CUSTOMERS = 128


def _probing_exists(statement: Select[Any]) -> Select[Any]:
    """`statement` with each EXISTS subquery fenced by `OFFSET 0`, so that PostgreSQL
    runs it as an index probe per outer row and never as a hash of the whole subquery.

    A provider's user sees a voucher with a reservation or a live event of the
    provider's on it: an OR of two EXISTS, which PostgreSQL may run as a hash of all
    the provider's reservations (1,775 rows for the benchmark's biggest provider;
    489,000 at 1M customers) to check a page's dozen vouchers. Its generic plan costs
    the id array at ten elements whatever the page, so it cannot tell the two apart;
    an EXISTS over a subquery with an OFFSET is never turned into a hash (PostgreSQL's
    `simplify_EXISTS_query`), and `OFFSET 0` changes no row. For a batch of a page's
    customers only (`_FEW_CUSTOMERS`); SQLite renders it as `LIMIT -1 OFFSET 0`.
    """

    def fence(element: Any, **_: Any) -> Any:
        if (
            isinstance(element, Exists)
            and isinstance(element.element, ScalarSelect)
            and isinstance(element.element.element, Select)
        ):
            return exists(element.element.element.offset(literal_column("0")))
        return None

    return typing.cast(Select[Any], replacement_traverse(statement, {}, fence))


class _Part:
    """The columns of one table in a row of a joined statement, read by their own names
    (`part.id`), as the table's own statement's rows are read."""

    __slots__ = ("_row",)
    _keys: tuple[str, ...] = ()

    def __init__(self, row: Any) -> None:
        self._row = row

    @property
    def _mapping(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self._keys}


def _part(model: type[m.Base], prefix: str) -> type[_Part]:
    names = tuple(column.name for column in model.__table__.columns)
    attributes: dict[str, Any] = {"__slots__": (), "_keys": names}
    for name in names:
        attributes[name] = property(attrgetter(f"_row.{prefix}{name}"))
    return type(f"{model.__name__}Part", (_Part,), attributes)


_CUSTOMER_PART = _part(m.Customer, "c_")
_EVENT_PART = _part(m.Event, "e_")


def _dated(event: type[m.Event], events: Select[Any], dates: tuple[bool, bool]) -> Select[Any]:
    """`events` from `_FROM` and to `_TO` (bound parameters) as `dates` says: (from?, to?)."""
    has_from, has_to = dates
    if has_from:
        events = events.where(event.service_date >= _FROM)
    if has_to:
        events = events.where(event.service_date <= _TO)
    return _columns(event, events)


# The `part` of a row of `_together`: a reservation or an event.
RESERVATION_PART, EVENT_PART = 0, 1


def _together(reservations: Select[Any], order: Sequence[Any], events: Select[Any]) -> Select[Any]:
    """The authorized reservations and events of the same customers as ONE statement (a
    round trip fewer for a page selecting both): a `UNION ALL` whose rows say which
    they are (`part`) and carry the columns of both tables by name, the other table's
    null. Their names in common (`id`, `customer_id`, `purchasing_power_id`,
    `content_id`, `provider_id`) are of equal types, so each row reads as its own
    table's. A reservation's place in `order` (the reservations statement's ORDER BY,
    by the database's collation) is its `rank`: a union keeps no order.
    """
    own = {
        RESERVATION_PART: {c.name: c for c in reservations.selected_columns},
        EVENT_PART: {c.name: c for c in events.selected_columns},
    }
    names = list(dict.fromkeys([*own[RESERVATION_PART], *own[EVENT_PART]]))
    for name in set(own[RESERVATION_PART]) & set(own[EVENT_PART]):
        shared = own[RESERVATION_PART][name].type, own[EVENT_PART][name].type
        if type(shared[0]) is not type(shared[1]):
            raise TypeError(f"reservations' and events' {name} differ in type: {shared}")
    typed = {**own[EVENT_PART], **own[RESERVATION_PART]}

    def part(number: int, statement: Select[Any], rank: Any) -> Select[Any]:
        columns = own[number]
        return statement.with_only_columns(
            _part_column(number),
            *(columns[n] if n in columns else _nulls(typed[n])[0] for n in names),
            rank,
        )

    rows = union_all(
        # Typed, as every column must be for the rows to be read straight on asyncpg.
        part(
            RESERVATION_PART,
            reservations,
            type_coerce(func.row_number().over(order_by=order), Integer).label("rank"),
        ),
        part(EVENT_PART, events, cast(null(), Integer).label("rank")),
    ).subquery("customer_lists")
    return select(*rows.c)


def _with_events(customers: Select[Any], events: Select[Any]) -> Select[Any]:
    """One row per visible event of the visible customer (or one with null event
    columns), both statements binding the same `id`: no event of a customer the
    viewer may not see is read."""
    c = customers.subquery("c")
    e = events.subquery("e")
    return select(
        *(column.label(f"c_{column.name}") for column in c.c),
        *(column.label(f"e_{column.name}") for column in e.c),
    ).select_from(c.outerjoin(e, e.c.customer_id == c.c.id))


_PREPARED: OrderedDict[Scopes, Prepared] = OrderedDict()
_PREPARED_SIZE = 2048  # as many as the policy's statement cache holds


def prepared(scopes: Scopes) -> Prepared:
    """The prepared statements of `scopes` (equal scopes share the same statements)."""
    found = _PREPARED.get(scopes)
    if found is None:
        found = _PREPARED[scopes] = Prepared(scopes)
        if len(_PREPARED) > _PREPARED_SIZE:
            _PREPARED.popitem(last=False)
    else:
        _PREPARED.move_to_end(scopes)
    return found


# The internal statements: a voucher's rows, whoever may see them (never returned to a
# client as such): the vouchers, their contents and their non-deleted events, by
# purchasing power ids and by customer ids, in ONE statement (a round trip fewer per
# page), of which `_fetch_pps` picks the form with only the lists it has.
#
# Each row is one of three parts (`part`): a voucher, one of its contents, or one of
# its events' facts (only the columns the domain's amounts read, schema/
# derived_events.py `facts`: a page of 100 customers reads a few thousand of them). The
# parts share the columns of equal names (a voucher's and an event's `id`, a content's
# and an event's `purchasing_power_id` and `content_id`), so each row is read by its
# own table's names; the other columns are null.
PP_ROW, CONTENT_ROW, EVENT_ROW = 0, 1, 2  # the `part` column
_CONTENT_ID = attrgetter("content_id")
_PP_COLUMNS = [c for c in m.PurchasingPower.__table__.columns if c.name != "id"]
_CONTENT_COLUMNS = [
    c for c in m.PurchasingPowerContent.__table__.columns
    if c.name not in ("purchasing_power_id", "content_id")
]  # fmt: skip
_EVENT_COLUMNS = [m.Event.service_date, m.Event.units, m.Event.unit_price, m.Event.status,
                  m.Event.deleted]  # fmt: skip


def _nulls(*columns: Any) -> list[Any]:
    # A typed NULL: the union's column keeps its type (ExactDecimal's text -> Decimal).
    return [cast(null(), c.type).label(c.name) for c in columns]


def _part_column(number: int) -> Any:
    return literal_column(str(number), Integer).label("part")


def _wanted(pp_id: Any, customer_id: Any, by_pp_ids: bool, by_customers: bool) -> Any:
    """Only the lists the load has: `= ANY('{}')` in an OR made PostgreSQL plan every
    run afresh, as a custom plan with an empty list looked cheaper."""
    return or_(
        *([in_ids(pp_id, "pp_ids")] if by_pp_ids else []),
        *([in_ids(customer_id, "customer_ids")] if by_customers else []),
    )


def _pp_rows_statement(by_pp_ids: bool, by_customers: bool) -> Select[Any]:
    pp, content, event = m.PurchasingPower, m.PurchasingPowerContent, m.Event
    wanted = _wanted(pp.id, pp.customer_id, by_pp_ids, by_customers)
    vouchers = select(
        _part_column(PP_ROW), pp.id, *_nulls(content.purchasing_power_id, content.content_id),
        *_PP_COLUMNS, *_nulls(*_CONTENT_COLUMNS, *_EVENT_COLUMNS),
    ).where(wanted)  # fmt: skip
    contents = select(
        _part_column(CONTENT_ROW), *_nulls(pp.id), content.purchasing_power_id, content.content_id,
        *_nulls(*_PP_COLUMNS), *_CONTENT_COLUMNS, *_nulls(*_EVENT_COLUMNS),
    ).where(in_few_selected(content.purchasing_power_id, select(pp.id).where(wanted)))  # fmt: skip
    # An event carries its voucher's customer (written from the voucher, never chosen),
    # so the events of those vouchers are found on the events' own indexes, without a
    # join that at 100,000 customers made PostgreSQL scan every purchasing power.
    events = select(
        _part_column(EVENT_ROW), event.id, event.purchasing_power_id, event.content_id,
        *_nulls(*_PP_COLUMNS, *_CONTENT_COLUMNS), *_EVENT_COLUMNS,
    ).where(
        _wanted(event.purchasing_power_id, event.customer_id, by_pp_ids, by_customers),
        m.EVENT_NOT_DELETED,
    )  # fmt: skip
    # No ORDER BY: sorting a page of 500's 5,600 wide rows took 2.6 ms of the
    # statement's 8; `_fetch_pps` orders what needs an order.
    rows = union_all(vouchers, contents, events).subquery("voucher_rows")
    return select(*rows.c)


# By (pp_ids given?, customer_ids given?).
PP_ROWS: dict[tuple[bool, bool], Select[Any]] = {
    lists: _pp_rows_statement(*lists) for lists in ((True, False), (False, True), (True, True))
}
TABLES: dict[type[Any], Select[Any]] = {
    model: with_generation(_columns(model, select(model))) for model in (m.Service, m.Content)
}
SETTLEMENT_DATES: Select[Any] = with_generation(
    select(m.SettlementDate.organizer_id, m.SettlementDate.day).order_by(
        m.SettlementDate.organizer_id, m.SettlementDate.day
    )
)


@dataclass(frozen=True)
class EventsKey:
    customer_id: str
    from_date: date | None
    to_date: date | None


@dataclass(frozen=True)
class ReservationsKey:
    customer_id: str
    include_ended: bool
    today: date


def _dates(from_date: date | None, to_date: date | None) -> dict[str, date]:
    """The bound dates of an events statement of `_dated` (only those it has)."""
    dates = {"from_date": from_date, "to_date": to_date}
    return {name: day for name, day in dates.items() if day is not None}


def _event_order(event: Any) -> tuple[date, str]:
    """Events by service date, then id by code point (Python str order): the same on
    every database whatever its collation."""
    return event.service_date, event.id


def _loader(batch: Callable[[list[K]], Any]) -> DataLoader:  # type: ignore[type-arg]
    return DataLoader(batch_load_fn=batch, get_cache_key=lambda key: key)


def _group(rows: Iterable[V], key: Callable[[V], K], keys: Sequence[K]) -> list[list[V]]:
    grouped: dict[K, list[V]] = defaultdict(list)
    for row in rows:
        grouped[key(row)].append(row)
    return [grouped.get(k, []) for k in keys]


A = TypeVar("A", bound=Hashable)


def _group_by_args(keys: Sequence[K], args: Callable[[K], A]) -> dict[A, list[K]]:
    """Keys grouped by their arguments: one statement per distinct set of arguments."""
    groups: dict[A, list[K]] = defaultdict(list)
    for k in keys:
        groups[args(k)].append(k)
    return groups


class _LoaderOf:
    """A DataLoader over the batch method named `batch`, made on first use and then kept
    on the instance (a non-data descriptor: the instance's attribute shadows it)."""

    def __init__(self, batch: str) -> None:
        self.batch = batch
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, instance: Any, owner: type | None = None) -> DataLoader:  # type: ignore[type-arg]
        if instance is None:
            return self  # type: ignore[return-value]
        loader = instance.__dict__[self.name] = _loader(getattr(instance, self.batch))
        return loader


class Loaders:
    """All loaders of one request. Build a new one per request: caches are per viewer."""

    def __init__(
        self, session: AsyncSession, scopes: Scopes, reference_generation: int | None = None
    ) -> None:
        self.session = session
        self.scopes = scopes
        # The reference tables' generation as the viewer's statement read it: kept rows
        # of that generation are used instead of reading the tables (data/reference.py).
        self.reference_generation = reference_generation
        self.statements = prepared(scopes)
        self._levels: dict[int, dict[Any, Any]] = {}
        self._level_locks: dict[int, asyncio.Lock] = {}
        self._tables: dict[type[Any], asyncio.Future[dict[str, Any]]] = {}
        self._known_customers: set[str] = set()
        # The customer of each voucher met in this request's authorized rows (see
        # `_fetch_pps`): a voucher's customer is written from the voucher, never chosen.
        self._pp_customer: dict[str, str] = {}
        self._customers_with_pps: set[str] = set()
        self._pp_rows: dict[str, m.PurchasingPower | None] = {}
        self._pp_content_rows: dict[str, list[m.PurchasingPowerContent]] = {}
        self._pp_event_rows: dict[str, list[Any]] = {}  # PP_ROWS event rows
        self._pp_load: asyncio.Future[None] | None = None
        self._all_settlement_dates: asyncio.Future[dict[str, list[date]]] | None = None
        # Reads that will answer a loader's keys (`read_together`), by id(loader):
        # planned, then started by the first of its loaders' `level` calls, which
        # awaits it (as the other does) before reading what is still missing.
        self._together: dict[int, tuple[Any, ...]] = {}
        self._inflight: dict[int, asyncio.Future[None]] = {}

    # The loaders, each made when first used (a small query uses two of the ten).
    customer = _LoaderOf("_customers")
    purchasing_powers = _LoaderOf("_purchasing_powers")
    reservations = _LoaderOf("_reservations")
    events = _LoaderOf("_events")
    customer_number = _LoaderOf("_customer_numbers")
    pp_contents = _LoaderOf("_pp_contents")
    pp = _LoaderOf("_pp_by_id")
    service = _LoaderOf("_services")
    content = _LoaderOf("_contents")
    settlement_dates = _LoaderOf("_settlement_dates")

    def release(self) -> None:
        """Drop everything read (the request was answered; schema/context.py says why):
        every loader's cache and every cache of this object, whichever they are, and
        the loaders themselves. A loader's batch function is a bound method of this
        object, a reference cycle that only the garbage collector would free, with the
        session and context it reaches: about 120 objects a request, which piled up
        into a young-generation collection of some 80,000 objects (60-120 ms, every few
        hundred small queries: the small query's p99). Without the loaders the rest is
        freed as soon as the request lets go of it."""
        for name, held in list(vars(self).items()):
            if isinstance(held, DataLoader):
                held.clear_all()
                del self.__dict__[name]  # a later use would make a fresh one (_LoaderOf)
            elif isinstance(held, dict | set):
                held.clear()
        self._pp_load = self._all_settlement_dates = None

    async def level(self, loader: DataLoader, keys: Sequence[Any]) -> list[Any]:  # type: ignore[type-arg]
        """`loader.load_many(keys)` for a whole level of the batched executor, without
        a future per key (a page of 500 asks about 3,000): the loader's batch function
        is called once for the keys not yet loaded this way, with the same statement.

        Keys met again (a customer's regular, then balance vouchers) are answered from
        this cache, as the loader's own cache would answer them. The batched executor
        may start a level's loads together (schema/executor.py), so calls on one loader
        take turns: the second finds the first's keys loaded instead of reading them
        again.
        """
        cache = self._levels.setdefault(id(loader), {})
        lock = self._level_locks.get(id(loader))
        if lock is None:
            lock = self._level_locks[id(loader)] = asyncio.Lock()
        async with lock:
            pending = self._inflight.get(id(loader))
            if pending is None and id(loader) in self._together:
                pending = self._start_together(self._together[id(loader)])
            if pending is not None:
                # Shielded: one list's load cancelled (its level failing) must not
                # cancel the read the other list awaits too.
                await asyncio.shield(pending)
            missing = list(dict.fromkeys(key for key in keys if key not in cache))
            if missing:
                values = await loader.batch_load_fn(missing)
                cache.update(zip(missing, values, strict=True))
        return [cache[key] for key in keys]

    def known(self, loader: DataLoader, values: Mapping[Any, Any]) -> None:  # type: ignore[type-arg]
        """Values of `loader`'s keys read already (a page's customer numbers come in the
        page's statement): `level` answers these keys without a statement."""
        self._levels.setdefault(id(loader), {}).update(values)

    def read_together(
        self,
        customer_ids: Sequence[str],
        include_ended: bool,
        today: date,
        from_date: date | None,
        to_date: date | None,
    ) -> None:
        """Read these customers' reservations (`include_ended`) and events (of the
        dates given) in one statement, for a level that selects both: one round trip
        instead of two. The read is started by the first of the two lists' `level`
        calls, in its turn among the level's loads (a level's first field, say its
        purchasing powers, is read first, so Python builds it while the database reads
        the rest), and both find their lists read. Errors surface where those lists
        are awaited, as their own loads' would."""
        loaders = (self.reservations, self.events)
        if not customer_ids or any(id(loader) in self._inflight for loader in loaders):
            return  # one such read at a time; the lists' own loads cover the rest
        read = self._levels.get(id(self.events), {})
        if all(EventsKey(i, from_date, to_date) in read for i in customer_ids):
            return  # the events came already (customer(id) reads them with its customer)
        # A plan of an earlier level that never started (its level failed first) is
        # replaced: levels of customers run one at a time.
        planned = (list(customer_ids), include_ended, today, from_date, to_date)
        for loader in loaders:
            self._together[id(loader)] = planned

    def _start_together(self, planned: tuple[Any, ...]) -> asyncio.Future[None]:
        task = asyncio.ensure_future(self._read_together(*planned))
        for loader in (self.reservations, self.events):
            self._together.pop(id(loader), None)
            self._inflight[id(loader)] = task
        return task

    async def _read_together(
        self,
        customer_ids: list[str],
        include_ended: bool,
        today: date,
        from_date: date | None,
        to_date: date | None,
    ) -> None:
        try:
            ids = sorted(set(customer_ids))
            statement = self.statements.reservations_and_events[
                (include_ended, (from_date is not None, to_date is not None))
            ]
            rows = await self._rows(
                statement,
                ids=ids,
                **({} if include_ended else {"today": today}),
                **_dates(from_date, to_date),
            )
            reservations = [row for row in rows if row.part == RESERVATION_PART]
            reservations.sort(key=attrgetter("rank"))  # the reservations statement's order
            events = [row for row in rows if row.part == EVENT_PART]
            self._pp_customer.update((e.purchasing_power_id, e.customer_id) for e in events)
            events.sort(key=_event_order)
            by_customer = _group(reservations, lambda r: r.customer_id, ids)
            self.known(
                self.reservations,
                {
                    ReservationsKey(i, include_ended, today): found
                    for i, found in zip(ids, by_customer, strict=True)
                },
            )
            by_customer = _group(events, lambda e: e.customer_id, ids)
            self.known(
                self.events,
                {
                    EventsKey(i, from_date, to_date): found
                    for i, found in zip(ids, by_customer, strict=True)
                },
            )
        finally:
            for loader in (self.reservations, self.events):
                self._inflight.pop(id(loader), None)

    async def _rows(self, statement: Select[Any], **params: Any) -> list[Any]:
        return await read_rows(self.session, statement, params)

    # -- authorized ------------------------------------------------------------------

    async def _customers(self, ids: list[str]) -> list[m.Customer | None]:
        if len(ids) == 1:  # customer(id): a plan PostgreSQL can reuse (Prepared)
            rows = await self._rows(self.statements.one_customer, id=ids[0])
        else:
            rows = await self._rows(self.statements.customers, ids=ids)
        found = {row.id: row for row in rows}
        self.remember_customers(found)
        return [found.get(i) for i in ids]

    async def _purchasing_powers(self, customer_ids: list[str]) -> list[list[m.PurchasingPower]]:
        statement = (
            self.statements.few_purchasing_powers
            if len(customer_ids) <= _FEW_CUSTOMERS
            else self.statements.purchasing_powers
        )
        rows = await self._rows(statement, ids=customer_ids)
        self._pp_customer.update((row.id, row.customer_id) for row in rows)
        return _group(rows, lambda r: r.customer_id, customer_ids)

    async def _reservations(self, keys: list[ReservationsKey]) -> list[list[m.Reservation]]:
        results: dict[ReservationsKey, list[m.Reservation]] = {}
        by_args = _group_by_args(keys, lambda k: (k.include_ended, k.today))
        for (include_ended, today), group in by_args.items():
            rows = await self._rows(
                self.statements.reservations[include_ended],
                ids=sorted({k.customer_id for k in group}),
                **({} if include_ended else {"today": today}),
            )
            for key, found in zip(
                group,
                _group(rows, lambda r: r.customer_id, [k.customer_id for k in group]),
                strict=True,
            ):
                results[key] = found
        return [results[k] for k in keys]

    async def _events(self, keys: list[EventsKey]) -> list[list[m.Event]]:
        results: dict[EventsKey, list[m.Event]] = {}
        by_args = _group_by_args(keys, lambda k: (k.from_date, k.to_date))
        for (from_date, to_date), group in by_args.items():
            statement = self.statements.events[(from_date is not None, to_date is not None)]
            rows = await self._rows(
                statement, ids=sorted({k.customer_id for k in group}), **_dates(from_date, to_date)
            )
            self._pp_customer.update((e.purchasing_power_id, e.customer_id) for e in rows)
            rows.sort(key=_event_order)
            for key, found in zip(
                group,
                _group(rows, lambda r: r.customer_id, [k.customer_id for k in group]),
                strict=True,
            ):
                results[key] = found
        return [results[k] for k in keys]

    async def customer_with_events(self, key: EventsKey) -> Any:
        """The customer `key.customer_id` if visible, else None, read together with its
        events of `key`'s dates (one statement instead of two): the customer loader is
        primed with it, and the events level (`level(events, ...)`) with its events."""
        customer_id = key.customer_id
        statement = self.statements.customers_with_events[
            (key.from_date is not None, key.to_date is not None)
        ]
        rows = await self._rows(
            statement,
            id=customer_id,
            **_dates(key.from_date, key.to_date),
        )
        if not rows:
            self.customer.prime(customer_id, None)
            return None
        customer = _CUSTOMER_PART(rows[0])
        self.customer.prime(customer_id, customer)
        self.remember_customers([customer_id])
        events: list[Any] = [_EVENT_PART(row) for row in rows if row.e_id is not None]
        self._pp_customer.update((e.purchasing_power_id, customer_id) for e in events)
        events.sort(key=_event_order)
        self._levels.setdefault(id(self.events), {})[key] = events
        return customer

    async def _customer_numbers(self, customer_ids: list[str]) -> list[str | None]:
        rows = await self._rows(self.statements.customer_numbers, ids=customer_ids)
        numbers = {row.customer_id: row.number for row in rows}
        return [numbers.get(i) for i in customer_ids]

    # -- internal and reference data -------------------------------------------------

    # A voucher's rows (the purchasing power, its contents, all its non-deleted events)
    # feed amounts, used units and statuses, asked for from several depths of one query
    # (an event's price, a voucher's used units) whose batches interleave differently
    # with the page size. So one load fetches them for the vouchers asked for AND for
    # every voucher of every customer this request has met, and primes all three
    # loaders: a page costs the same statements whatever its size or timing.

    def remember_customers(self, customer_ids: Iterable[str]) -> None:
        """Customers whose vouchers the next voucher load should fetch too."""
        self._known_customers.update(customer_ids)

    async def _pp_contents(self, pp_ids: list[str]) -> list[list[m.PurchasingPowerContent]]:
        await self._load_pps(pp_ids)
        return [self._pp_content_rows.get(i, []) for i in pp_ids]

    async def _pp_by_id(self, ids: list[str]) -> list[m.PurchasingPower | None]:
        await self._load_pps(ids)
        return [self._pp_rows.get(i) for i in ids]

    async def pp_rows(self, pp_ids: Iterable[str]) -> dict[str, Any]:
        """Purchasing power rows by id, with their contents and events loaded too (the
        same load as `pp`, without a loader call per key: a page asks for thousands)."""
        missing = [i for i in set(pp_ids) if i not in self._pp_rows]
        if missing:
            # Through the loader: callers asking one id each, concurrently, share a load.
            await self.pp.load_many(missing)
        return self._pp_rows

    def pp_events(self, pp_id: str) -> list[Any]:
        """The non-deleted events of a purchasing power loaded by `vouchers`."""
        return self._pp_event_rows.get(pp_id, [])

    def pp_content_rows(self, pp_id: str) -> list[Any]:
        """The contents of a purchasing power loaded by `vouchers`."""
        return self._pp_content_rows.get(pp_id, [])

    def read_vouchers_ahead(self, customer_ids: Iterable[str]) -> asyncio.Future[None] | None:
        """Start reading these (and every remembered) customers' voucher rows now, as
        the load a deeper level would start (`_load_pps`: a voucher's contents, used
        units and amounts), for a customer level whose selection will ask for them.

        Sent before the level's own loads (the session's lock is taken in turn), it
        is read while Python builds the level's purchasing powers, reservations and
        events, instead of after them while Python waits: the same statement, earlier.
        That deeper level finds it in flight or done (`_load_pps`). None when there is
        nothing to read or a voucher load is in flight already."""
        self.remember_customers(customer_ids)
        customers = self._known_customers - self._customers_with_pps
        if not customers or (self._pp_load is not None and not self._pp_load.done()):
            return None
        load = self._pp_load = asyncio.ensure_future(self._fetch_pps([], customers))
        # Its error (if any) is raised where the rows are awaited; retrieved here too,
        # for a load that no field awaited (the level failed first).
        load.add_done_callback(lambda done: done.cancelled() or done.exception())
        return load

    async def _load_pps(self, pp_ids: list[str]) -> None:
        while True:
            in_flight = self._pp_load
            if in_flight is not None and not in_flight.done():
                try:
                    await asyncio.shield(in_flight)
                except asyncio.CancelledError:
                    # A read ahead cancelled with its level (`read_vouchers_ahead`) is
                    # read again below; this load's own cancellation goes on up.
                    task = asyncio.current_task()
                    if not in_flight.cancelled() or (task is not None and task.cancelling()):
                        raise
                continue
            missing = [i for i in pp_ids if i not in self._pp_rows]
            customers = self._known_customers - self._customers_with_pps
            if not missing and not customers:
                return
            self._pp_load = asyncio.ensure_future(self._fetch_pps(missing, customers))
            await self._pp_load

    async def _fetch_pps(self, pp_ids: list[str], customer_ids: set[str]) -> None:
        # A voucher of a customer fetched here comes with that customer's: asked for by
        # id as well, a page's statement carried both lists, which PostgreSQL planned
        # afresh on every run (0.5 ms; an array parameter is costed at ten elements, so
        # a custom plan for a page's 7 vouchers always looked cheaper than the generic).
        by_id = sorted(i for i in pp_ids if self._pp_customer.get(i) not in customer_ids)
        wanted = {"pp_ids": by_id, "customer_ids": sorted(customer_ids)}
        statement = PP_ROWS[(bool(by_id), bool(customer_ids))]
        rows = await self._rows(statement, **wanted)
        # Only the ids asked for by id are settled here (None: no such voucher). One left
        # to its customer's rows that did not come with them (an event whose customer is
        # not its voucher's, which every writer rules out) stays missing, and
        # `_load_pps` asks for it by id next time round.
        for i in by_id:
            self._pp_rows.setdefault(i, None)
        # A voucher loaded by an earlier fetch (asked for by id, then met again through
        # its customer) keeps what it has: its rows must not be added twice. So the
        # vouchers first, then each content and event of a fresh one.
        fresh: set[str] = set()
        for row in rows:
            if row.part == PP_ROW and self._pp_rows.get(row.id) is None:
                fresh.add(row.id)
                self._pp_rows[row.id] = row
                self._pp_content_rows[row.id] = []
                self._pp_event_rows[row.id] = []
        for row in rows:
            if row.part != PP_ROW and row.purchasing_power_id in fresh:
                kept = self._pp_content_rows if row.part == CONTENT_ROW else self._pp_event_rows
                kept[row.purchasing_power_id].append(row)
        for pp_id in fresh:
            # A voucher's `contents` in content id order by code point (Python's str
            # order), the same on every database whatever its collation.
            self._pp_content_rows[pp_id].sort(key=_CONTENT_ID)
        self._customers_with_pps.update(customer_ids)

    # Services and contents are small reference tables, asked for from several depths
    # of one query (a voucher's contents, an event's content), and a second batch may
    # start while the first is still in flight. Every batch awaits one shared load of
    # the whole table, so each costs one statement per request whatever the page holds.
    async def _services(self, ids: list[str]) -> list[m.Service | None]:
        found = await self._table(m.Service)
        return [found.get(i) for i in ids]

    async def _contents(self, ids: list[str]) -> list[m.Content | None]:
        found = await self._table(m.Content)
        return [found.get(i) for i in ids]

    async def contents(self) -> dict[str, Any]:
        """Every content row by id (one statement per request)."""
        return await self._table(m.Content)

    async def services(self) -> dict[str, Any]:
        """Every service row by id (one statement per request)."""
        return await self._table(m.Service)

    async def settlement_dates_by_organizer(self) -> dict[str, list[date]]:
        """Every organizer's settlement dates, ascending (one statement per request)."""
        kept = self._kept(m.SettlementDate.__tablename__)
        if kept is not None:
            return kept  # type: ignore[no-any-return]
        if self._all_settlement_dates is None:
            self._all_settlement_dates = asyncio.ensure_future(self._load_settlement_dates())
        return await self._all_settlement_dates

    def _kept(self, name: str) -> Any | None:
        """The reference table as this process keeps it for the request's generation,
        found without a task (three per small query, about 2 % of its CPU)."""
        engine = self.session.bind.sync_engine  # type: ignore[union-attr]
        return reference.kept(engine, name, self.reference_generation)

    async def _table(self, model: type[Any]) -> dict[str, Any]:
        kept = self._kept(model.__tablename__)
        if kept is not None:
            return kept  # type: ignore[no-any-return]
        task = self._tables.get(model)
        if task is None:
            task = asyncio.ensure_future(self._load_table(model))
            self._tables[model] = task
        return await task

    async def _reference(
        self, name: str, statement: Select[Any], build: Callable[[list[Any]], Any]
    ) -> Any:
        """The reference table `name` as kept by this process for the request's
        generation, or read with `statement` and kept (data/reference.py)."""
        found = self._kept(name)
        if found is None:
            rows = await self._rows(statement)
            found = build(rows)
            engine = self.session.bind.sync_engine  # type: ignore[union-attr]
            reference.keep(engine, name, rows, found)
        return found

    async def _load_table(self, model: type[Any]) -> dict[str, Any]:
        table: dict[str, Any] = await self._reference(
            model.__tablename__, TABLES[model], lambda rows: {row.id: row for row in rows}
        )
        return table

    async def _settlement_dates(self, organizer_ids: list[str]) -> list[list[date]]:
        # A small table asked for at event depth from several resolvers: loaded whole,
        # once per request, like the reference tables above.
        by_organizer = await self.settlement_dates_by_organizer()
        return [by_organizer.get(i, []) for i in organizer_ids]

    async def _load_settlement_dates(self) -> dict[str, list[date]]:
        def by_organizer(rows: list[Any]) -> dict[str, list[date]]:
            days: dict[str, list[date]] = defaultdict(list)
            for row in rows:
                days[row.organizer_id].append(row.day)
            # Each list ascending, as the statement orders them: derived fields look an
            # event's date up by bisection (domain/settlement.py `settlement_date_in_order`).
            return dict(days)

        dates: dict[str, list[date]] = await self._reference(
            m.SettlementDate.__tablename__, SETTLEMENT_DATES, by_organizer
        )
        return dates
