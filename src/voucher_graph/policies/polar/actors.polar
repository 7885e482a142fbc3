# Actors: a viewer is a provider user (RECORDER, REPORTER) or an organizer user
# (STAFF, ADMIN). Its role, organization and team grants come from the database on
# every request; `window_start` is the first day of the 3-year window.

actor Viewer {}

allow(viewer, action, resource) if has_permission(viewer, action, resource);

# A viewer manages a purchasing power (of either kind) when a team of the viewer names
# its service and organizer (rule B), or the viewer is an ADMIN of its organizer (rule C).
# Each branch is a named rule of its own: explaining access (policies/explain.py)
# evaluates each as its own authorized statement, so the explanation follows the rule.
manages(viewer: Viewer, pp) if
  manages_by_team(viewer, _grant, pp);
manages(viewer: Viewer, pp) if
  manages_as_admin(viewer, pp);

# Rule B, through one team grant (team, organizer, service) of the viewer.
manages_by_team(viewer: Viewer, grant: Grant, pp) if
  grant in viewer.grants and
  pp.organizer_id = grant.organizer_id and
  pp.service_id = grant.service_id;

# Rule C.
manages_as_admin(viewer: Viewer, pp) if
  viewer.role = "ADMIN" and
  pp.organizer_id = viewer.organizer_id;
