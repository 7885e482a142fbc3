"""SQLAlchemy models: one table per entity of DOMAIN.md.

Ids are the world file's id strings. Reservations and events carry their purchasing
power's `customer_id` too: the policy reaches a customer's events in one relation, and
every customer-scoped list is one indexed lookup.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from .types import ExactDecimal


class Base(DeclarativeBase):
    pass


class Organizer(Base):
    """Palvelunjärjestäjä: grants vouchers, sets settlement dates, pays."""

    __tablename__ = "organizers"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))


class SettlementDate(Base):
    """Tilityspäivä: one of an organizer's settlement cut-off dates."""

    __tablename__ = "settlement_dates"
    organizer_id: Mapped[str] = mapped_column(ForeignKey("organizers.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)


class ReferenceGeneration(Base):
    """One row: a number that changes whenever a reference table changes.

    Services, contents and settlement dates change only when a world is loaded or
    generated, yet every request reads them. A server keeps them in memory with the
    generation they were read at, and reads them again only when it has moved.
    Database triggers (migration 0003) bump it on every write to those tables, so no
    writer can forget to.
    """

    __tablename__ = "reference_generation"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    generation: Mapped[int] = mapped_column(BigInteger)


class Provider(Base):
    """Palveluntuottaja: a company that delivers the service and records events."""

    __tablename__ = "providers"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    business_id: Mapped[str] = mapped_column(String(16))


class Service(Base):
    """Palvelu: a service of one organizer."""

    __tablename__ = "services"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    organizer_id: Mapped[str] = mapped_column(ForeignKey("organizers.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))


class Content(Base):
    """Palvelusisältö: a billable item of a service, priced per unit."""

    __tablename__ = "contents"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    service_id: Mapped[str] = mapped_column(ForeignKey("services.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(8))


class User(Base):
    """A provider user (RECORDER, REPORTER) or an organizer user (STAFF, ADMIN)."""

    __tablename__ = "users"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    provider_id: Mapped[str | None] = mapped_column(ForeignKey("providers.id"), nullable=True)
    organizer_id: Mapped[str | None] = mapped_column(ForeignKey("organizers.id"), nullable=True)


class Team(Base):
    """Palvelutiimi: an organizer's group of users with rights to some services."""

    __tablename__ = "teams"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    organizer_id: Mapped[str] = mapped_column(ForeignKey("organizers.id"))
    name: Mapped[str] = mapped_column(String(200))


class TeamService(Base):
    __tablename__ = "team_services"
    team_id: Mapped[str] = mapped_column(ForeignKey("teams.id"), primary_key=True)
    service_id: Mapped[str] = mapped_column(ForeignKey("services.id"), primary_key=True)


class TeamMember(Base):
    __tablename__ = "team_members"
    team_id: Mapped[str] = mapped_column(ForeignKey("teams.id"), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), primary_key=True, index=True)


class Customer(Base):
    """Asiakas. The lower-cased names are stored for ordering by code point."""

    __tablename__ = "customers"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    first_name: Mapped[str] = mapped_column(String(200))
    last_name: Mapped[str] = mapped_column(String(200))
    ssn: Mapped[str] = mapped_column(String(11), unique=True)
    first_name_lower: Mapped[str] = mapped_column(String(200))
    last_name_lower: Mapped[str] = mapped_column(String(200))

    __table_args__ = (Index("ix_customers_order", "last_name_lower", "first_name_lower", "id"),)


class CustomerNameWord(Base):
    """One lower-cased word of a customer's first or last name, for prefix search."""

    __tablename__ = "customer_name_words"
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), primary_key=True)
    word: Mapped[str] = mapped_column(String(200), primary_key=True)
    # The customer's ordering keys, copied from customers (written together, never
    # changed): a name search sorts its matches by these without reading customers
    # (migration 0006; on PostgreSQL the word index carries them).
    last_name_lower: Mapped[str] = mapped_column(String(200))
    first_name_lower: Mapped[str] = mapped_column(String(200))

    __table_args__ = (Index("ix_customer_name_words_word", "word", "customer_id"),)


class CustomerNumber(Base):
    """Asiakasnumero: a provider's own number for a customer, unique per provider."""

    __tablename__ = "customer_numbers"
    provider_id: Mapped[str] = mapped_column(ForeignKey("providers.id"), primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), primary_key=True)
    number: Mapped[str] = mapped_column(String(64))

    __table_args__ = (
        UniqueConstraint("provider_id", "number", name="uq_customer_numbers_provider_number"),
        Index("ix_customer_numbers_customer", "customer_id"),
    )


class PurchasingPower(Base):
    """Ostovoima (REGULAR) or saldo-ostovoima (BALANCE): a customer's voucher."""

    __tablename__ = "purchasing_powers"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    organizer_id: Mapped[str] = mapped_column(ForeignKey("organizers.id"))
    service_id: Mapped[str] = mapped_column(ForeignKey("services.id"))
    voucher_number: Mapped[str] = mapped_column(String(64), unique=True)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date] = mapped_column(Date)
    granted_amount: Mapped[Decimal | None] = mapped_column(ExactDecimal, nullable=True)

    # Rules B and C: a grant's (or an organizer's) customers, read from the index alone.
    __table_args__ = (
        Index("ix_purchasing_powers_grant", "organizer_id", "service_id", "customer_id"),
    )


class PurchasingPowerContent(Base):
    """A regular purchasing power's value per unit and granted units for one content."""

    __tablename__ = "purchasing_power_contents"
    purchasing_power_id: Mapped[str] = mapped_column(
        ForeignKey("purchasing_powers.id"), primary_key=True
    )
    content_id: Mapped[str] = mapped_column(ForeignKey("contents.id"), primary_key=True)
    unit_value: Mapped[Decimal] = mapped_column(ExactDecimal)
    granted_units: Mapped[Decimal] = mapped_column(ExactDecimal)


class Reservation(Base):
    """Palveluvaraus: a provider's claim on a purchasing power for one content."""

    __tablename__ = "reservations"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    purchasing_power_id: Mapped[str] = mapped_column(ForeignKey("purchasing_powers.id"))
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    content_id: Mapped[str] = mapped_column(ForeignKey("contents.id"))
    provider_id: Mapped[str] = mapped_column(ForeignKey("providers.id"), index=True)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date, nullable=True)

    __table_args__ = (
        # Whether a provider holds a reservation on a purchasing power: one probe per
        # voucher when a provider's user reads vouchers (migration 0005).
        Index("ix_reservations_pp_provider", "purchasing_power_id", "provider_id"),
    )


