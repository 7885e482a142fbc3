"""Query limits (depth, aliases, tokens, cost), all answered with QUERY_TOO_COMPLEX.

Strawberry's own limiters do the counting; their errors are tagged with our code. The
cost rule is ours: it estimates the field resolutions a query may cause. `LimitCheck`
runs the same rules on the raw query before the endpoint touches the database, so a
rejected query costs no SQL at all (not even loading the viewer).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from typing import Any

from graphql import (
    ASTValidationRule,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLList,
    GraphQLNonNull,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    MaxIntrospectionDepthRule,
    NoSchemaIntrospectionCustomRule,
    NullValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    StringValueNode,
    ValidationContext,
    ValidationRule,
    VariableNode,
    get_named_type,
    parse,
    specified_rules,
    validate,
    visit,
)
from graphql.language import Visitor
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
)

from ..settings import Limits, Settings
from .budget import budget_errors
from .errors import TOKEN_LIMIT_MESSAGE, TOO_COMPLEX, is_limit_error
from .query import MAX_PAGE
from .validation import ValidatedDocuments, Validation

DEFAULT_PAGE = 50
CACHE_SIZE = 256  # distinct query texts kept parsed and validated (bounded: hostile texts)


class _TaggingContext:
    """A validation context whose reported errors carry QUERY_TOO_COMPLEX."""

    def __init__(self, context: ValidationContext) -> None:
        self._context = context

    def __getattr__(self, name: str) -> Any:
        return getattr(self._context, name)

    def report_error(self, error: GraphQLError) -> None:
        error.extensions = {**(error.extensions or {}), "code": TOO_COMPLEX}
        self._context.report_error(error)


def _tagged(rule: type[Any]) -> type[ValidationRule]:
    """The rule, reporting through a tagging context (the limiters report in __init__)."""

    class Tagged(rule):  # type: ignore[misc]
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(_TaggingContext(context))

    Tagged.__name__ = f"Tagged{rule.__name__}"
    return Tagged


def _tagged_limiter(extension: AddValidationRules) -> AddValidationRules:
    extension.validation_rules = [_tagged(rule) for rule in extension.validation_rules]
    return extension


def _unwrap(type_: Any) -> tuple[Any, bool]:
    """The named type behind a field type, and whether it is a list."""
    if isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    return get_named_type(type_), isinstance(type_, GraphQLList)


class _Coster:
    """Counts the rows a query may return: each object (or list item) once per item of
    the lists above it; scalars are part of their row.

    A field with a `first` argument sizes the lists directly inside it (the connection's
    edges) by `first`, clamped to 1..MAX_PAGE because the resolver refuses the rest; any
    other list counts `list_estimate` items. A `first` given by a variable counts as the
    variable's default, or MAX_PAGE (validation cannot see variable values).
    """

    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: dict[str, FragmentDefinitionNode],
        variable_defaults: dict[str, Any],
        limits: Limits,
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variable_defaults = variable_defaults
        self.limits = limits
        self.total = 0

    def over(self) -> bool:
        return self.total > self.limits.max_cost

    def walk(
        self,
        selection_set: SelectionSetNode,
        parent: Any,
        times: int,
        page: int | None,
        stack: tuple[str, ...] = (),
    ) -> None:
        # The depth limiter rejects deep documents; this bound only keeps the walk finite.
        if self.over() or len(stack) > 4 * self.limits.max_depth:
            self.total = max(self.total, self.limits.max_cost + 1)
            return
        for selection in selection_set.selections:
            if self.over():
                return
            if isinstance(selection, FieldNode):
                self._field(selection, parent, times, page, stack)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = self.schema.get_type(condition.name.value) if condition else parent
                self.walk(selection.selection_set, target or parent, times, page, (*stack, "…"))
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is None or name in stack:
                    continue  # unknown or cyclic: the standard rules report it
                target = self.schema.get_type(fragment.type_condition.name.value)
                self.walk(fragment.selection_set, target or parent, times, page, (*stack, name))

    def _field(
        self, node: FieldNode, parent: Any, times: int, page: int | None, stack: tuple[str, ...]
    ) -> None:
        fields = getattr(parent, "fields", None)
        definition = fields.get(node.name.value) if fields else None
        if definition is None:
            return  # an introspection field or an unknown one (reported elsewhere)
        named, is_list = _unwrap(definition.type)
        items = times * ((page or self.limits.list_estimate) if is_list else 1)
        if node.selection_set is None:
            if is_list:
                self.total += items  # a list of scalars: its items are rows too
            return  # a scalar is part of its row
        self.total += items
        inner_page = self._first(node, definition) if "first" in definition.args else None
        self.walk(node.selection_set, named, items, inner_page, (*stack, node.name.value))

    def _first(self, node: FieldNode, definition: Any) -> int:
        value: Any = definition.args["first"].default_value
        for argument in node.arguments or ():
            if argument.name.value != "first":
                continue
            literal = argument.value
            if isinstance(literal, VariableNode):
                literal = self.variable_defaults.get(literal.name.value)  # type: ignore[assignment]
                value = MAX_PAGE if literal is None else None
            if isinstance(literal, IntValueNode):
                value = int(literal.value)
            elif isinstance(literal, NullValueNode):
                value = DEFAULT_PAGE
        if not isinstance(value, int):
            value = DEFAULT_PAGE
        page: int = min(max(value, 1), MAX_PAGE)
        return page


def cost_rule(limits: Limits) -> type[ValidationRule]:
    """A validation rule refusing operations whose estimated cost exceeds limits.max_cost."""

    class CostLimit(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            document = context.document
            fragments = {
                d.name.value: d
                for d in document.definitions
                if isinstance(d, FragmentDefinitionNode)
            }
            for operation in document.definitions:
                if not isinstance(operation, OperationDefinitionNode):
                    continue
                root = context.schema.get_root_type(operation.operation)
                if root is None:
                    continue
                defaults = {
                    v.variable.name.value: v.default_value
                    for v in operation.variable_definitions or ()
                }
                coster = _Coster(context.schema, fragments, defaults, limits)
                coster.walk(operation.selection_set, root, 1, None)
                if coster.over():
                    context.report_error(
                        GraphQLError(
                            f"query too costly: it may return over {limits.max_cost} rows",
                            operation,
                            extensions={"code": TOO_COMPLEX},
                        )
                    )

    return CostLimit


def limit_rules(limits: Limits) -> list[type[ValidationRule]]:
    """Depth, aliases and cost, as tagged validation rules."""
    depth = _tagged_limiter(QueryDepthLimiter(max_depth=limits.max_depth))
    aliases = _tagged_limiter(MaxAliasesLimiter(max_alias_count=limits.max_aliases))
    return [*depth.validation_rules, *aliases.validation_rules, cost_rule(limits)]  # type: ignore[list-item]


class RecordOperationName(SchemaExtension):
    """Stores the operation's name and type in the Context, for the access log, the
    request log and the endpoint's commit (app.py)."""

    def on_execute(self) -> Iterator[None]:
        execution = self.execution_context
        context = execution.context
        if context is not None and hasattr(context, "operation_name"):
            context.operation_name = execution.operation_name
            context.operation_type = execution.operation_type.value
        yield


