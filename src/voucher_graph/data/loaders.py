"""Per-request batch loaders: one SQL statement per loader per batch, whatever the size.

Loaders that expose rows to the viewer take an authorized base statement (built by the
policy layer) and only add the batch's keys to it; the internal ones (`events_of_pp`,
reference data) feed computations and are never returned to the client as such.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from aiodataloader import DataLoader
from sqlalchemy import Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from . import models as m

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


class Loaders:
    """All loaders of one request. Build a new one per request: caches are per viewer."""

    def __init__(self, session: AsyncSession, scopes: Scopes) -> None:
        self.session = session
        self.scopes = scopes
        self.customer = _loader(self._customers)
        self.purchasing_powers = _loader(self._purchasing_powers)
        self.reservations = _loader(self._reservations)
        self.events = _loader(self._events)
        self.customer_number = _loader(self._customer_numbers)
        self.pp_contents = _loader(self._pp_contents)
        self.events_of_pp = _loader(self._events_of_pp)
        self.pp = _loader(self._pp_by_id)
        self.service = _loader(self._services)
        self.content = _loader(self._contents)
        self.settlement_dates = _loader(self._settlement_dates)
        self._tables: dict[type[Any], asyncio.Future[dict[str, Any]]] = {}
        self._known_customers: set[str] = set()
        self._customers_with_vouchers: set[str] = set()
        self._vouchers: dict[str, m.PurchasingPower | None] = {}
        self._voucher_contents: dict[str, list[m.PurchasingPowerContent]] = {}
        self._voucher_events: dict[str, list[m.Event]] = {}
        self._voucher_load: asyncio.Future[None] | None = None
        self._all_settlement_dates: asyncio.Future[dict[str, list[date]]] | None = None

    async def _all(self, statement: Select[Any]) -> list[Any]:
        return list((await self.session.scalars(statement)).all())

    # -- authorized ------------------------------------------------------------------

    async def _customers(self, ids: list[str]) -> list[m.Customer | None]:
        rows = await self._all(self.scopes.customers.where(m.Customer.id.in_(ids)))
        found = {row.id: row for row in rows}
        self.remember_customers(found)
        return [found.get(i) for i in ids]

    async def _purchasing_powers(self, customer_ids: list[str]) -> list[list[m.PurchasingPower]]:
        rows = await self._all(
            self.scopes.purchasing_powers.where(
                m.PurchasingPower.customer_id.in_(customer_ids)
            ).order_by(m.PurchasingPower.valid_from, m.PurchasingPower.id)
        )
        return _group(rows, lambda r: r.customer_id, customer_ids)

    async def _reservations(self, keys: list[ReservationsKey]) -> list[list[m.Reservation]]:
        results: dict[ReservationsKey, list[m.Reservation]] = {}
        by_args = _group_by_args(keys, lambda k: (k.include_ended, k.today))
        for (include_ended, today), group in by_args.items():
            statement = self.scopes.reservations.where(
                m.Reservation.customer_id.in_({k.customer_id for k in group})
            )
            if not include_ended:
                # Current: started, and not ended before today.
                statement = statement.where(
                    m.Reservation.valid_from <= today,
                    or_(m.Reservation.valid_to.is_(None), m.Reservation.valid_to >= today),
                )
            rows = await self._all(statement.order_by(m.Reservation.valid_from, m.Reservation.id))
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
            statement = self.scopes.events.where(
                m.Event.customer_id.in_({k.customer_id for k in group})
            )
            if from_date is not None:
                statement = statement.where(m.Event.service_date >= from_date)
            if to_date is not None:
                statement = statement.where(m.Event.service_date <= to_date)
            rows = await self._all(statement)
            # Ordered by service date, then id by code point (Python str order), the same
            # on every database whatever its collation.
            rows.sort(key=lambda e: (e.service_date, e.id))
            for key, found in zip(
                group,
                _group(rows, lambda r: r.customer_id, [k.customer_id for k in group]),
                strict=True,
            ):
                results[key] = found
        return [results[k] for k in keys]

    async def _customer_numbers(self, customer_ids: list[str]) -> list[str | None]:
        rows = await self._all(
            self.scopes.customer_numbers.where(m.CustomerNumber.customer_id.in_(customer_ids))
        )
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
        await self._load_vouchers(pp_ids)
        return [self._voucher_contents.get(i, []) for i in pp_ids]

    async def _events_of_pp(self, pp_ids: list[str]) -> list[list[m.Event]]:
        """Every non-deleted event of these purchasing powers, whoever recorded it:
        balances and used units count them all. Never returned to a client."""
        await self._load_vouchers(pp_ids)
        return [self._voucher_events.get(i, []) for i in pp_ids]

    async def _pp_by_id(self, ids: list[str]) -> list[m.PurchasingPower | None]:
        await self._load_vouchers(ids)
        return [self._vouchers.get(i) for i in ids]

    async def _load_vouchers(self, pp_ids: list[str]) -> None:
        while True:
            in_flight = self._voucher_load
            if in_flight is not None and not in_flight.done():
                await in_flight
                continue
            missing = [i for i in pp_ids if i not in self._vouchers]
            customers = self._known_customers - self._customers_with_vouchers
            if not missing and not customers:
                return
            self._voucher_load = asyncio.ensure_future(self._fetch_vouchers(missing, customers))
            await self._voucher_load

    async def _fetch_vouchers(self, pp_ids: list[str], customer_ids: set[str]) -> None:
        wanted = or_(
            m.PurchasingPower.id.in_(pp_ids), m.PurchasingPower.customer_id.in_(customer_ids)
        )
        pps = await self._all(select(m.PurchasingPower).where(wanted))
        contents = await self._all(
            select(m.PurchasingPowerContent)
            .join(m.PurchasingPower)
            .where(wanted)
            .order_by(m.PurchasingPowerContent.content_id)
        )
        events = await self._all(
            select(m.Event).join(m.PurchasingPower).where(wanted, m.Event.deleted.is_(False))
        )
        for i in pp_ids:
            self._vouchers.setdefault(i, None)
        for pp in pps:
            self._vouchers[pp.id] = pp
            self._voucher_contents.setdefault(pp.id, [])
            self._voucher_events.setdefault(pp.id, [])
        for content in contents:
            self._voucher_contents[content.purchasing_power_id].append(content)
        for event in events:
            self._voucher_events[event.purchasing_power_id].append(event)
        self._customers_with_vouchers.update(customer_ids)

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

    async def _table(self, model: type[Any]) -> dict[str, Any]:
        task = self._tables.get(model)
        if task is None:
            task = asyncio.ensure_future(self._load_table(model))
            self._tables[model] = task
        return await task

    async def _load_table(self, model: type[Any]) -> dict[str, Any]:
        return {row.id: row for row in await self._all(select(model))}

    async def _settlement_dates(self, organizer_ids: list[str]) -> list[list[date]]:
        # A small table asked for at event depth from several resolvers: loaded whole,
        # once per request, like the reference tables above.
        if self._all_settlement_dates is None:
            self._all_settlement_dates = asyncio.ensure_future(self._load_settlement_dates())
        by_organizer = await self._all_settlement_dates
        return [by_organizer.get(i, []) for i in organizer_ids]

    async def _load_settlement_dates(self) -> dict[str, list[date]]:
        rows = (
            await self.session.execute(
                select(m.SettlementDate.organizer_id, m.SettlementDate.day).order_by(
                    m.SettlementDate.organizer_id, m.SettlementDate.day
                )
            )
        ).all()
        by_organizer: dict[str, list[date]] = defaultdict(list)
        for organizer_id, day in rows:
            by_organizer[organizer_id].append(day)
        return dict(by_organizer)
