"""Event amounts: price, voucher share and copay (omavastuuosuus), and what a voucher has used."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any, NamedTuple

from voucher_graph.domain.money import ZERO, price, round_cents


class WorkflowStatus(StrEnum):
    """An event's stored status; SETTLED is derived from dates and is not one of these."""

    RECORDED = "RECORDED"
    UNDER_REVIEW = "UNDER_REVIEW"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    CREDITED = "CREDITED"


COUNTING = frozenset(
    {WorkflowStatus.RECORDED, WorkflowStatus.UNDER_REVIEW, WorkflowStatus.APPROVED}
)


_BY_NAME = {status.value: status for status in WorkflowStatus}


def workflow_status(status: str) -> WorkflowStatus:
    """The workflow status named `status`; ValueError for anything else, SETTLED included.

    Failing loudly keeps a reported status from silently reading as non-counting.
    """
    # A dict lookup: derived fields ask this several times for every event of a page.
    found = _BY_NAME.get(status)
    if found is None:
        raise ValueError(f"{status!r} is not a workflow status")
    return found


# Each workflow status's plain name: the checks asked for every event a page shows
# compare names in sets of names, never members (a member's hash is Enum.__hash__, a
# Python call).
_NAMES = {name: name for name in _BY_NAME}
_COUNTING_NAMES = frozenset(status.value for status in COUNTING)


def status_name(status: str) -> str:
    """`status` as its workflow status's plain name; ValueError for anything else, as
    `workflow_status`."""
    name = _NAMES.get(status)
    if name is None:
        workflow_status(status)  # raises: not a workflow status
    return name  # type: ignore[return-value]


def is_counting(status: str, deleted: bool) -> bool:
    """Whether an event uses its voucher: RECORDED, UNDER_REVIEW or APPROVED, and not deleted."""
    return not deleted and status_name(status) in _COUNTING_NAMES


# Amounts and EventFacts are immutable named tuples rather than frozen dataclasses: a
# page of 500 customers makes one of each per event of its vouchers (about 5,600), and a
# frozen dataclass is built three times slower (each field set with object.__setattr__).


class Amounts(NamedTuple):
    """What an event costs and who pays: voucher_share by the organizer, copay by the customer."""

    price: Decimal
    voucher_share: Decimal
    copay: Decimal


class _Facts(NamedTuple):
    id: str
    content_id: str
    service_date: date
    units: Decimal
    unit_price: Decimal
    status: str
    deleted: bool
    # Whether this event uses its voucher: derived once (amounts and used units ask for
    # every event of a voucher, once per content).
    counting: bool


_TUPLE_NEW = tuple.__new__


class EventFacts(_Facts):
    """The stored facts of one event that its amounts depend on (and `counting`,
    derived from them)."""

    __slots__ = ()

    def __new__(
        cls,
        id: str,  # noqa: A002 - the event's id, as everywhere else
        content_id: str,
        service_date: date,
        units: Decimal,
        unit_price: Decimal,
        status: str,
        deleted: bool,
    ) -> "EventFacts":
        # The tuple made directly (not through the named tuple's own constructor): a
        # page builds one per event of its vouchers.
        counting = is_counting(status, deleted)
        values = (id, content_id, service_date, units, unit_price, status, deleted, counting)
        return _TUPLE_NEW(cls, values)

    def __getnewargs__(self) -> tuple[Any, ...]:
        # copy and pickle rebuild from the seven stored facts (`counting` is derived).
        return tuple(self)[:7]

    def _replace(self, **changes: Any) -> "EventFacts":
        # A changed fact derives `counting` afresh; `counting` itself cannot be given.
        stored = dict(zip(self._fields[:7], self[:7], strict=True))
        return EventFacts(**{**stored, **changes})


def _split(event_price: Decimal, voucher_share: Decimal) -> Amounts:
    return Amounts(event_price, voucher_share, event_price - voucher_share)


def _nothing_owed(event: EventFacts) -> Amounts:
    # A rejected, credited or deleted event keeps its price, but nobody owes anything for it.
    return Amounts(price=price(event.units, event.unit_price), voucher_share=ZERO, copay=ZERO)


def regular_amounts(event: EventFacts, unit_value: Decimal) -> Amounts:
    """Amounts of an event on a regular purchasing power whose content is worth `unit_value`."""
    if not event.counting:
        return _nothing_owed(event)
    event_price = price(event.units, event.unit_price)
    return _split(event_price, min(event_price, price(event.units, unit_value)))


def balance_amounts(events: Iterable[EventFacts], granted_amount: Decimal) -> dict[str, Amounts]:
    """Amounts of all events of one balance purchasing power (saldo-ostovoima), by event id.

    Counting events consume the granted amount in (service date, id) order, ids compared
    as plain strings (code points, so "e10" comes before "e9"), whoever recorded them.
    """
    facts = list(events)
    if len({event.id for event in facts}) != len(facts):
        raise ValueError("event ids must be unique")
    # A negative grant would make shares negative; there is simply nothing to consume.
    left = max(round_cents(granted_amount), ZERO)
    shares: dict[str, Amounts] = {}
    for event in sorted(facts, key=lambda event: (event.service_date, event.id)):
        if not event.counting:
            shares[event.id] = _nothing_owed(event)
            continue
        event_price = price(event.units, event.unit_price)
        share = min(event_price, left)
        left -= share
        shares[event.id] = _split(event_price, share)
    # Callers get the events back in the order they gave them.
    return {event.id: shares[event.id] for event in facts}


def used_units(events: Iterable[EventFacts], content_id: str) -> Decimal:
    """Units of the counting events of one content (under review included)."""
    return sum(
        (event.units for event in events if event.content_id == content_id and event.counting),
        ZERO,
    )


def used_units_by_content(events: Iterable[EventFacts]) -> dict[str, Decimal]:
    """`used_units` of every content at once: a voucher's contents each ask for theirs,
    and one pass over its events answers them all (a content with none is absent)."""
    used: dict[str, Decimal] = {}
    for event in events:
        if event.counting:
            used[event.content_id] = used.get(event.content_id, ZERO) + event.units
    return used


def used_amount(events: Iterable[EventFacts], granted_amount: Decimal) -> Decimal:
    """The voucher shares of a balance purchasing power's counting events."""
    amounts = balance_amounts(events, granted_amount).values()
    return sum((amount.voucher_share for amount in amounts), ZERO)


def needs_review(units: Decimal, other_counting_units: Decimal, granted_units: Decimal) -> bool:
    """Whether an event goes UNDER_REVIEW: with the others it exceeds the grant (equal is fine)."""
    return units + other_counting_units > granted_units


@dataclass(frozen=True)
class Totals:
    """Sums over several events, as on a copay statement or settlement report line."""

    price: Decimal
    voucher_share: Decimal
    copay: Decimal


def totals(amounts: Iterable[Amounts]) -> Totals:
    """Sum price, voucher share and copay."""
    total_price = total_share = total_copay = ZERO
    for amount in amounts:
        total_price += amount.price
        total_share += amount.voucher_share
        total_copay += amount.copay
    return Totals(price=total_price, voucher_share=total_share, copay=total_copay)