class Event(Base):
    """Palvelutapahtuma: a delivered service recorded against a purchasing power."""

    __tablename__ = "events"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    purchasing_power_id: Mapped[str] = mapped_column(ForeignKey("purchasing_powers.id"), index=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    content_id: Mapped[str] = mapped_column(ForeignKey("contents.id"))
    provider_id: Mapped[str] = mapped_column(ForeignKey("providers.id"))
    service_date: Mapped[date] = mapped_column(Date)
    units: Mapped[Decimal] = mapped_column(ExactDecimal)
    unit_price: Mapped[Decimal] = mapped_column(ExactDecimal)
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16))
    recorded_on: Mapped[date] = mapped_column(Date)
    approved_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    recorded_by: Mapped[str | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(200), nullable=True)

    __table_args__ = (
        UniqueConstraint("recorded_by", "idempotency_key", name="uq_events_idempotency"),
        Index("ix_events_customer_date", "customer_id", "service_date"),
        # A provider's events of a page of customers (migration 0004).
        Index("ix_events_provider_customer", "provider_id", "customer_id"),
        # Whether a provider has a live event on a purchasing power: one index-only
        # probe per voucher, not a hash of all the provider's events (migration 0005).
        Index(
            "ix_events_pp_provider_live",
            "purchasing_power_id",
            "provider_id",
            postgresql_where=text("NOT deleted"),
            sqlite_where=text("NOT deleted"),
        ),
    )


# DOMAIN.md: a deleted event is hidden from everyone; its row stays for audit. The policy
# says so for authorized reads (policies/polar/events.polar); every other statement over
# events says it with this one expression.
EVENT_NOT_DELETED = Event.deleted.is_(False)


