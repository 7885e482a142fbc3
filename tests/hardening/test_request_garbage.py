"""A request leaves no cycle holding what it read.

The loaders refer to one another through their batch functions, a reference cycle
that only the garbage collector frees. Holding a page's rows and derived facts, it
left about 4,700 objects per page of 100 for the collector, which then ran every
twenty pages or so in the middle of another page and walked that page's live objects
(30-35 ms, the pages' p95). The request's context is emptied once it has been
answered (Context.release), so the cycle holds almost nothing. Counts, never times.
"""

from __future__ import annotations

import gc
from collections import Counter

from support import Api

from voucher_graph.data.raw_rows import Row

# Every nested list and derived field of a customer.
PAGE = """{ customers(first: 40) { edges { node {
  id firstName lastName customerNumber
  purchasingPowers { id service { id } contents { content { id } usedUnits } }
  balancePurchasingPowers { id usedAmount balance }
  reservations(includeEnded: true) { id content { id } }
  events { id status price voucherShare copay editable deletable content { id } }
  access { rule }
} } } }"""


# The request's own machinery may stay in the cycle; what it read may not.
MACHINERY = {
    "Actor",
    "BoundBatchedExecutionContext",
    "Context",
    "Gate",
    "LevelInfo",
    "Loaders",
    "Prepared",
    "Scopes",
    "ShieldedSession",
    "Viewer",
}


def _what_was_read(garbage: list[object]) -> Counter[str]:
    """The rows and the objects made from them among `garbage`, by type name."""
    read = Counter[str]()
    for thing in garbage:
        kind = type(thing)
        ours = getattr(kind, "__module__", "").startswith("voucher_graph.")
        if isinstance(thing, Row) or (ours and kind.__name__ not in MACHINERY):
            read[kind.__name__] += 1
    return read


async def test_an_answered_request_leaves_no_rows_to_the_garbage_collector(
    example_api: Api,
) -> None:
    for user in ("u10", "u1"):  # an ADMIN and a RECORDER
        await example_api.data(PAGE, user=user)  # warm the process's caches
        gc.collect()
        gc.disable()
        try:
            data = await example_api.data(PAGE, user=user)
            gc.set_debug(gc.DEBUG_SAVEALL)
            gc.collect()
            garbage = list(gc.garbage)
        finally:
            gc.set_debug(0)
            gc.garbage.clear()
            gc.enable()
        assert data["customers"]["edges"], "the test needs a page with customers"
        assert _what_was_read(garbage) == Counter(), user
        assert len(garbage) < 400, Counter(type(t).__name__ for t in garbage).most_common(8)
