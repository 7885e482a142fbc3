"""OpenTelemetry traces: request (ASGI) -> GraphQL operation -> root resolver -> SQL.

Exported over OTLP when the standard OTEL_* variables ask for it. No attribute carries a
hetu or a name: no document text, no argument value, SQL only with bind placeholders."""

from __future__ import annotations

import os
from collections.abc import Callable, Generator, Mapping
from typing import Any

from opentelemetry import context, trace
from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
from opentelemetry.metrics import NoOpMeterProvider
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import SpanKind
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.types import ASGIApp
from strawberry.extensions import SchemaExtension
from strawberry.extensions.base_extension import LifecycleStep
from strawberry.extensions.tracing import OpenTelemetryExtension

SERVICE_NAME = "voucher-graph"
# Any of these asks for an exporter (the OTLP exporter reads them itself).
EXPORT_VARIABLES = (
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "OTEL_TRACES_EXPORTER",
)


def provider_from_environment(env: Mapping[str, str] | None = None) -> TracerProvider | None:
    """A provider exporting over OTLP/HTTP when OTEL_* says so; None means no tracing."""
    env = os.environ if env is None else env
    if env.get("OTEL_SDK_DISABLED", "").lower() == "true":
        return None
    if not any(env.get(name) for name in EXPORT_VARIABLES):
        return None
    if env.get("OTEL_TRACES_EXPORTER", "otlp").lower() in ("none", ""):
        return None
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    # OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES, when set, win over this default.
    resource = Resource.create({"service.name": SERVICE_NAME}).merge(Resource.create())
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    return provider


def traced_app(app: ASGIApp, provider: TracerProvider | None) -> ASGIApp:
    """`app` inside a server span per request (no receive/send sub-spans)."""
    if provider is None:
        return app
    return OpenTelemetryMiddleware(
        app,
        tracer_provider=provider,
        meter_provider=NoOpMeterProvider(),
        exclude_spans=["receive", "send"],
        http_capture_headers_sanitize_fields=["authorization", "cookie"],
    )


def trace_engine(engine: AsyncEngine, provider: TracerProvider | None) -> None:
    """A client span per SQL statement (its text has placeholders, never values)."""
    if provider is None:
        return
    tracer = trace.get_tracer("opentelemetry.instrumentation.sqlalchemy", tracer_provider=provider)
    counter = NoOpMeterProvider().get_meter("voucher_graph").create_up_down_counter("unused")
    EngineTracer(tracer, engine.sync_engine, counter)


def _no_arguments(_args: dict[str, Any], _info: Any) -> dict[str, Any]:
    # Argument values may be a hetu or a name (search, ssn): none goes into a span.
    return {}


class OperationTracing(OpenTelemetryExtension):
    """Strawberry's tracing, with no document text or argument value in any attribute,
    and resolver spans only for root fields (a page of 500 customers would otherwise
    make thousands of spans)."""

    def __init__(self, *, provider: TracerProvider, execution_context: Any = None) -> None:
        super().__init__(
            execution_context=execution_context,
            arg_filter=_no_arguments,
            tracer_provider=provider,
        )

    def on_operation(self) -> Generator[None, None, None]:
        span = self._tracer.start_span("GraphQL operation", kind=SpanKind.INTERNAL)
        self._span_holder[LifecycleStep.OPERATION] = span
        span.set_attribute("component", "graphql")
        # Current for the whole operation, so that the loaders' batched SQL (run after
        # the root resolvers returned) is the operation's child, not the request's.
        token = context.attach(trace.set_span_in_context(span))
        try:
            yield
        finally:
            context.detach(token)
        execution = self.execution_context
        name = execution.operation_name
        if name:
            span.update_name(f"GraphQL operation {name}")
            span.set_attribute("graphql.operation.name", name)
        try:
            span.set_attribute("graphql.operation.type", execution.operation_type.value)
        except RuntimeError:
            pass  # the document never named an operation (it failed to parse)
        span.end()

    async def resolve(
        self, _next: Callable[..., Any], root: Any, info: Any, *args: str, **kwargs: Any
    ) -> Any:
        if info.path.prev is not None:
            result = _next(root, info, *args, **kwargs)
            if hasattr(result, "__await__"):
                result = await result
            return result
        return await super().resolve(_next, root, info, *args, **kwargs)


def schema_extensions(provider: TracerProvider | None) -> list[Callable[[], SchemaExtension]]:
    """The per-request tracing extension, or none without a provider."""
    if provider is None:
        return []
    return [lambda: OperationTracing(provider=provider)]


def annotate(statements: int, operation: str | None, codes: tuple[str, ...]) -> None:
    """Counts and outcome on the request's span (ids and codes only, never data)."""
    span = trace.get_current_span()
    if not span.is_recording():
        return
    span.set_attribute("voucher_graph.sql_statements", statements)
    if operation:
        span.set_attribute("graphql.operation.name", operation)
    if codes:
        span.set_attribute("voucher_graph.error_codes", list(codes))
