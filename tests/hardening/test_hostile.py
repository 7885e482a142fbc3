"""Hostile requests: each gets the right code, never a 5xx, and the server keeps
answering normal queries afterwards."""

from __future__ import annotations

import json

import pytest
from hostile import assert_graphql_answer, attack_operations, post_ascii
from support import Api

ATTACKS = [
    "' OR 1=1 --",
    '"; drop table customer; --',
    "_",
    "%",
    "\\",
    "allow(",
    "a\x00b",
    "\ud800",
    "",
    " ",
    "Åke Öberg-Ääkkönen",
    "ǅ\u0301\u200d👩‍👩‍👧",
    "\u202eevil",
    "x" * 10_000,
]


async def still_answers(api: Api) -> None:
    assert await api.data("{ me { id } }", user="u1") == {"me": {"id": "u1"}}


@pytest.mark.parametrize("attack", ATTACKS, ids=lambda a: repr(a[:20]))
@pytest.mark.parametrize("user", ["u1", "u10"])
async def test_metacharacters_in_every_string_argument(
    example_api: Api, attack: str, user: str
) -> None:
    for _name, document, variables in attack_operations(attack):
        response = await post_ascii(
            example_api.client, example_api.token(user), document, variables
        )
        body = assert_graphql_answer(response)
        if "\x00" in attack or "\ud800" in attack:
            assert [e["extensions"]["code"] for e in body["errors"]] == ["BAD_USER_INPUT"]
    await still_answers(example_api)


async def test_metacharacters_do_not_widen_a_search(example_api: Api) -> None:
    for attack in ("%", "_", "' OR 1=1 --", "\\"):
        data = await example_api.data(
            "query($n: String) { customers(name: $n) { totalCount } }", {"n": attack}, user="u10"
        )
        assert data["customers"]["totalCount"] == 0, attack


async def test_unicode_names_are_found(example_api: Api) -> None:
    data = await example_api.data('{ customer(id: "c1") { firstName } }', user="u10")
    name = data["customer"]["firstName"]
    for variant in (name, name.upper(), name.lower()):
        found = await example_api.data(
            "query($n: String) { customers(name: $n) { edges { node { id } } } }",
            {"n": variant},
            user="u10",
        )
        assert "c1" in [e["node"]["id"] for e in found["customers"]["edges"]]


async def test_a_literal_nul_in_the_query_text_is_bad_input(example_api: Api) -> None:
    body = assert_graphql_answer(
        await example_api.post('{ customers(name: "a\\u0000b") { totalCount } }', user="u10")
    )
    assert [e["extensions"]["code"] for e in body["errors"]] == ["BAD_USER_INPUT"]


async def test_a_1mb_search_string(example_api: Api) -> None:
    query = "query($n: String) { customers(name: $n) { totalCount } }"
    # Under the body limit: BAD_USER_INPUT (strings are capped); over it: 413.
    under = await example_api.post(query, {"n": "a" * 990_000}, user="u10")
    assert [e["extensions"]["code"] for e in assert_graphql_answer(under)["errors"]] == [
        "BAD_USER_INPUT"
    ]
    literal = '{ customers(name: "%s") { totalCount } }' % ("b" * 990_000)
    body = assert_graphql_answer(await example_api.post(literal, user="u10"))
    assert [e["extensions"]["code"] for e in body["errors"]] == ["BAD_USER_INPUT"]
    over = await example_api.post(query, {"n": "a" * 1_000_000}, user="u10")
    assert over.status_code == 413
    assert [e["extensions"]["code"] for e in over.json()["errors"]] == ["BAD_USER_INPUT"]
    await still_answers(example_api)


BAD_VALUES = [
    ('{ customer(id: "c1") { events(from: "2026-02-30") { id } } }', "BAD_USER_INPUT"),
    ('{ customer(id: "c1") { events(from: "26-1-1") { id } } }', "BAD_USER_INPUT"),
    ('{ customer(id: "c1") { events(to: 20260101) { id } } }', "BAD_USER_INPUT"),
    (
        '{ settlementReport(organizerId: "o1", settlementDate: "2026-13-01") { total } }',
        "BAD_USER_INPUT",
    ),
    ("{ customers(first: 1000000) { totalCount } }", "BAD_USER_INPUT"),
    ("{ customers(first: 0) { totalCount } }", "BAD_USER_INPUT"),
    ("{ customers(first: 99999999999) { totalCount } }", "BAD_USER_INPUT"),
    ('{ customers(after: "not a cursor") { totalCount } }', "BAD_USER_INPUT"),
    ('{ customers(ssn: "131052-308X") { totalCount } }', "BAD_USER_INPUT"),
    ("{ nosuchfield }", "BAD_USER_INPUT"),
    ("{ me { id ", "BAD_USER_INPUT"),
]


@pytest.mark.parametrize(("query", "code"), BAD_VALUES)
async def test_invalid_values_are_bad_input(example_api: Api, query: str, code: str) -> None:
    body = assert_graphql_answer(await example_api.post(query, user="u10"))
    assert code in {e["extensions"]["code"] for e in body["errors"]}


DECIMALS = ["abc", "1e400", "NaN", "Infinity", "-0", "1.005", "1" * 400, "", "1,5", "0x10"]


@pytest.mark.parametrize("units", DECIMALS)
async def test_malformed_decimals_are_refused(example_api: Api, units: str) -> None:
    mutation = """mutation($u: Decimal!) { recordEvent(input: {purchasingPowerId: "pp1",
      contentId: "k1", serviceDate: "2026-11-02", units: $u, unitPrice: "10.00"}) { id } }"""
    body = assert_graphql_answer(await example_api.post(mutation, {"u": units}, user="u1"))
    assert body.get("errors"), body


async def test_variables_of_the_wrong_shape(example_api: Api) -> None:
    query = "query($n: String) { customers(name: $n) { totalCount } }"
    for value in ([1, 2], {"a": 1}, 12, True):
        body = assert_graphql_answer(await example_api.post(query, {"n": value}, user="u10"))
        assert [e["extensions"]["code"] for e in body["errors"]] == ["BAD_USER_INPUT"]
    raw = await example_api.client.post(
        "/graphql",
        content=json.dumps({"query": query, "variables": {"n": "a" * 10}}).encode(),
        headers={
            "Authorization": f"Bearer {example_api.token('u10')}",
            "Content-Type": "application/json",
        },
    )
    assert_graphql_answer(raw)
