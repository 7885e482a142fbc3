# The access log (DOMAIN.md, "Access log"): organizer admins read it for customers they
# see by rule C, i.e. customers holding a purchasing power of either kind granted by the
# admin's organizer. A team grant (rule B) or a provider relationship (rule A) is not
# enough, and no other role reads it.
#
# Visibility is checked first (CONTRACT.md, Errors): the resolver answers NOT_FOUND for
# a customer the viewer does not see at all, whatever the role, and FORBIDDEN when the
# viewer sees the customer but this rule does not hold (schema/audit.py).

allow(viewer: Viewer, "read_access_log", customer: Customer) if
  viewer.role = "ADMIN" and
  pp in customer.purchasing_powers and
  pp.organizer_id = viewer.organizer_id;
