# Actors: a viewer is a provider user (RECORDER, REPORTER) or an organizer user
# (STAFF, ADMIN). Its role, organization and team grants come from the database on
# every request; `window_start` is the first day of the 3-year window.

actor Viewer {}

allow(viewer, action, resource) if has_permission(viewer, action, resource);

# A viewer manages a purchasing power (of either kind) when a team of the viewer names
# its service and organizer (rule B), or the viewer is an ADMIN of its organizer (rule C).
manages(viewer: Viewer, pp) if
  grant in viewer.grants and
  pp.organizer_id = grant.organizer_id and
  pp.service_id = grant.service_id;
manages(viewer: Viewer, pp) if
  viewer.role = "ADMIN" and
  pp.organizer_id = viewer.organizer_id;
