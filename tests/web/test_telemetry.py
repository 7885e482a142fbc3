"""Traces (OpenTelemetry, captured by an in-memory exporter) and Prometheus /metrics."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from prometheus_client import REGISTRY
from sqlalchemy.ext.asyncio import AsyncEngine
from support import SECRET, TODAY, Api, load_world

from voucher_graph.app import create_app
from voucher_graph.auth import issue_token
from voucher_graph.data.engine import create_engine
from voucher_graph.settings import Settings
from voucher_graph.web.telemetry import provider_from_environment

SEARCH = """query Search($name: String!) {
  customers(name: $name) { edges { node { id firstName lastName ssn events { id } } } }
}"""


@dataclass
class Traced:
    client: httpx.AsyncClient
    exporter: InMemorySpanExporter

    async def post(self, body: dict[str, Any], user: str | None = "u1") -> httpx.Response:
        headers = {"Authorization": f"Bearer {issue_token(SECRET, user, 600)}"} if user else {}
        return await self.client.post("/graphql", json=body, headers=headers)


@pytest.fixture
async def traced(engine: AsyncEngine, example_world: dict[str, Any]) -> AsyncIterator[Traced]:
    """The app over its own engine (so that SQL tracing ends with it) and an in-memory
    span exporter."""
    await load_world(engine, example_world)
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    url = engine.url.render_as_string(hide_password=False)
    own_engine = create_engine(url)
    app = create_app(
        Settings(database_url=url, jwt_secret=SECRET, today=TODAY),
        engine=own_engine,
        tracer_provider=provider,
    )
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")
    yield Traced(client, exporter)
    await client.aclose()
    await own_engine.dispose()


def attribute_values(spans: list[ReadableSpan]) -> str:
    return " ".join(
        str(value) for span in spans for value in (span.attributes or {}).values()
    ).lower()


async def test_a_request_is_traced_from_request_to_operation_to_resolver_to_sql(
    traced: Traced, example_api: Api
) -> None:
    first = (
        await example_api.data("{ customers(first: 1) { edges { node { lastName } } } }", user="u1")
    )["customers"]["edges"][0]["node"]["lastName"]
    traced.exporter.clear()
    response = await traced.post({"query": SEARCH, "variables": {"name": first}})
    found = response.json()["data"]["customers"]["edges"]
    assert found
    spans = list(traced.exporter.get_finished_spans())
    by_id = {span.context.span_id: span for span in spans}

    def parent(span: ReadableSpan) -> ReadableSpan | None:
        return by_id.get(span.parent.span_id) if span.parent else None

    request = next(s for s in spans if s.kind == SpanKind.SERVER)
    operation = next(s for s in spans if s.name == "GraphQL operation Search")
    resolver = next(s for s in spans if s.name == "GraphQL Resolving: customers")
    sql = [s for s in spans if s.kind == SpanKind.CLIENT]
    assert parent(operation) is request
    assert parent(resolver) is operation
    # The viewer's load and the access-log insert belong to the request; the search to
    # its resolver; the loaders' batches (run after the resolver returned) to the operation.
    parents = [parent(s) for s in sql]
    assert set(map(id, parents)) == {id(request), id(operation), id(resolver)}
    assert len({s.context.trace_id for s in spans}) == 1
    assert request.attributes is not None
    assert request.attributes["voucher_graph.sql_statements"] == len(sql)
    assert request.attributes["graphql.operation.name"] == "Search"
    # No hetu or name in any attribute: not the search word, not what came back.
    text = attribute_values(spans)
    identities = {first.lower()} | {
        str(edge["node"][key]).lower() for edge in found for key in ("firstName", "lastName", "ssn")
    }
    assert not [value for value in identities if value in text]


async def test_metrics_count_requests_outcomes_statements_access_log_and_refusals(
    traced: Traced,
) -> None:
    def value(name: str, **labels: str) -> float:
        return REGISTRY.get_sample_value(name, labels) or 0.0

    before = {
        "ok": value("voucher_graph_requests_total", operation="Me", outcome="ok"),
        "statements": value("voucher_graph_sql_statements_per_request_count"),
        "writes": value("voucher_graph_access_log_writes_total"),
        "unauthenticated": value("voucher_graph_refusals_total", code="UNAUTHENTICATED"),
        "refused": value("voucher_graph_requests_total", operation="anonymous", outcome="refused"),
        "latency": value("voucher_graph_request_duration_seconds_count", operation="Me"),
    }
    await traced.post({"query": "query Me { me { id } }"})
    await traced.post({"query": 'query Me { customer(id: "c1") { firstName } me { id } }'})
    await traced.post({"query": "{ me { id } }"}, user=None)
    assert value("voucher_graph_requests_total", operation="Me", outcome="ok") == before["ok"] + 2
    assert value("voucher_graph_sql_statements_per_request_count") == before["statements"] + 3
    assert value("voucher_graph_access_log_writes_total") == before["writes"] + 1
    assert (
        value("voucher_graph_refusals_total", code="UNAUTHENTICATED")
        == before["unauthenticated"] + 1
    )
    assert (
        value("voucher_graph_requests_total", operation="anonymous", outcome="refused")
        == before["refused"] + 1
    )
    assert (
        value("voucher_graph_request_duration_seconds_count", operation="Me")
        == before["latency"] + 2
    )
    page = await traced.client.get("/metrics")
    assert page.status_code == 200
    assert 'voucher_graph_requests_total{operation="Me",outcome="ok"}' in page.text


def test_traces_are_exported_only_when_otel_variables_ask_for_it() -> None:
    assert provider_from_environment({}) is None
    assert provider_from_environment({"OTEL_TRACES_EXPORTER": "none"}) is None
    provider = provider_from_environment({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"})
    assert provider is not None
    assert provider.resource.attributes["service.name"]
    provider.shutdown()
