# What a viewer sees of a visible customer (DOMAIN.md, "What a user sees"). "list" is
# membership of the customer's lists; "read" (a lookup by id) adds that the customer
# itself is visible.

resource PurchasingPower {
  permissions = ["list", "read"];
}

# Those the viewer's provider has a reservation or a non-deleted event on...
has_permission(viewer: Viewer, "list", pp: PurchasingPower) if
  viewer.provider_id != nil and
  reservation in pp.reservations and
  reservation.provider_id = viewer.provider_id;
has_permission(viewer: Viewer, "list", pp: PurchasingPower) if
  viewer.provider_id != nil and
  event in pp.events and
  event.provider_id = viewer.provider_id and
  event.deleted = false;
# ...and those the viewer manages.
has_permission(viewer: Viewer, "list", pp: PurchasingPower) if
  manages(viewer, pp);

has_permission(viewer: Viewer, "read", pp: PurchasingPower) if
  has_permission(viewer, "list", pp) and
  sees_customer(viewer, pp.customer);

resource Reservation {
  permissions = ["list", "read"];
}

# Those made by the viewer's provider, and those on purchasing powers it manages.
has_permission(viewer: Viewer, "list", reservation: Reservation) if
  viewer.provider_id != nil and
  reservation.provider_id = viewer.provider_id;
has_permission(viewer: Viewer, "list", reservation: Reservation) if
  manages(viewer, reservation.purchasing_power);

has_permission(viewer: Viewer, "read", reservation: Reservation) if
  has_permission(viewer, "list", reservation) and
  sees_customer(viewer, reservation.customer);
