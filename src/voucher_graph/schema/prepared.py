"""Read operations run straight on graphql-core, once their document is known valid.

Strawberry's HTTP view and `Schema.execute` do a fixed amount of work per request
whatever the document: the body is decoded a second time, six extension objects are
built, and each of their hooks is entered and left for the operation, parsing,
validation and execution. For a small query that was about a quarter of the
request's CPU (py-spy, 2026-12-06), as much as our own executor's.

For a query whose text has been parsed and validated once, with exactly the rules the
extensions apply, none of that work changes the answer. `PreparedReads` keeps such
documents by text and runs them on graphql-core's `execute` with the schema's own
execution context class and arguments. Everything else still goes through
Strawberry: mutations, subscriptions, documents with any validation error (Strawberry
reports them), streamed responses, and every request when tracing is on (its spans
come from an extension). tests/api/test_prepared_reads.py proves both paths answer
alike, byte for byte.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from graphql import (
    ASTValidationRule,
    DocumentNode,
    GraphQLError,
    OperationType,
    execute,
    get_operation_ast,
    parse,
)
from strawberry.execution.is_awaitable import optimized_is_awaitable
from strawberry.schema._graphql_core import execution_context_class_kwargs
from strawberry.types import ExecutionResult
from strawberry.utils.await_maybe import await_maybe

from .build import VoucherSchema
from .validation import validate_document

CACHE_SIZE = 256  # distinct (text, operation name) pairs kept; hostile texts only evict


@dataclass(frozen=True)
class Prepared:
    """A valid query operation, ready to execute."""

    document: DocumentNode
    # What Strawberry's execution context would report as the operation's name: the
    # one asked for, else the document's (only) operation's own name.
    operation_name: str | None


class PreparedReads:
    """Valid read documents by text, and their execution without Strawberry's view."""

    def __init__(
        self,
        schema: VoucherSchema,
        rules: tuple[type[ASTValidationRule], ...],
        *,
        max_tokens: int,
    ) -> None:
        self.schema = schema
        self.rules = rules
        self.max_tokens = max_tokens
        self._execute_kwargs: dict[str, Any] = {
            **execution_context_class_kwargs(schema.execution_context_class),
            "is_awaitable": optimized_is_awaitable,
        }
        self._find = functools.lru_cache(maxsize=CACHE_SIZE)(self._find_uncached)

    def find(self, query: str, operation_name: str | None) -> Prepared | None:
        """The prepared query operation, or None: not a query, or not valid."""
        return self._find(query, operation_name)

    def _find_uncached(self, query: str, operation_name: str | None) -> Prepared | None:
        try:
            document = parse(query, max_tokens=self.max_tokens)
        except GraphQLError:
            return None
        operation = get_operation_ast(document, operation_name)
        if operation is None or operation.operation is not OperationType.QUERY:
            return None
        schema = self.schema._schema
        if validate_document(schema, document, self.rules, self.schema.hide_suggestions):
            return None
        if operation_name is None and operation.name is not None:
            operation_name = operation.name.value
        return Prepared(document, operation_name)

    async def execute(
        self,
        prepared: Prepared,
        context: Any,
        variables: dict[str, Any] | None,
        extensions: dict[str, Any] | None,
    ) -> ExecutionResult:
        """As Strawberry's `Schema.execute` answers a valid query: an exception outside
        any field becomes the result's one error, as there."""
        try:
            result = await await_maybe(
                execute(
                    self.schema._schema,
                    prepared.document,
                    context_value=context,
                    variable_values=variables,
                    operation_name=prepared.operation_name,
                    **self._execute_kwargs,
                    **self.schema._get_custom_context_kwargs(extensions),
                )
            )
        except Exception as exc:  # noqa: BLE001 - Strawberry answers these as errors too
            if not isinstance(exc, GraphQLError):
                exc = GraphQLError(str(exc), original_error=exc)
            return ExecutionResult(data=None, errors=[exc])
        return ExecutionResult(data=result.data, errors=result.errors)
