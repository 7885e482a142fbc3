# Who sees which customer (DOMAIN.md, "Who sees which customer") and which of its
# identity fields. A customer no rule lets the viewer see does not exist for them.

resource Customer {
  permissions = ["read"];
}

has_permission(viewer: Viewer, "read", customer: Customer) if
  sees_customer(viewer, customer);

# Rule A on the rows themselves: a non-deleted event of the viewer's provider whose
# service date is inside the 3-year window...
provider_event(viewer: Viewer, event) if
  viewer.provider_id != nil and
  event.provider_id = viewer.provider_id and
  event.deleted = false and
  event.service_date >= viewer.window_start;
# ...or a reservation of the viewer's provider whose end is empty or inside the window
# (a future end counts). Explaining access names these rows (policies/explain.py).
provider_reservation(viewer: Viewer, reservation) if
  viewer.provider_id != nil and
  reservation.provider_id = viewer.provider_id and
  reservation.valid_to = nil;
provider_reservation(viewer: Viewer, reservation) if
  viewer.provider_id != nil and
  reservation.provider_id = viewer.provider_id and
  reservation.valid_to >= viewer.window_start;

# Rule A for a customer, read from the relation kept with every event and reservation
# write (provider_customers, data/access_relation.py): per provider and customer, the
# latest of the dates above (its non-deleted events' service dates and its
# reservations' ends) and whether a reservation has no end, so that a page of customers
# is a primary-key range rather than a scan. It must hold exactly when one of the
# customer's events or reservations qualifies above (tests/model/test_access.py): the
# latest date is inside the window exactly when one of the dates is.
sees_customer(viewer: Viewer, customer: Customer) if
  viewer.provider_id != nil and
  link in customer.provider_links and
  link.provider_id = viewer.provider_id and
  link.last_date >= viewer.window_start;
sees_customer(viewer: Viewer, customer: Customer) if
  viewer.provider_id != nil and
  link in customer.provider_links and
  link.provider_id = viewer.provider_id and
  link.reservation_open = true;
# Rules B and C: the customer holds a purchasing power the viewer manages. totalCount
# evaluates this rule's condition on the purchasing power's organizer and service over
# the service sets (data/service_sets.py); a condition on anything else is counted
# from the purchasing powers instead, so any rule stays exact.
sees_customer(viewer: Viewer, customer: Customer) if
  pp in customer.purchasing_powers and
  manages(viewer, pp);

# Field rule: a REPORTER is pseudonymous; it never sees names or hetu and cannot
# search by them. The rule depends on the viewer only.
allow_field(viewer: Viewer, "read", _customer: Customer, field) if
  field in ["firstName", "lastName", "ssn"] and
  viewer.role != "REPORTER";
allow_field(viewer: Viewer, "search", _customer: Customer, field) if
  field in ["name", "ssn"] and
  viewer.role != "REPORTER";

# customerNumber: the viewer's provider's own number; organizer users have none.
resource CustomerNumber {
  permissions = ["read"];
}

has_permission(viewer: Viewer, "read", number: CustomerNumber) if
  viewer.provider_id != nil and
  number.provider_id = viewer.provider_id;
