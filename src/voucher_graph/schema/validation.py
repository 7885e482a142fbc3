"""Validation of a parsed document, cached, with suggestions hidden when asked.

Replaces Strawberry's ValidationCache, whose validate call cannot hide graphql-core's
"Did you mean …?" suggestions: with introspection off they would still name fields,
types and enum values."""

from __future__ import annotations

import functools
from collections.abc import Iterator

from graphql import ASTValidationRule, DocumentNode, GraphQLError, GraphQLSchema, validate
from strawberry.extensions import SchemaExtension
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule

CACHE_SIZE = 256  # distinct documents kept validated (bounded: hostile texts only evict)

# The rules Strawberry adds to every validation (strawberry.schema.schema.validate_document).
STRAWBERRY_RULES: tuple[type[ASTValidationRule], ...] = (
    MaybeNullValidationRule,
    OneOfInputValidationRule,
)


@functools.lru_cache(maxsize=CACHE_SIZE)
def validate_document(
    schema: GraphQLSchema,
    document: DocumentNode,
    rules: tuple[type[ASTValidationRule], ...],
    hide_suggestions: bool,
) -> list[GraphQLError]:
    return validate(
        schema, document, (*rules, *STRAWBERRY_RULES), hide_suggestions=hide_suggestions
    )


class Validation(SchemaExtension):
    """Per request (a factory): validates with the request's rules, from a shared cache."""

    def __init__(self, *, hide_suggestions: bool) -> None:
        super().__init__()
        self.hide_suggestions = hide_suggestions

    def on_validate(self) -> Iterator[None]:
        execution = self.execution_context
        assert execution.graphql_document is not None
        execution.pre_execution_errors = validate_document(
            execution.schema._schema,
            execution.graphql_document,
            tuple(execution.validation_rules),
            self.hide_suggestions,
        )
        yield
