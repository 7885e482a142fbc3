# Reports (DOMAIN.md "Settlement report"; CONTRACT.md correctionRequests). The rules
# depend on the viewer and the organizer id only, so they are asked, not data-filtered.

# The settlement report is the invoice basis of the viewer's own provider: provider
# users only; organizer users are refused.
may_read_report(viewer: Viewer, "settlementReport", _organizer_id: String) if
  viewer.provider_id != nil;

# Correction requests reach the admins of the organizer they are addressed to.
may_read_report(viewer: Viewer, "correctionRequests", organizer_id: String) if
  viewer.role = "ADMIN" and
  viewer.organizer_id = organizer_id;
