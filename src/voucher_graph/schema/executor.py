"""Breadth-first batched execution of read operations, beside graphql-core's executor.

graphql-core resolves a response field by field: for a page of 500 customers with
every nested list that is about 50,000 resolver calls, each wrapped by Strawberry and
awaited on its own (about 70 µs a field here). This executor walks the validated
document level by level instead: every field of a level is resolved for all the
objects of that level at once, so a nested list costs one batched load per level and
a plain field one attribute read per object, with no coroutine per field.

It keeps GraphQL's semantics where they show: response keys in document order, leaf
values serialized by their schema types, errors located at their paths (a REPORTER's
identity fields are null with FORBIDDEN), and null propagation to the nearest
nullable parent. Documents it does not plan (mutations, introspection, abstract
types, a field with no batched resolver) run on graphql-core's executor unchanged,
so the two always answer alike: tests/model/test_executor_differential.py compares them
on random documents over random worlds.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import weakref
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import repeat
from operator import attrgetter
from types import GeneratorType
from typing import Any, TypeVar

from graphql import (
    BREAK,
    DirectiveNode,
    FieldNode,
    FragmentSpreadNode,
    GraphQLBoolean,
    GraphQLEnumType,
    GraphQLError,
    GraphQLID,
    GraphQLIncludeDirective,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    GraphQLSkipDirective,
    GraphQLString,
    InlineFragmentNode,
    OperationType,
    SelectionSetNode,
    VariableNode,
    Visitor,
    get_named_type,
    is_leaf_type,
    is_object_type,
    type_from_ast,
    visit,
)
from graphql.execution import ExecutionResult
from graphql.execution.values import get_argument_values, get_directive_values
from strawberry.relay.types import GlobalID
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types.arguments import convert_arguments
from strawberry.types.base import StrawberryMaybe, StrawberryOptional
from strawberry.types.fields.resolver import StrawberryResolver

from ..domain.errors import DomainError
from .context import Context

F = TypeVar("F", bound=Callable[..., Any])

DEFINITION = "strawberry-definition"  # Strawberry's back-reference in GraphQL extensions

# Resolves one field for every object of a level: (context, objects, arguments) -> one
# value per object, or an awaitable of them. A value may be an Exception: that object's
# field is then null with the error at its path.
LevelResolver = Callable[[Context, Sequence[Any], Mapping[str, Any]], Any]


@dataclass(frozen=True)
class BatchedField:
    """How an async field of a type is resolved for a whole level at once."""

    resolve: Callable[..., Any]  # a LevelResolver, taking `selected` too if `selection`
    # Whether `resolve` takes `selected`: the names of the fields selected on its
    # objects (e.g. events read their vouchers only when an amount is selected).
    selection: bool = False
    # Whether `resolve` takes `children`: field name -> the arguments of each selection
    # of that field on its objects, to read a nested list with the objects themselves.
    # Deeper selections are in it too, by their dotted path ("edges.node.customerNumber").
    lookahead: bool = False


# Runs before the fields of a level of the named type: e.g. derive every event's
# status and amounts in one pass.
LevelPreparer = Callable[[Context, Sequence[Any]], Awaitable[None]]

# Told, before a level's loads start, what the level selects (field name, and the
# dotted path of each deeper selection, -> this request's arguments of each selection):
# may plan one load that serves several of those fields (a customer's reservations and
# events in one statement), or start one that a deeper level will need (the vouchers'
# rows), returned so that the level cancels it should no field await it.
LevelAhead = Callable[
    [Context, Sequence[Any], Mapping[str, list[Mapping[str, Any]]]], "asyncio.Future[Any] | None"
]


@dataclass(frozen=True)
class Registry:
    """The batched resolvers of the async fields, by (type name, field name)."""

    fields: Mapping[tuple[str, str], BatchedField]
    prepare: Mapping[str, LevelPreparer] = field(default_factory=dict)
    ahead: Mapping[str, LevelAhead] = field(default_factory=dict)


# Operations run by each executor in this process ("batched", "graphql-core"): for
# metrics, and for the tests that must know the batched path really ran.
EXECUTIONS: Counter[str] = Counter()


class _Propagate:
    """A null that must propagate to the nearest nullable parent (its error is reported)."""

    __repr__ = lambda self: "PROPAGATE"  # noqa: E731


PROPAGATE: Any = _Propagate()


class LevelInfo:
    """The `info` a resolver gets on this path: it may read only the context."""

    __slots__ = ("context",)

    def __init__(self, context: Context) -> None:
        self.context = context


@dataclass
class FieldPlan:
    key: str
    name: str
    parent_type: GraphQLObjectType
    nodes: list[FieldNode]
    return_type: GraphQLOutputType
    resolve: LevelResolver
    args: Mapping[str, Any]
    children: list[FieldPlan] | None  # object fields: the plan of the object's selection
    child_type: GraphQLObjectType | None
    # Whether `resolve` is a registered async BatchedField: a load whose statement may
    # be sent ahead while the level's earlier fields complete (_Run.level).
    loads: bool = False
    # Whether `resolve` takes `children` (BatchedField.lookahead), given when called.
    lookahead: bool = False
    # Set when the arguments use variables: makes `args` for each request's variables
    # (a plan is kept per document and reused, see _Templates).
    bind: Callable[[Any], Mapping[str, Any]] | None = None  # (VariableValues) -> args


class _NotPlanned(Exception):
    """The document needs graphql-core's executor (see the module docstring)."""


