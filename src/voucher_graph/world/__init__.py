"""World files: the validated in-memory model, the validator and the demo-world generator.

A world file (CONTRACT.md, "World file") is one JSON object holding every organizer,
provider, service, user, team, customer, customer number, purchasing power,
reservation and event. `validate.validate_world` checks a whole file and turns it into
a `model.World`, or names the first wrong entry; `demo.demo_world` builds a consistent
one. Everything here is pure: standard library and `voucher_graph.domain` only.
"""
