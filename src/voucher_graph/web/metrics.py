"""Prometheus metrics at GET /metrics: requests by operation and outcome, latency, SQL
statements per request, access-log writes, refusals by code."""

from __future__ import annotations

import os
import re
import threading
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from starlette.requests import Request
from starlette.responses import Response

# Operation names are chosen by clients: past this many distinct ones, or for a name
# that is not a plain GraphQL name, the label is "other" (bounded series).
MAX_OPERATION_LABELS = 50
_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]{0,63}")
_seen: set[str] = set()
_seen_lock = threading.Lock()

REQUESTS = Counter(
    "voucher_graph_requests",
    "GraphQL requests by operation and outcome (ok, error, refused, internal).",
    ["operation", "outcome"],
)
LATENCY = Histogram(
    "voucher_graph_request_duration_seconds",
    "Time from receiving a GraphQL request to having its answer, by operation.",
    ["operation"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
SQL_STATEMENTS = Histogram(
    "voucher_graph_sql_statements_per_request",
    "SQL statements one GraphQL request caused.",
    buckets=(0, 1, 2, 4, 8, 12, 16, 20, 30, 50, 100, 200),
)
ACCESS_LOG_WRITES = Counter(
    "voucher_graph_access_log_writes",
    "Access-log inserts (one per response that disclosed identity or was a search).",
)
ACCESS_LOG_ENTRIES = Counter(
    "voucher_graph_access_log_entries", "Access-log rows written (one per customer)."
)
REFUSALS = Counter(
    "voucher_graph_refusals",
    "Errors answered, by contract code (HTTP_<status> for a refusal without one).",
    ["code"],
)


def operation_label(operation: str | None) -> str:
    if not operation:
        return "anonymous"
    if not _NAME.fullmatch(operation):
        return "other"
    with _seen_lock:
        if operation in _seen:
            return operation
        if len(_seen) >= MAX_OPERATION_LABELS:
            return "other"
        _seen.add(operation)
    return operation


def outcome(status: int, codes: tuple[str, ...]) -> str:
    if status >= 500 or "INTERNAL" in codes:
        return "internal"
    if status >= 400:
        return "refused"
    return "error" if codes else "ok"


# A metric's child per label values, as `labels()` returns it: asking `labels()` takes
# a lock and checks every value on each call (about 2 % of a small query's CPU). The
# label values are bounded (operations by MAX_OPERATION_LABELS, outcomes, codes).
_children: dict[tuple[object, ...], Any] = {}


def _child(metric: Counter | Histogram, *labels: str) -> Any:
    key = (metric, *labels)
    child = _children.get(key)
    if child is None:
        child = _children[key] = metric.labels(*labels)
    return child


def observe_request(
    operation: str | None, status: int, codes: tuple[str, ...], seconds: float, statements: int
) -> None:
    label = operation_label(operation)
    _child(REQUESTS, label, outcome(status, codes)).inc()
    _child(LATENCY, label).observe(seconds)
    SQL_STATEMENTS.observe(statements)
    for code in codes or ((f"HTTP_{status}",) if status >= 400 else ()):
        _child(REFUSALS, code).inc()


def observe_access_log(entries: int) -> None:
    ACCESS_LOG_WRITES.inc()
    ACCESS_LOG_ENTRIES.inc(entries)


def _registry() -> CollectorRegistry:
    """This process's metrics; with several workers (PROMETHEUS_MULTIPROC_DIR set, as
    prometheus-client's multiprocess mode needs), every worker's summed."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    from prometheus_client import multiprocess

    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return registry


async def metrics_endpoint(_request: Request) -> Response:
    return Response(generate_latest(_registry()), media_type=CONTENT_TYPE_LATEST)