# -- planning -------------------------------------------------------------------------


def plain_arguments(
    definition: Any, strawberry_field: Any, config: Any
) -> tuple[tuple[str, str], ...] | None:
    """(GraphQL name, Python name) of each argument, when all are of scalar types
    (ID, String, Int, Date...), whose values Strawberry's convert_arguments returns
    as they are, only renamed; else None. Converting was about 3 % of a small
    query (`customer(id: $id)`), bound afresh per request."""
    pairs = []
    for argument in strawberry_field.arguments:
        name = config.name_converter.from_argument(argument)
        graphql_argument = definition.args.get(name)
        if graphql_argument is None:
            return None
        graphql_type = graphql_argument.type
        if isinstance(graphql_type, GraphQLNonNull):
            graphql_type = graphql_type.of_type
        python_type = argument.type
        if isinstance(python_type, StrawberryMaybe):
            return None  # wrapped in Some()
        if isinstance(python_type, StrawberryOptional):
            python_type = python_type.of_type
        if not isinstance(graphql_type, GraphQLScalarType) or python_type is GlobalID:
            return None
        pairs.append((name, argument.python_name))
    return tuple(pairs)


class _Planner:
    def __init__(self, executor: StrawberryGraphQLCoreExecutionContext, registry: Registry) -> None:
        self.schema = executor.schema
        self.fragments = executor.fragment_definitions
        self.variables = executor.variable_values
        self.registry = registry
        strawberry_schema = self.schema._strawberry_schema  # type: ignore[attr-defined]
        self.scalar_registry = strawberry_schema.schema_converter.scalar_registry
        self.config = strawberry_schema.config

    def plan(
        self, object_type: GraphQLObjectType, selection_sets: Sequence[SelectionSetNode]
    ) -> list[FieldPlan]:
        groups: dict[str, list[FieldNode]] = {}
        for selection_set in selection_sets:
            self._collect(object_type, selection_set, groups, set())
        return [self._field(object_type, key, nodes) for key, nodes in groups.items()]

    def _include(self, node: Any) -> bool:
        for directive in node.directives or ():
            if directive.name.value not in ("skip", "include"):
                raise _NotPlanned(f"directive @{directive.name.value}")
        skip = get_directive_values(GraphQLSkipDirective, node, self.variables)
        if skip and skip["if"]:
            return False
        include = get_directive_values(GraphQLIncludeDirective, node, self.variables)
        return not (include and not include["if"])

    def _matches(self, object_type: GraphQLObjectType, fragment: Any) -> bool:
        if fragment.type_condition is None:
            return True
        condition = type_from_ast(self.schema, fragment.type_condition)
        if condition is object_type:
            return True
        return bool(
            condition is not None
            and not is_object_type(condition)
            and self.schema.is_sub_type(condition, object_type)
        )

    def _collect(
        self,
        object_type: GraphQLObjectType,
        selection_set: SelectionSetNode,
        groups: dict[str, list[FieldNode]],
        visited: set[str],
    ) -> None:
        for selection in selection_set.selections:
            if not self._include(selection):
                continue
            if isinstance(selection, FieldNode):
                key = selection.alias.value if selection.alias else selection.name.value
                groups.setdefault(key, []).append(selection)
            elif isinstance(selection, InlineFragmentNode):
                if self._matches(object_type, selection):
                    self._collect(object_type, selection.selection_set, groups, visited)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if name in visited or fragment is None:
                    continue
                visited.add(name)
                if fragment.variable_definitions:
                    raise _NotPlanned("fragment variables")
                if self._matches(object_type, fragment):
                    self._collect(object_type, fragment.selection_set, groups, visited)

    def _field(self, parent: GraphQLObjectType, key: str, nodes: list[FieldNode]) -> FieldPlan:
        name = nodes[0].name.value
        if name == "__typename":
            typename = parent.name
            return FieldPlan(
                key, name, parent, nodes, GraphQLNonNull(GraphQLString),
                lambda _c, objects, _a: [typename] * len(objects), {}, None, None,
            )  # fmt: skip
        if name.startswith("__"):
            raise _NotPlanned("introspection")
        definition = parent.fields.get(name)
        if definition is None:
            raise _NotPlanned(f"unknown field {name}")
        named = get_named_type(definition.type)
        children: list[FieldPlan] | None = None
        child_type: GraphQLObjectType | None = None
        if is_object_type(named):
            child_type = named
            sets = [n.selection_set for n in nodes if n.selection_set is not None]
            children = self.plan(child_type, sets)
        elif not is_leaf_type(named):
            raise _NotPlanned(f"abstract type {named}")
        strawberry_field = (definition.extensions or {}).get(DEFINITION)
        if strawberry_field is None:
            raise _NotPlanned(f"{parent.name}.{name} is not a Strawberry field")

        plain = plain_arguments(definition, strawberry_field, self.config)

        def bind(variables: Any) -> Mapping[str, Any]:
            values = get_argument_values(definition, nodes[0], variables)
            if plain is not None:
                return {python: values[name] for name, python in plain if name in values}
            return convert_arguments(
                values,
                strawberry_field.arguments,
                scalar_registry=self.scalar_registry,
                config=self.config,
                info=None,
            )

        args = bind(self.variables)
        resolve = self._resolver(parent, name, strawberry_field, children or [])
        batched = self.registry.fields.get((parent.name, name))
        return FieldPlan(
            key, name, parent, nodes, definition.type, resolve, args, children, child_type,
            loads=batched is not None and inspect.iscoroutinefunction(batched.resolve),
            lookahead=batched is not None and batched.lookahead,
            bind=bind if _uses_variables(nodes[0]) else None,
        )  # fmt: skip

    def _resolver(
        self,
        parent: GraphQLObjectType,
        name: str,
        strawberry_field: Any,
        children: list[FieldPlan],
    ) -> LevelResolver:
        batched = self.registry.fields.get((parent.name, name))
        if batched is not None:
            # `children` (lookahead) is given by _Run at each call, with this request's
            # arguments; `selected` holds names only, the same for every request.
            if batched.selection:
                selected = frozenset(child.name for child in children)
                return functools.partial(batched.resolve, selected=selected)
            return batched.resolve
        resolver: StrawberryResolver[Any] | None = strawberry_field.base_resolver
        if resolver is None:
            getter = attrgetter(strawberry_field.python_name)
            return lambda _c, objects, _a: list(map(getter, objects))
        attribute = getattr(resolver.wrapped_func, "row_attribute", None)
        if attribute is not None and not strawberry_field.arguments:
            getter = attrgetter(f"row.{attribute}")
            return lambda _c, objects, _a: list(map(getter, objects))
        is_root = parent is self.schema.query_type
        if resolver.is_async and not is_root:
            raise _NotPlanned(f"{parent.name}.{name} has no batched resolver")
        return _call_per_object(resolver)


