"""Build the Strawberry schema: one per process, shared by all requests."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from .access import AccessQuery
from .audit import AuditQuery
from .batch_fields import REGISTRY
from .executor import executor_for
from .mutations import Mutation
from .query import Query
from .reports import ReportsQuery
from .scalars import SCALAR_MAP

# Root types are composed from one class per domain module; a module adds its class here.
QUERY_PARTS: tuple[type, ...] = (Query, ReportsQuery, AuditQuery, AccessQuery)
MUTATION_PARTS: tuple[type, ...] = (Mutation,)


class VoucherSchema(strawberry.Schema):
    # Set by build_schema: hide graphql-core's "Did you mean …?" in execution errors too
    # (variable values), not only in validation (schema/validation.py).
    hide_suggestions: bool = False

    def _get_custom_context_kwargs(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        # Strawberry's hook for extra keyword arguments of graphql-core's execute().
        extra: dict[str, Any] = super()._get_custom_context_kwargs(*args, **kwargs)
        return {**extra, "hide_suggestions": True} if self.hide_suggestions else extra

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # Client errors (domain rules, bad input) are answers, not incidents: only
        # unexpected exceptions are logged, by schema.errors with the request id.
        return None


def build_schema(
    # Classes or factories (schema/limits.py): Strawberry builds them per request.
    extensions: Sequence[Callable[[], SchemaExtension]] | None = None,
    *,
    batched: bool = True,
    hide_suggestions: bool = False,
) -> strawberry.Schema:
    """The served schema; `batched=False` runs every operation on graphql-core's own
    executor (the reference the batched one is tested against)."""
    query: Any = merge_types("Query", QUERY_PARTS) if len(QUERY_PARTS) > 1 else QUERY_PARTS[0]
    mutation: Any = merge_types("Mutation", MUTATION_PARTS) if MUTATION_PARTS else None
    schema = VoucherSchema(
        query=query,
        mutation=mutation,
        config=StrawberryConfig(scalar_map=SCALAR_MAP),
        extensions=list(extensions or []),
        # Read operations run breadth-first, batched per level (schema/executor.py).
        execution_context_class=executor_for(REGISTRY) if batched else None,
    )
    schema.hide_suggestions = hide_suggestions
    return schema