class ProviderCustomer(Base):
    """Rule A's facts for one provider and customer, kept with every event write.

    `last_date` is the latest of the service dates of the provider's non-deleted events
    on the customer's purchasing powers and the ends of its reservations on them (None
    when there is neither); `reservation_open` says whether one of those reservations
    has no end. Rule A is then `provider_id = P` and `last_date` inside the window or
    `reservation_open`: a primary-key range, not a scan of events and reservations
    (data/access_relation.py). One date rather than the latest event and the latest
    reservation end apart (migration 0010): rule A reads them alike, and with one date
    a provider's pairs fall into a few thousand (date, open) classes whose sizes
    `ProviderCustomerCount` keeps, so that an exact count of a provider's customers
    reads those, not every pair.
    """

    __tablename__ = "provider_customers"
    provider_id: Mapped[str] = mapped_column(ForeignKey("providers.id"), primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), primary_key=True)
    last_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    reservation_open: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (
        Index("ix_provider_customers_customer", "customer_id", "provider_id"),
        # Covering: rule A's probes and counts read this index alone.
        Index(
            "ix_provider_customers_facts",
            "provider_id",
            "customer_id",
            "last_date",
            "reservation_open",
        ),
    )


# The key's stand-in for "no date" (a primary key column cannot be NULL; `dated` tells
# it from a real date).
NO_DATE = date(1, 1, 1)


class ProviderCustomerCount(Base):
    """How many of a provider's `provider_customers` rows have these facts.

    The relation grouped by (provider, `last_date`, `reservation_open`), kept in the
    same transaction as every write of a pair (data/provider_counts.py). A provider's
    exact count of visible customers is then the policy's own rule A condition
    evaluated on these rows, summed: its classes are bounded by the calendar (at most
    two per date: 5,022 for the biggest provider at a million customers), not by its
    customers (295,190 pairs). The primary key cannot hold a NULL, so it says
    `dated` (whether `last_date` is set) and `date_key` (`last_date`, or NO_DATE when
    there is none); the policy reads `last_date`.
    """

    __tablename__ = "provider_customer_counts"
    provider_id: Mapped[str] = mapped_column(ForeignKey("providers.id"), primary_key=True)
    dated: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    date_key: Mapped[date] = mapped_column(Date, primary_key=True)
    reservation_open: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    last_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    customer_count: Mapped[int] = mapped_column(Integer)


# A name word compared by code point on PostgreSQL too: a primary key that starts with
# (scope, word) then serves `word LIKE 'kor%'` as an index range whatever the
# database's collation (SQLite compares code points already).
_WORD = String(200).with_variant(String(200, collation="C"), "postgresql")