def reads_row(attribute: str) -> Callable[[F], F]:
    """Mark a resolver whose answer is exactly `self.row.<attribute>` (an ID is its
    str): the batched executor then reads the level with one C attrgetter instead of
    a call per object (tests/api/test_reads_row.py holds every mark to its body)."""

    def mark(function: F) -> F:
        function.row_attribute = attribute  # type: ignore[attr-defined]
        return function

    return mark


_AWAITABLE_TYPES: dict[type, bool] = {}

# Leaf types whose serialization of a value of exactly this Python type is the value.
_SERIALIZED_AS: dict[GraphQLScalarType, type] = {
    GraphQLString: str,
    GraphQLID: str,
    GraphQLBoolean: bool,
}


def _is_awaitable(value: Any) -> bool:
    # inspect.isawaitable, answered per type from a memo for the types that never are
    # (str, Decimal, date, our objects...): this runs for every value a resolver returns.
    kind = type(value)
    known = _AWAITABLE_TYPES.get(kind)
    if known is None:
        # Generators may be awaitable case by case; anything else is by its type.
        if isinstance(value, GeneratorType):
            return inspect.isawaitable(value)
        known = _AWAITABLE_TYPES[kind] = inspect.isawaitable(value)
    return known


def _call_per_object(resolver: StrawberryResolver[Any]) -> LevelResolver:
    """A sync resolver (or a root field's resolver) called once per object."""
    function: Callable[..., Any] = resolver.wrapped_func  # type: ignore[assignment]
    info_parameter = resolver.info_parameter
    info_name = info_parameter.name if info_parameter is not None else None
    takes_self = resolver.self_parameter is not None or resolver.root_parameter is not None

    def resolve(context: Context, objects: Sequence[Any], args: Mapping[str, Any]) -> Any:
        kwargs = dict(args)
        if info_name is not None:
            kwargs[info_name] = LevelInfo(context)
        values: list[Any] = []
        pending: list[int] = []
        for obj in objects:
            try:
                value = function(obj, **kwargs) if takes_self else function(**kwargs)
            except DomainError as error:
                # An expected refusal (a REPORTER's identity fields: FORBIDDEN on every
                # row), reported by its message alone (schema/errors.py). Kept with its
                # traceback it would tie this frame, and the request's context, into a
                # cycle for the garbage collector: dropped, they are freed at once.
                value = error.with_traceback(None)
            except Exception as error:  # noqa: BLE001 - becomes the field's located error
                value = error
            if _is_awaitable(value):
                pending.append(len(values))
            values.append(value)
        if not pending:
            return values

        async def settle() -> list[Any]:
            for index in pending:
                try:
                    values[index] = await values[index]
                except Exception as error:  # noqa: BLE001
                    values[index] = error
            return values

        return settle()

    return resolve