def schema_extensions(settings: Settings) -> list[Callable[[], SchemaExtension]]:
    """Per-request extension factories for the served schema (never shared instances)."""
    limits = settings.limits
    rules = limit_rules(limits)
    factories: list[Callable[[], SchemaExtension]] = [
        functools.partial(MaxTokensLimiter, max_token_count=limits.max_tokens),
        functools.partial(ParserCache, maxsize=CACHE_SIZE),
        functools.partial(AddValidationRules, rules),  # type: ignore[arg-type]
        # Suggestions go with introspection: both describe the schema.
        functools.partial(
            Validation, hide_suggestions=not settings.introspection, documents=ValidatedDocuments()
        ),
        RecordOperationName,
    ]
    if not settings.introspection:
        factories.insert(2, DisableIntrospection)
    return factories


def served_rules(settings: Settings) -> tuple[type[ASTValidationRule], ...]:
    """The rules the extensions above validate a served request with, in their order:
    Strawberry's defaults, DisableIntrospection's rule when introspection is off, then
    the limit rules. schema/prepared.py validates with exactly these."""
    off = () if settings.introspection else (NoSchemaIntrospectionCustomRule,)
    return (*specified_rules, *off, *limit_rules(settings.limits))


class LimitCheck:
    """The limit rules, run on a query text before the endpoint does any database work."""

    def __init__(self, schema: GraphQLSchema, limits: Limits) -> None:
        self.schema = schema
        self.limits = limits
        # graphql-core's own bound on introspection cycles (`fields { type { fields ...`)
        # runs here too, so that it refuses before any database work.
        self.rules = (*limit_rules(limits), MaxIntrospectionDepthRule)
        # Bounded caches: a client sending endless distinct texts only evicts entries.
        # All are keyed by the query text, whose hash Python keeps (a document's hash
        # walks its whole syntax tree: three walks per request).
        self._parse = functools.lru_cache(maxsize=CACHE_SIZE)(self._parse_uncached)
        self._validate = functools.lru_cache(maxsize=CACHE_SIZE)(self._validate_uncached)
        self._budget = functools.lru_cache(maxsize=CACHE_SIZE)(self._budget_uncached)
        self._has_unstorable_literal = functools.lru_cache(maxsize=CACHE_SIZE)(
            self._has_unstorable_literal_uncached
        )

    def _parse_uncached(self, query: str) -> DocumentNode | GraphQLError:
        try:
            return parse(query, max_tokens=self.limits.max_tokens)
        except GraphQLError as error:
            return error

    def _document(self, query: str) -> DocumentNode:
        parsed = self._parse(query)
        assert isinstance(parsed, DocumentNode)  # errors() asks only of parsed texts
        return parsed

    def _validate_uncached(self, query: str) -> tuple[GraphQLError, ...]:
        return tuple(validate(self.schema, self._document(query), self.rules))

    def _budget_uncached(self, query: str) -> tuple[GraphQLError, ...]:
        return tuple(budget_errors(self._document(query), self.limits))

    def errors(
        self, query: object, variables: object = None, operation_name: object = None
    ) -> list[GraphQLError]:
        """Limit errors, the choice of operation, and text no database stores; other
        faults (syntax, unknown fields) are left to Strawberry."""
        if not isinstance(query, str) or not query:
            return []
        parsed = self._parse(query)
        if isinstance(parsed, GraphQLError):
            if TOKEN_LIMIT_MESSAGE in parsed.message:
                return [GraphQLError(parsed.message, extensions={"code": TOO_COMPLEX})]
            return []
        # Cheap counts first: validation itself is what a hostile document attacks.
        if over_budget := self._budget(query):
            return list(over_budget)
        if unchosen := operation_errors(parsed, operation_name):
            return unchosen
        found = [e for e in self._validate(query) if is_limit_error(e)]
        longest = self.limits.max_string_chars
        if not found and (_unstorable(variables, longest) or self._has_unstorable_literal(query)):
            message = f"{UNSTORABLE}, or one longer than {longest} characters"
            found.append(GraphQLError(message, extensions={"code": "BAD_USER_INPUT"}))
        return found

    def _has_unstorable_literal_uncached(self, query: str) -> bool:
        finder = _UnstorableLiteral(self.limits.max_string_chars)
        visit(self._document(query), finder)
        return finder.found


