# Who may change what (DOMAIN.md, "Events" and "Actors"). Every rule here assumes the
# object is already visible to the viewer: the resolvers look it up through "read"
# first, so that an invisible id is NOT_FOUND and only a visible one can be FORBIDDEN.
# Edit and delete of an event are in events.polar. Whether the status and the
# settlement date allow the action is a domain rule (domain/workflow.py).

# A RECORDER records events on the purchasing powers it sees; whether its provider has
# a reservation covering the content and date is checked against the data.
has_permission(viewer: Viewer, "record", _pp: PurchasingPower) if
  viewer.role = "RECORDER" and
  viewer.provider_id != nil;

# An organizer ADMIN of the purchasing power's organizer approves or rejects its events
# under review and credits its settled events.
has_permission(viewer: Viewer, "review_events", pp: PurchasingPower) if
  viewer.role = "ADMIN" and
  pp.organizer_id = viewer.organizer_id;
has_permission(viewer: Viewer, "credit_events", pp: PurchasingPower) if
  viewer.role = "ADMIN" and
  pp.organizer_id = viewer.organizer_id;

# Any RECORDER of the recording provider may report an error on a settled event.
has_permission(viewer: Viewer, "report_error", event: Event) if
  viewer.role = "RECORDER" and
  event.provider_id = viewer.provider_id;

# A RECORDER sets its provider's number for a customer it sees.
has_permission(viewer: Viewer, "set_number", customer: Customer) if
  viewer.role = "RECORDER" and
  viewer.provider_id != nil and
  sees_customer(viewer, customer);
