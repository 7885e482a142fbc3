"""The fixed cast of the tiny hand-made worlds of the visibility-rule tests.

Organizers o1, o2; providers p1, p2; services s1, s2 (o1) and s3 (o2), each with one
content k1, k2, k3. Users:
rec1/rep1 (p1 RECORDER/REPORTER), rec2 (p2 RECORDER), admin1 (o1 ADMIN),
admin2 (o2 ADMIN), team1 (o1 STAFF in a team naming s1), team2 (o1 STAFF in a team
naming s2), staff0 (o1 STAFF in no team).
"""

from __future__ import annotations

from world_builder import World


def tiny_world() -> World:
    """The cast alone: a test adds customers, purchasing powers, reservations and events."""
    w = World()
    w.organizer("o1", ["2028-03-08"])
    w.organizer("o2", ["2028-03-31"])
    w.provider("p1")
    w.provider("p2")
    w.service("s1", "o1", "k1")
    w.service("s2", "o1", "k2")
    w.service("s3", "o2", "k3")
    w.user("rec1", "RECORDER", "p1")
    w.user("rep1", "REPORTER", "p1")
    w.user("rec2", "RECORDER", "p2")
    w.user("admin1", "ADMIN", "o1")
    w.user("admin2", "ADMIN", "o2")
    w.user("team1", "STAFF", "o1")
    w.user("team2", "STAFF", "o1")
    w.user("staff0", "STAFF", "o1")
    w.team("t1", "o1", ["s1"], ["team1"])
    w.team("t2", "o1", ["s2"], ["team2"])
    return w