_NoneType = type(None)

# A level's result dicts, by the number of its fields: a generated comprehension with a
# dict display, `[{k0: v0, k1: v1} for v0, v1 in zip(c0, c1)]`, builds them about
# twice as fast as `dict(zip(keys, row))` per object (a page of 500 builds some
# 10,000). The keys are the builder's arguments, never part of its text, so one builder
# serves every level of that many fields.
_DICT_BUILDERS: dict[int, Callable[[Sequence[str], Sequence[Sequence[Any]]], list[Any]]] = {}
_MOST_GENERATED_FIELDS = 64


def _dicts(keys: Sequence[str], columns: Sequence[Sequence[Any]]) -> list[Any]:
    """One dict per object: `keys[i]` -> `columns[i][object]`."""
    count = len(keys)
    if count > _MOST_GENERATED_FIELDS:
        return list(map(dict, map(zip, repeat(keys), zip(*columns, strict=True))))
    build = _DICT_BUILDERS.get(count)
    if build is None:
        build = _DICT_BUILDERS[count] = _dict_builder(count)
    return build(keys, columns)


def _dict_builder(count: int) -> Callable[[Sequence[str], Sequence[Sequence[Any]]], list[Any]]:
    names = [f"k{i}" for i in range(count)]
    values = [f"v{i}" for i in range(count)]
    pairs = ", ".join(f"{k}: {v}" for k, v in zip(names, values, strict=True))
    source = (
        "def build(keys, columns):\n"
        f"    {', '.join(names)}, = keys\n"
        f"    return [{{{pairs}}} for {', '.join(values)}, in zip(*columns, strict=True)]\n"
    )
    namespace: dict[str, Any] = {}
    exec(source, namespace)  # noqa: S102 - text made of these names only, no input
    return namespace["build"]  # type: ignore[no-any-return]


# Value types seen that are not exceptions: a level's few types are then checked with
# one C subset test, not an issubclass per type (every field of every level asks).
_NOT_ERRORS: set[type] = set()


def _has_errors(kinds: set[type]) -> bool:
    found = False
    for kind in kinds:
        if issubclass(kind, Exception):
            found = True
        else:
            _NOT_ERRORS.add(kind)
    return found