def operation_errors(document: DocumentNode, operation_name: object) -> list[GraphQLError]:
    """The GraphQL spec's GetOperation: several operations need an operationName, and
    the name must be one of them (Strawberry would run the first operation instead)."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if not operation_name:
        if len(operations) > 1:
            message = (
                "Must provide an operation name (operationName) "
                "if the document contains several operations."
            )
            return [GraphQLError(message, extensions={"code": "BAD_USER_INPUT"})]
        return []
    if not any(o.name is not None and o.name.value == operation_name for o in operations):
        message = f"Unknown operation named '{operation_name}'."
        return [GraphQLError(message, extensions={"code": "BAD_USER_INPUT"})]
    return []


# PostgreSQL text cannot hold NUL, and no driver encodes a lone surrogate: such input
# is refused up front instead of failing in the database mid-transaction.
UNSTORABLE = "a string holds a NUL character or an unpaired surrogate"
_UNSTORABLE_CHAR = re.compile("[\x00\ud800-\udfff]")


def _unstorable(value: object, longest: int, depth: int = 0) -> bool:
    """Whether a string in `value` holds NUL, a lone surrogate, or is over `longest`."""
    if isinstance(value, str):
        return len(value) > longest or _UNSTORABLE_CHAR.search(value) is not None
    if depth > 32:
        return False  # JSON nesting that deep is refused by the variables' types anyway
    if isinstance(value, dict):
        return any(
            _unstorable(k, longest, depth + 1) or _unstorable(v, longest, depth + 1)
            for k, v in value.items()
        )
    if isinstance(value, list):
        return any(_unstorable(v, longest, depth + 1) for v in value)
    return False


class _UnstorableLiteral(Visitor):
    def __init__(self, longest: int) -> None:
        super().__init__()
        self.longest = longest
        self.found = False

    def enter_string_value(self, node: StringValueNode, *_args: Any) -> None:
        self.found = self.found or _unstorable(node.value, self.longest)
