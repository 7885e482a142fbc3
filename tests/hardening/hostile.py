"""Helpers for hostile-request tests: what a valid GraphQL answer looks like, and
operations that put one value into every string argument of the schema."""

from __future__ import annotations

import json
from typing import Any

import httpx
from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    get_named_type,
)

from voucher_graph.schema.build import build_schema

CODES = {
    "UNAUTHENTICATED",
    "FORBIDDEN",
    "NOT_FOUND",
    "BAD_USER_INPUT",
    "SETTLEMENT_CLOSED",
    "INVALID_STATE",
    "NO_RESERVATION",
    "QUERY_TOO_COMPLEX",
}
SCHEMA = build_schema()._schema
# Valid-looking values for arguments that are not under attack.
PLAIN = {"Date": "2026-01-05", "Decimal": "1.00", "Int": 10, "Boolean": False, "Float": 1.0}


def assert_graphql_answer(response: httpx.Response) -> dict[str, Any]:
    """Not a 5xx; a JSON body of {data} and/or {errors: [{message, extensions.code}]},
    with contract codes only, and nothing that looks like SQL or a stack trace."""
    assert response.status_code < 500, response.text[:500]
    body = response.json()
    assert isinstance(body, dict) and ("data" in body or "errors" in body), body
    assert set(body) <= {"data", "errors", "extensions"}, body.keys()
    for error in body.get("errors") or []:
        assert isinstance(error["message"], str)
        assert error["extensions"]["code"] in CODES, error
    text = response.text
    for leak in ("Traceback", "SELECT ", "sqlalchemy", "asyncpg", "sqlite3", 'File "'):
        assert leak not in text, text[:500]
    return body


def _value(type_: Any, attack: str) -> Any:
    """A value of `type_` with `attack` in every String and ID position."""
    nullable = type_.of_type if isinstance(type_, GraphQLNonNull) else type_
    if isinstance(nullable, GraphQLList):
        return [_value(nullable.of_type, attack)]
    if isinstance(nullable, GraphQLEnumType):
        return next(iter(nullable.values))
    if isinstance(nullable, GraphQLInputObjectType):
        return {name: _value(f.type, attack) for name, f in nullable.fields.items()}
    assert isinstance(nullable, GraphQLScalarType)
    if nullable.name in ("String", "ID"):
        return attack
    return PLAIN[nullable.name]


def _selection(field: GraphQLField) -> str:
    named = get_named_type(field.type)
    return (
        " { __typename }"
        if isinstance(named, GraphQLObjectType) or hasattr(named, "resolve_type")
        else ""
    )


def attack_operations(attack: str) -> list[tuple[str, str, dict[str, Any]]]:
    """(name, document, variables) for every root field with a String or ID argument."""
    operations = []
    roots = [("query", SCHEMA.query_type), ("mutation", SCHEMA.mutation_type)]
    for kind, root in roots:
        if root is None:
            continue
        for name, field in root.fields.items():
            if not field.args:
                continue
            declared = ", ".join(f"${a}: {arg.type}" for a, arg in field.args.items())
            passed = ", ".join(f"{a}: ${a}" for a in field.args)
            document = f"{kind}({declared}) {{ {name}({passed}){_selection(field)} }}"
            variables = {a: _value(arg.type, attack) for a, arg in field.args.items()}
            operations.append((name, document, variables))
    return operations


async def post_ascii(
    client: httpx.AsyncClient, token: str | None, document: str, variables: dict[str, Any]
) -> httpx.Response:
    """POST with ASCII-escaped JSON: lone surrogates and NULs travel as \\u escapes."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    body = json.dumps({"query": document, "variables": variables}, ensure_ascii=True)
    return await client.post("/graphql", content=body.encode("ascii"), headers=headers)