def _has_propagate(values: list[Any]) -> bool:
    # Identity only: `PROPAGATE in values` would call each value's __eq__.
    if _Propagate not in set(map(type, values)):
        return False
    return any(value is PROPAGATE for value in values)


# Enum values by the Python value they serialize: a page has thousands of statuses,
# and Strawberry's enum serialization looks each one up afresh.
_ENUM_NAMES: dict[GraphQLEnumType, dict[Any, Any]] = {}


def _serializer(leaf: GraphQLScalarType | GraphQLEnumType) -> Callable[[Any], Any]:
    serialize = leaf.serialize
    if not isinstance(leaf, GraphQLEnumType):
        return serialize
    names = _ENUM_NAMES.setdefault(leaf, {})

    def memoized(value: Any) -> Any:
        try:
            return names[value]
        except KeyError:
            name = names[value] = serialize(value)  # raises for a value not in the enum
            return name

    return memoized


# -- execution ------------------------------------------------------------------------

# A position in the response, as a linked node (parent node, key, ordinal): the key is
# a response key or a list index, the ordinal the field's place in its selection (or
# the index). Nodes are made for objects only; a leaf's path is made when it errs.
Node = tuple[Any, str | int, int] | None
# The node of the i-th value of a field being completed.
Where = Callable[[int], Node]


def _at_root(_index: int) -> Node:
    return None


def _unwind(node: Node) -> tuple[list[str | int], tuple[int, ...]]:
    keys: list[str | int] = []
    ordinals: list[int] = []
    while node is not None:
        node, key, ordinal = node
        keys.append(key)
        ordinals.append(ordinal)
    return keys[::-1], tuple(ordinals[::-1])


@dataclass
class _Errors:
    # (ordinals, error): sorted by ordinals at the end, errors come in the order of the
    # response, as graphql-core's depth-first execution reports them.
    found: list[tuple[tuple[int, ...], GraphQLError]] = field(default_factory=list)

    def add(self, error: Exception, plan: FieldPlan, node: Node) -> None:
        path, ordinals = _unwind(node)
        located = (
            error
            if isinstance(error, GraphQLError) and error.path is not None
            else GraphQLError(
                str(error),
                nodes=plan.nodes,
                path=path,
                original_error=None if isinstance(error, GraphQLError) else error,
            )
        )
        self.found.append((ordinals, located))


