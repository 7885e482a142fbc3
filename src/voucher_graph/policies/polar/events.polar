# Events: what a viewer sees (DOMAIN.md, "What a user sees") and may do.
# A deleted event is hidden from everyone; its row stays for audit.

resource Event {
  permissions = ["list", "read", "edit", "delete"];
}

# Non-deleted events recorded by the viewer's provider...
has_permission(viewer: Viewer, "list", event: Event) if
  viewer.provider_id != nil and
  event.provider_id = viewer.provider_id and
  event.deleted = false;
# ...and those on purchasing powers the viewer manages.
has_permission(viewer: Viewer, "list", event: Event) if
  event.deleted = false and
  manages(viewer, event.purchasing_power);

has_permission(viewer: Viewer, "read", event: Event) if
  has_permission(viewer, "list", event) and
  sees_customer(viewer, event.customer);

# Any RECORDER of the recording provider may edit or delete its events (CONTRACT.md);
# whether the date and status still allow it is a domain rule (domain/settlement.py).
has_permission(viewer: Viewer, "edit", event: Event) if
  viewer.role = "RECORDER" and
  event.provider_id = viewer.provider_id;
has_permission(viewer: Viewer, "delete", event: Event) if
  viewer.role = "RECORDER" and
  event.provider_id = viewer.provider_id;
