"""No document holds a worker for long: the cheap counts (fields, selections, same-named
fields, definitions, depth) are checked before graphql-core validates the document,
whose overlapping-fields rule is quadratic."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from graphql import parse
from hostile import assert_graphql_answer
from support import Api

from voucher_graph.schema.budget import budget_errors
from voucher_graph.settings import Limits

# The module, not the function `graphql.validation.validate` that shadows its name.
graphql_validate = importlib.import_module("graphql.validation.validate")

# ~12 KB: 1,200 times `me { id }` (4,800 tokens, under the token limit).
REPEATED_ME = "{ " + "me { id } " * 1200 + "}"


@pytest.fixture
def validations(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every graphql-core validation started from now on (each builds one context)."""
    started: list[object] = []
    real = graphql_validate.ValidationContext

    def spy(*args: Any, **kwargs: Any) -> Any:
        started.append(args[1])  # the document
        return real(*args, **kwargs)

    monkeypatch.setattr(graphql_validate, "ValidationContext", spy)
    return started


async def test_1200_repeated_fields_are_refused_before_validation_runs(
    example_api: Api, validations: list[object]
) -> None:
    assert 11_000 < len(REPEATED_ME) < 13_000
    example_api.counter.reset()
    body = assert_graphql_answer(await example_api.post(REPEATED_ME, user="u1"))
    assert body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["QUERY_TOO_COMPLEX"]
    assert validations == []  # graphql-core never started validating it
    assert example_api.counter.count == 0
    # The spy does see validation of an ordinary document: the assertion above can fail.
    assert await example_api.data("{ me { id } }", user="u1") == {"me": {"id": "u1"}}
    assert validations


def repeated(count: int, selection: str = "me { id }") -> str:
    return "{ " + " ".join([selection] * count) + " }"


def fragments(count: int) -> str:
    spreads = " ".join(f"...F{i}" for i in range(count))
    definitions = " ".join(f"fragment F{i} on User {{ f{i}: id }}" for i in range(count))
    return f"{{ me {{ {spreads} }} }} {definitions}"


def doubling(levels: int) -> str:
    """Fragments that each spread the next one twice: 2^levels fields from a few lines."""
    chain = " ".join(f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels))
    return f"{{ ...F0 }} {chain} fragment F{levels} on Query {{ me {{ id }} }}"


OVER = [
    pytest.param(repeated(6), "fields named 'me'", id="6 same-named fields"),
    pytest.param(repeated(3, "me { id id }"), "fields named 'id'", id="merged sub-selections"),
    pytest.param(
        "{ " + " ".join(f"a{i}: me {{ id name role }}" for i in range(130)) + " }",
        "more than 500 fields",
        id="520 fields",
    ),
    pytest.param(fragments(60), "more than 50 definitions", id="61 definitions"),
    pytest.param(doubling(40), "fields named 'me'", id="fragments doubling 40 times"),
    pytest.param("{ " + "me { " * 14 + "id" + " }" * 14 + " }", "deeper than 12", id="depth 14"),
]


@pytest.mark.parametrize(("query", "reason"), OVER)
def test_documents_over_a_count_are_refused(query: str, reason: str) -> None:
    [error] = budget_errors(parse(query, max_tokens=100_000), Limits())
    assert error.extensions == {"code": "QUERY_TOO_COMPLEX"}
    assert reason in error.message


UNDER = [
    pytest.param(repeated(5), id="5 same-named fields"),
    pytest.param(fragments(20), id="20 fragments spread once"),
    pytest.param("{ ...F ...F } fragment F on Query { me { id } }", id="a fragment spread twice"),
    pytest.param(
        "{ ...A } fragment A on Query { ...B } fragment B on Query { ...A me { id } }",
        id="a fragment cycle (validation reports it)",
    ),
    pytest.param("{ " + "me { " * 12 + "id" + " }" * 12 + " }", id="depth 12"),
]


@pytest.mark.parametrize("query", UNDER)
def test_documents_within_the_counts_pass(query: str) -> None:
    assert budget_errors(parse(query), Limits()) == []


def test_the_counts_are_settings() -> None:
    limits = Limits(max_fields=3, max_same_name=1, max_definitions=1, max_selections=2)
    assert budget_errors(parse("{ me { id } }"), limits) == []
    assert budget_errors(parse("{ me { id name role } }"), limits)  # 4 fields, 4 selections
    assert budget_errors(parse("{ me { id id } }"), limits)
    assert budget_errors(parse("query A { me { id } } query B { me { id } }"), limits)


async def test_refused_documents_leave_the_server_answering(example_api: Api) -> None:
    for query, _reason in ((p.values[0], p.values[1]) for p in OVER):
        body = assert_graphql_answer(await example_api.post(str(query), user="u10"))
        assert body["data"] is None
        assert {e["extensions"]["code"] for e in body["errors"]} == {"QUERY_TOO_COMPLEX"}
    assert await example_api.data("{ me { id } }", user="u10") == {"me": {"id": "u10"}}
