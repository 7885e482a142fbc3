"""Validation of a parsed document, cached, with suggestions hidden when asked.

Replaces Strawberry's ValidationCache, whose validate call cannot hide graphql-core's
"Did you mean …?" suggestions: with introspection off they would still name fields,
types and enum values."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

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


def validate_document(
    schema: GraphQLSchema,
    document: DocumentNode,
    rules: tuple[type[ASTValidationRule], ...],
    hide_suggestions: bool,
) -> list[GraphQLError]:
    return validate(
        schema, document, (*rules, *STRAWBERRY_RULES), hide_suggestions=hide_suggestions
    )


class ValidatedDocuments:
    """One app's validation results by document (bounded: hostile texts only evict).

    Kept by the app (schema/limits.py builds one per app), so that they go with it: a
    process-wide cache keyed on the schema kept every app a test run built alive. A
    document is the parser cache's own object for its text, so it is found by identity
    (hashing it would walk its whole tree); the entry holds it, so its id stays its own.
    """

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self.size = size
        self._found: OrderedDict[tuple[int, tuple[type[ASTValidationRule], ...], bool], Any] = (
            OrderedDict()
        )

    def errors(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        rules: tuple[type[ASTValidationRule], ...],
        hide_suggestions: bool,
    ) -> list[GraphQLError]:
        key = (id(document), rules, hide_suggestions)
        found = self._found.get(key)
        if found is not None and found[0] is document:
            self._found.move_to_end(key)
            return found[1]  # type: ignore[no-any-return]
        errors = validate_document(schema, document, rules, hide_suggestions)
        self._found[key] = (document, errors)
        if len(self._found) > self.size:
            self._found.popitem(last=False)
        return errors


class Validation(SchemaExtension):
    """Per request (a factory): validates with the request's rules, from the app's cache."""

    def __init__(self, *, hide_suggestions: bool, documents: ValidatedDocuments) -> None:
        super().__init__()
        self.hide_suggestions = hide_suggestions
        self.documents = documents

    def on_validate(self) -> Iterator[None]:
        execution = self.execution_context
        assert execution.graphql_document is not None
        execution.pre_execution_errors = self.documents.errors(
            execution.schema._schema,
            execution.graphql_document,
            tuple(execution.validation_rules),
            self.hide_suggestions,
        )
        yield