class ProviderNameWord(Base):
    """A name word of a customer in rule A's relation, with that pair's facts.

    One row per `provider_customers` row and name word of its customer, carrying the
    pair's facts (copied, kept in the same transaction as every write of the
    pair: data/scoped_words.py) and the customer's ordering keys. A provider's name
    search is then the policy's own rule A condition evaluated on this table's rows
    within an index range (provider, word prefix): it reads the provider's matching
    words, not every customer whose name matches nor every customer the provider has.
    On PostgreSQL the primary key carries the other columns (INCLUDE, migrations 0009
    and 0010),
    so the search reads that index alone.
    """

    __tablename__ = "provider_name_words"
    provider_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    word: Mapped[str] = mapped_column(_WORD, primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    reservation_open: Mapped[bool] = mapped_column(Boolean, default=False)
    last_name_lower: Mapped[str] = mapped_column(String(200))
    first_name_lower: Mapped[str] = mapped_column(String(200))

    __table_args__ = (
        ForeignKeyConstraint(
            ["provider_id", "customer_id"],
            ["provider_customers.provider_id", "provider_customers.customer_id"],
        ),
        ForeignKeyConstraint(
            ["customer_id", "word"], ["customer_name_words.customer_id", "customer_name_words.word"]
        ),
    )


class GrantNameWord(Base):
    """A name word of a customer holding a voucher of an organizer's service.

    One row per distinct (organizer, service, customer) of the purchasing powers and
    name word of the customer, with its ordering keys. Rules B and C select customers
    by their purchasing powers' organizer and service alone, so an organizer's name
    search is the policy's own condition evaluated on these rows within an index range
    (organizer, word prefix). Derived by `load` and `generate` (nothing else writes
    purchasing powers or names) and by migration 0009.
    """

    __tablename__ = "grant_name_words"
    organizer_id: Mapped[str] = mapped_column(ForeignKey("organizers.id"), primary_key=True)
    word: Mapped[str] = mapped_column(_WORD, primary_key=True)
    service_id: Mapped[str] = mapped_column(ForeignKey("services.id"), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_name_lower: Mapped[str] = mapped_column(String(200))
    first_name_lower: Mapped[str] = mapped_column(String(200))

    __table_args__ = (
        ForeignKeyConstraint(
            ["customer_id", "word"], ["customer_name_words.customer_id", "customer_name_words.word"]
        ),
    )


class ServiceSet(Base):
    """The customers of one organizer who hold vouchers for exactly this set of its services.

    Each (organizer, customer) pair with a purchasing power belongs to exactly one set:
    the services of the customer's purchasing powers of that organizer. Rules B and C
    select customers by the (organizer, service) of their purchasing powers, so the
    number of customers they let a viewer see is the sum of `customer_count` over the
    sets with a member those rules select, whenever those sets are of one organizer
    (a customer is in one set per organizer). A count then reads a few dozen set rows,
    not every visible customer (data/service_sets.py). Derived from the purchasing
    powers by `load` and `generate` (nothing else writes them) and by migration 0007.
    """

    __tablename__ = "service_sets"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    organizer_id: Mapped[str] = mapped_column(ForeignKey("organizers.id"))
    customer_count: Mapped[int] = mapped_column(Integer)


class ServiceSetMember(Base):
    """One service of a service set (with its organizer, as rules B and C ask for it)."""

    __tablename__ = "service_set_members"
    set_id: Mapped[int] = mapped_column(ForeignKey("service_sets.id"), primary_key=True)
    service_id: Mapped[str] = mapped_column(ForeignKey("services.id"), primary_key=True)
    organizer_id: Mapped[str] = mapped_column(ForeignKey("organizers.id"))

    # The sets a viewer's grants select: a range per (organizer, service).
    __table_args__ = (
        Index("ix_service_set_members_grant", "organizer_id", "service_id", "set_id"),
    )


class OrganizerCustomer(Base):
    """A customer holding a voucher of an organizer: the pair's service set, and the
    customer's ordering keys.

    One row per (organizer, customer) of the purchasing powers. Rules B and C select
    customers by their purchasing powers' organizer and service alone, so an organizer
    user's list is these rows of the one organizer in name order, each kept when its
    service set has a member the policy's condition selects: an index range that reads
    a page's rows, where walking every customer's name order and probing each one's
    purchasing powers read one over the organizer's share of all customers (at a
    million, 356 customers for a page of 51). Derived with the service sets by `load`
    and `generate` (nothing else writes purchasing powers or names) and by migration
    0011. On PostgreSQL its order index is C-collated, as the lists' ORDER BY is.
    """

    __tablename__ = "organizer_customers"
    organizer_id: Mapped[str] = mapped_column(ForeignKey("organizers.id"), primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), primary_key=True)
    set_id: Mapped[int] = mapped_column(ForeignKey("service_sets.id"))
    last_name_lower: Mapped[str] = mapped_column(String(200))
    first_name_lower: Mapped[str] = mapped_column(String(200))

    __table_args__ = (
        Index(
            "ix_organizer_customers_order",
            "organizer_id",
            "last_name_lower",
            "first_name_lower",
            "customer_id",
        ),
        Index(
            "ix_organizer_customers_set",
            "set_id",
            "last_name_lower",
            "first_name_lower",
            "customer_id",
        ),
    )


class CorrectionRequest(Base):
    """A provider's error report on a settled event, read by the organizer admins."""

    __tablename__ = "correction_requests"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    event_id: Mapped[str] = mapped_column(ForeignKey("events.id"), index=True)
    provider_id: Mapped[str] = mapped_column(ForeignKey("providers.id"))
    organizer_id: Mapped[str] = mapped_column(ForeignKey("organizers.id"), index=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    message: Mapped[str] = mapped_column(Text)
    created_on: Mapped[date] = mapped_column(Date)


class AccessLogEntry(Base):
    """Who saw whose identity (name, hetu), when, in which operation."""

    __tablename__ = "access_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(String(64), index=True)
    customer_id: Mapped[str] = mapped_column(String(64), index=True)
    fields: Mapped[list[str]] = mapped_column(JSON)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    operation: Mapped[str | None] = mapped_column(String(200), nullable=True)