class _Run:
    """One execution of a planned operation."""

    def __init__(
        self,
        context: Context,
        registry: Registry,
        errors: _Errors,
        bound: Mapping[int, Mapping[str, Any]],
    ) -> None:
        self.context = context
        self.registry = registry
        self.errors = errors
        # This request's arguments of the plans whose arguments use variables, by id.
        self.bound = bound

    def args(self, plan: FieldPlan) -> Mapping[str, Any]:
        return self.bound.get(id(plan), plan.args)

    def resolve(self, plan: FieldPlan, objects: Sequence[Any]) -> Any:
        if plan.lookahead:
            children: dict[str, list[Mapping[str, Any]]] = {}
            self._selections(plan.children or (), "", children)
            resolve: Any = plan.resolve  # a BatchedField with lookahead: takes `children`
            return resolve(self.context, objects, self.args(plan), children=children)
        return plan.resolve(self.context, objects, self.args(plan))

    def _selections(
        self, plans: Sequence[FieldPlan], prefix: str, into: dict[str, list[Mapping[str, Any]]]
    ) -> None:
        """Every selection below a lookahead field, by dotted path, with this request's
        arguments (the names of a CustomerConnection's `edges.node` fields, say)."""
        for child in plans:
            path = prefix + child.name
            into.setdefault(path, []).append(self.args(child))
            if child.children:
                self._selections(child.children, path + ".", into)

    async def level(
        self,
        plans: list[FieldPlan],
        object_type: GraphQLObjectType,
        objects: Sequence[Any],
        where_object: Where,
    ) -> list[Any]:
        """The result dicts of `objects` (PROPAGATE where a non-null field was null).

        `where_object(i)` is the i-th object's position; positions are made only when
        an error needs one, not for each of a page's thousands of objects."""
        prepare = self.registry.prepare.get(object_type.name)
        if prepare is not None and objects:
            await prepare(self.context, objects)
        told = self.registry.ahead.get(object_type.name)
        started: asyncio.Future[Any] | None = None
        if told is not None and objects:
            selected: dict[str, list[Mapping[str, Any]]] = {}
            for plan in plans:
                selected.setdefault(plan.name, []).append(self.args(plan))
                if plan.children:
                    self._selections(plan.children, plan.name + ".", selected)
            started = told(self.context, objects, selected)
        ahead = self._loads_ahead(plans, objects)
        columns: list[list[Any]] = []
        propagated = False
        try:
            for position, plan in enumerate(plans):
                values: Any = ahead.pop(position, None) or self.resolve(plan, objects)
                if _is_awaitable(values):
                    try:
                        values = await values
                    except Exception as error:  # noqa: BLE001 - the whole level's field fails
                        values = [error] * len(objects)
                key = plan.key

                def where(index: int, key: str = key, position: int = position) -> Node:
                    return (where_object(index), key, position)

                completed = await self.complete(plan, plan.return_type, values, where)
                if len(completed) != len(objects):
                    raise ValueError(
                        f"{plan.key} resolved {len(completed)} values for {len(objects)}"
                    )
                # Only a non-null field passes a null up (a nullable one absorbed it).
                if not propagated and isinstance(plan.return_type, GraphQLNonNull):
                    propagated = _has_propagate(completed)
                columns.append(completed)
        finally:
            for task in ahead.values():  # only when the level failed half-way
                task.cancel()
            if started is not None and not started.done():
                started.cancel()  # a read ahead that no field of the level awaited
        # The objects' dicts built column by column (C loops, not one store per field).
        if not columns:
            return [{} for _ in objects]
        # Every column has one value per object (checked above).
        results: list[Any] = _dicts([plan.key for plan in plans], columns)
        if propagated:
            return [
                PROPAGATE if any(v is PROPAGATE for v in result.values()) else result
                for result in results
            ]
        return results

    def _loads_ahead(
        self, plans: list[FieldPlan], objects: Sequence[Any]
    ) -> dict[int, asyncio.Task[Any]]:
        """Start every load of the level at once, as tasks, when it has two or more.

        The statements still run one at a time on the request's connection (the
        session's lock, taken in this order), but the second is sent as soon as the
        first's rows arrive, while Python completes the first field's subtree: the
        database works while Python does (a page of 500: the customers' reservations
        and events are read while their purchasing powers are built). The loads are
        independent of one another; each is awaited in the field's turn, so values,
        errors and their order are as when resolved one after another."""
        positions = [position for position, plan in enumerate(plans) if plan.loads]
        if len(positions) < 2 or not objects:
            return {}
        return {
            position: asyncio.ensure_future(self.resolve(plans[position], objects))
            for position in positions
        }

    async def complete(
        self, plan: FieldPlan, return_type: GraphQLOutputType, values: Sequence[Any], where: Where
    ) -> list[Any]:
        if isinstance(return_type, GraphQLNonNull):
            # The inner type completes without absorbing: a null propagating from below
            # stays PROPAGATE here, and only a plain null is this field's own error.
            completed = await self._complete_nullable(plan, return_type.of_type, values, where)
            if _NoneType in set(map(type, completed)):  # not `None in`: see _complete_leaves
                for index, value in enumerate(completed):
                    if value is None:
                        parent = plan.parent_type.name
                        message = f"Cannot return null for non-nullable field {parent}.{plan.name}."
                        self.errors.add(GraphQLError(message), plan, where(index))
                        completed[index] = PROPAGATE
            return completed
        completed = await self._complete_nullable(plan, return_type, values, where)
        # A nullable position absorbs a null propagating from below.
        return [None if value is PROPAGATE else value for value in completed]

    async def _complete_nullable(
        self, plan: FieldPlan, return_type: GraphQLOutputType, values: Sequence[Any], where: Where
    ) -> list[Any]:
        kinds = set(map(type, values))
        out: list[Any] = list(values)
        if not kinds <= _NOT_ERRORS and _has_errors(kinds):
            for index, value in enumerate(values):
                if isinstance(value, Exception):
                    self.errors.add(value, plan, where(index))
                    out[index] = PROPAGATE
            kinds = set(map(type, out))
        if isinstance(return_type, GraphQLList):
            return await self._complete_lists(plan, return_type, out, where)
        if is_leaf_type(return_type):
            return self._complete_leaves(plan, return_type, out, kinds, where)
        assert plan.children is not None and plan.child_type is not None
        if _NoneType not in kinds and _Propagate not in kinds:  # every object present
            return await self.level(plan.children, plan.child_type, out, where)
        present = [i for i, value in enumerate(out) if value is not None and value is not PROPAGATE]
        if present:
            dicts = await self.level(
                plan.children,
                plan.child_type,
                [out[i] for i in present],
                lambda index: where(present[index]),
            )
            for index, result in zip(present, dicts, strict=True):
                out[index] = result
        return out

    def _complete_leaves(
        self,
        plan: FieldPlan,
        leaf: GraphQLScalarType | GraphQLEnumType,
        out: list[Any],
        kinds: set[type],
        where: Where,
    ) -> list[Any]:
        # A str for String or ID, a bool for Boolean, serializes to itself.
        already = _SERIALIZED_AS.get(leaf)  # type: ignore[arg-type]
        nulls = _NoneType in kinds
        kinds.discard(_NoneType)
        if not kinds or kinds == {already}:
            return out  # every value is its own serialization (or null)
        serialize = _serializer(leaf)
        if _Propagate not in kinds:
            # Serialized in one C loop when no value is null (`None in out` would
            # compare every value with None: a Decimal asks numbers.Rational, an ABC);
            # the slow loop below only when one fails (to locate its error).
            try:
                if nulls:
                    return [None if value is None else serialize(value) for value in out]
                return list(map(serialize, out))
            except Exception:  # noqa: BLE001, S110 - located one by one below
                pass
        for index, value in enumerate(out):
            if type(value) is already or value is None or value is PROPAGATE:
                continue
            try:
                out[index] = serialize(value)
            except Exception as error:  # noqa: BLE001
                self.errors.add(error, plan, where(index))
                out[index] = PROPAGATE
        return out

    async def _complete_lists(
        self, plan: FieldPlan, list_type: GraphQLList[Any], values: list[Any], where: Where
    ) -> list[Any]:
        # Every item of every list of the level is completed together, then regrouped.
        items: list[Any] = []
        owners: list[int] = []
        positions: list[int] = []
        spans: list[tuple[int, int] | None] = []
        for index, value in enumerate(values):
            if value is None or value is PROPAGATE:
                spans.append(None)
                continue
            start = len(items)
            items.extend(value)
            count = len(items) - start
            owners.extend([index] * count)
            positions.extend(range(count))
            spans.append((start, len(items)))

        def item_where(item: int) -> Node:
            return (where(owners[item]), positions[item], positions[item])

        completed = await self.complete(plan, list_type.of_type, items, item_where)
        out: list[Any] = list(values)
        for index, span in enumerate(spans):
            if span is None:
                continue
            chunk = completed[span[0] : span[1]]
            out[index] = PROPAGATE if PROPAGATE in chunk else chunk
        return out


class BatchedExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """graphql-core's executor, with read operations run breadth-first when planned."""

    registry: Registry  # set by `executor_for`

    def execute_operation(self, serially: bool | None = None) -> Any:
        if isinstance(self.context_value, Context):
            self.context_value.on_release(self._let_go)
        planned = self._plan()
        if planned is None:
            EXECUTIONS["graphql-core"] += 1
            return super().execute_operation(serially)
        EXECUTIONS["batched"] += 1
        return self._execute(*planned)

    def _let_go(self) -> None:
        """Break graphql-core's own reference cycle (its `async_helpers` hold bound
        methods of this object) once the response has been sent, so that this object,
        and the request's context it reaches, are freed at once rather than by the
        garbage collector (`Context.release` says why that matters)."""
        self.__dict__.pop("async_helpers", None)

    def _plan(self) -> tuple[_Template, dict[int, Mapping[str, Any]]] | None:
        """The document's plan and this request's arguments for it, or None when
        graphql-core's executor must run it."""
        context = self.context_value
        operation = self.operation
        if (
            operation.operation is not OperationType.QUERY
            or not isinstance(context, Context)
            or not self.error_propagation
            or self.schema.query_type is None
            # Field middleware (a Strawberry extension's `resolve` hook, e.g. tracing
            # resolver spans) must see every resolver call: graphql-core's executor.
            or getattr(self.middleware_manager, "middlewares", None)
        ):
            return None
        kept, fresh = _TEMPLATES.plan(self)
        if kept is None:
            return None
        # Bound here, not when _execute first runs: another request may take the
        # same kept plan in between.
        return kept, ({} if fresh else kept.bind(self.variable_values))

    async def _execute(
        self, template: _Template, bound: dict[int, Mapping[str, Any]]
    ) -> ExecutionResult:
        errors = _Errors()
        run = _Run(self.context_value, self.registry, errors, bound)
        assert self.schema.query_type is not None
        [data] = await run.level(
            template.plans, self.schema.query_type, [self.root_value], _at_root
        )
        found = sorted(errors.found, key=lambda pair: pair[0])
        return ExecutionResult(
            None if data is PROPAGATE else data, [error for _, error in found] or None
        )


