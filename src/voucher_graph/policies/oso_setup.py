"""Oso set-up: register the classes the policy speaks of and load `polar/` in one call."""

from __future__ import annotations

import datetime
from pathlib import Path

from oso import Oso
from polar.data_filtering import Relation

from ..data.models import (
    Customer,
    CustomerNumber,
    Event,
    ProviderCustomer,
    PurchasingPower,
    Reservation,
)
from ..data.viewer import Grant, Viewer
from .adapter import SqlFilterAdapter

POLAR_DIR = Path(__file__).resolve().parents[3] / "polar"


# A table reached on a second path needs a second Polar class: Oso's filters name
# tables by class, so "an event's customer's events" must not be the root `Event`.
class CustomerEvent:
    """Alias of `Event`: the events of a customer, as the customer rules see them."""


class CustomerReservation:
    """Alias of `Reservation`, as the customer rules see them."""


class CustomerPurchasingPower:
    """Alias of `PurchasingPower`, as the customer rules see them."""


def _many(other: str, other_field: str) -> Relation:
    return Relation(kind="many", other_type=other, my_field="id", other_field=other_field)


def _one(other: str, my_field: str) -> Relation:
    return Relation(kind="one", other_type=other, my_field=my_field, other_field="id")


_EVENT_FIELDS = {
    "id": str,
    "customer_id": str,
    "purchasing_power_id": str,
    "provider_id": str,
    "deleted": bool,
    "service_date": datetime.date,
}
_RESERVATION_FIELDS = {
    "id": str,
    "customer_id": str,
    "purchasing_power_id": str,
    "provider_id": str,
    "valid_from": datetime.date,
    "valid_to": datetime.date,
}
# Rule A's persisted facts per provider and customer (data/access_relation.py).
_PROVIDER_CUSTOMER_FIELDS = {
    "provider_id": str,
    "customer_id": str,
    "last_event_date": datetime.date,
    "reservation_open": bool,
    "last_reservation_end": datetime.date,
}
_PURCHASING_POWER_FIELDS = {
    "id": str,
    "customer_id": str,
    "organizer_id": str,
    "service_id": str,
}


def create_oso(polar_dir: Path = POLAR_DIR) -> Oso:
    """An Oso with every policy class registered and every `.polar` file loaded."""
    oso = Oso()
    # Polar compares dates in the 3-year rule; field types must be registered classes.
    oso.register_class(datetime.date, name="Date")
    oso.register_class(Grant)
    oso.register_class(Viewer)
    oso.register_class(
        Customer,
        fields={
            "id": str,
            "events": _many("CustomerEvent", "customer_id"),
            "reservations": _many("CustomerReservation", "customer_id"),
            "purchasing_powers": _many("CustomerPurchasingPower", "customer_id"),
            "provider_links": _many("ProviderCustomer", "customer_id"),
        },
    )
    oso.register_class(ProviderCustomer, fields=_PROVIDER_CUSTOMER_FIELDS)
    oso.register_class(CustomerEvent, fields=_EVENT_FIELDS)
    oso.register_class(CustomerReservation, fields=_RESERVATION_FIELDS)
    oso.register_class(CustomerPurchasingPower, fields=_PURCHASING_POWER_FIELDS)
    oso.register_class(CustomerNumber, fields={"provider_id": str, "customer_id": str})
    oso.register_class(
        PurchasingPower,
        fields={
            **_PURCHASING_POWER_FIELDS,
            "reservations": _many("Reservation", "purchasing_power_id"),
            "events": _many("Event", "purchasing_power_id"),
            "customer": _one("Customer", "customer_id"),
        },
    )
    oso.register_class(
        Reservation,
        fields={
            **_RESERVATION_FIELDS,
            "purchasing_power": _one("PurchasingPower", "purchasing_power_id"),
            "customer": _one("Customer", "customer_id"),
        },
    )
    oso.register_class(
        Event,
        fields={
            **_EVENT_FIELDS,
            "purchasing_power": _one("PurchasingPower", "purchasing_power_id"),
            "customer": _one("Customer", "customer_id"),
        },
    )
    oso.set_data_filtering_adapter(
        SqlFilterAdapter(
            {
                Customer: Customer,
                CustomerNumber: CustomerNumber,
                ProviderCustomer: ProviderCustomer,
                PurchasingPower: PurchasingPower,
                Reservation: Reservation,
                Event: Event,
                CustomerEvent: Event,
                CustomerReservation: Reservation,
                CustomerPurchasingPower: PurchasingPower,
            }
        )
    )
    oso.load_files(sorted(polar_dir.glob("*.polar")))
    return oso