@dataclass
class _Template:
    """A document's plan, kept and reused by every request that sends the document."""

    plans: list[FieldPlan]
    # The plans whose arguments use variables: bound afresh for each request.
    dynamic: list[FieldPlan]

    def bind(self, variables: Any) -> dict[int, Mapping[str, Any]]:
        """A request's arguments for the plans that read variables, by plan id (the
        others keep the arguments they were planned with)."""
        return {id(plan): plan.bind(variables) for plan in self.dynamic if plan.bind}


class _Templates:
    """Plans by document text, operation name and the values of the variables its
    @skip and @include read, per schema: planning a small query's document took
    about a seventh of its CPU, and a frontend sends the same few documents with
    different variables. Arguments that use variables are bound per request
    (FieldPlan.bind); everything else in a plan depends on the document alone."""

    SIZE = 512  # documents; the whole memo is dropped when full (a cheap bound)

    def __init__(self) -> None:
        self.kept: weakref.WeakKeyDictionary[Any, dict[Any, _Template | None]] = (
            weakref.WeakKeyDictionary()
        )
        self.directive_variables: dict[str, tuple[str, ...]] = {}

    def plan(self, executor: BatchedExecutionContext) -> tuple[_Template | None, bool]:
        """The kept plan of the executor's document (None: not planned), and whether
        it was planned just now, with this request's variables."""
        operation = executor.operation
        text = operation.loc.source.body if operation.loc is not None else None
        if text is None:
            return _plan_afresh(executor), True
        names = self.directive_variables.get(text)
        if names is None:
            if len(self.directive_variables) >= self.SIZE:
                self.directive_variables.clear()
            names = self.directive_variables[text] = _directive_variables(executor)
        variables = executor.variable_values
        key = (
            text,
            operation.name.value if operation.name else None,
            tuple(bool(variables.coerced.get(name)) for name in names),
        )
        kept = self.kept.setdefault(executor.schema, {})
        if key in kept:
            return kept[key], False
        if len(kept) >= self.SIZE:
            kept.clear()
        template = kept[key] = _plan_afresh(executor)
        return template, True


def _plan_afresh(executor: BatchedExecutionContext) -> _Template | None:
    assert executor.schema.query_type is not None
    try:
        plans = _Planner(executor, executor.registry).plan(
            executor.schema.query_type, [executor.operation.selection_set]
        )
    except _NotPlanned:
        return None
    dynamic: list[FieldPlan] = []
    pending = list(plans)
    while pending:
        plan = pending.pop()
        if plan.bind is not None:
            dynamic.append(plan)
        pending.extend(plan.children or ())
    return _Template(plans, dynamic)


def _directive_variables(executor: BatchedExecutionContext) -> tuple[str, ...]:
    """The variables any @skip or @include of the operation or its document's
    fragments reads."""
    names: set[str] = set()

    class Collect(Visitor):
        def enter_directive(self, node: DirectiveNode, *_args: Any) -> None:
            if node.name.value in ("skip", "include"):
                for argument in node.arguments or ():
                    if isinstance(argument.value, VariableNode):
                        names.add(argument.value.name.value)

    for definition in (executor.operation, *executor.fragment_definitions.values()):
        visit(definition, Collect())
    return tuple(sorted(names))


def _uses_variables(node: FieldNode) -> bool:
    """Whether the field's arguments read a variable anywhere in their values."""
    found = False

    class Find(Visitor):
        def enter_variable(self, *_args: Any) -> Any:
            nonlocal found
            found = True
            return BREAK

    for argument in node.arguments or ():
        visit(argument, Find())
    return found


_TEMPLATES = _Templates()


def executor_for(registry: Registry) -> type[BatchedExecutionContext]:
    """The execution context class Strawberry should use, bound to `registry`."""
    return type("BoundBatchedExecutionContext", (BatchedExecutionContext,), {"registry": registry})
