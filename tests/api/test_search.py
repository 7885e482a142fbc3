"""Customer search (CONTRACT.md, "Search"): name words, ssn, voucher number, order, paging."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from typing import Any

import pytest
from policies.tiny_worlds import tiny_world
from sqlalchemy.ext.asyncio import AsyncEngine
from support import Api, load_world, make_api

from voucher_graph.data.engine import StatementCounter

# (id, first name, last name); admin1 sees every one of them (rule C).
PEOPLE: list[tuple[str, str, str]] = [
    ("c_anna", "Anna-Liisa", "Korhonen"),
    ("c_ake", "Åke", "Öberg"),
    ("c_aa", "Ääpeli", "Ahonen"),
    ("c_zet", "Zeta", "Zetterberg"),
    ("c_aalto", "Matti", "Aalto"),
    ("c9", "Matti", "Aalto"),
    ("c10", "Matti", "Aalto"),
    ("c_ahtari", "Pekka", "ähtäri"),
    ("c_single", "Anna", "Virtanen"),
    ("c_space", "Maija  Liisa", "Mäki Virta"),
    ("c_pct", "A%B", "Meta"),
    ("c_under", "A_B", "Meta"),
    ("c_slash", "A\\B", "Meta"),
    ("c_plain", "AxB", "Meta"),
    ("c_upper", "BERTTA", "MAJURI"),
]
ORDER = [
    ident for ident, first, last in sorted(PEOPLE, key=lambda p: (p[2].lower(), p[1].lower(), p[0]))
]

SEARCH = """query($name: String, $ssn: String, $voucherNumber: String, $first: Int,
                  $after: String) {
  customers(name: $name, ssn: $ssn, voucherNumber: $voucherNumber, first: $first,
            after: $after) {
    totalCount
    edges { cursor node { id } }
    pageInfo { hasNextPage endCursor }
  }
}"""


class World:
    ssns: dict[str, str] = {}


@pytest.fixture(scope="module")
async def api(engine: AsyncEngine, counter: StatementCounter) -> AsyncIterator[Api]:
    world = tiny_world()
    for ident, first, last in PEOPLE:
        World.ssns[ident] = world.customer(ident, first, last)
        world.regular(f"pp_{ident}", ident, "s1", voucher=f"PS-{ident}")
    # A balance voucher counts for voucherNumber too.
    world.balance("bp_zet", "c_zet", "s1", voucher="SALDO-1")
    await load_world(engine, world.raw)
    api = make_api(engine, counter)
    yield api
    await api.client.aclose()


async def search(api: Api, user: str = "admin1", **variables: Any) -> dict[str, Any]:
    data = await api.data(SEARCH, variables, user=user)
    connection: dict[str, Any] = data["customers"]
    return connection


async def found(api: Api, **variables: Any) -> list[str]:
    connection = await search(api, first=500, **variables)
    ids = [edge["node"]["id"] for edge in connection["edges"]]
    assert connection["totalCount"] == len(ids)
    return ids


async def error_codes(api: Api, **variables: Any) -> list[str]:
    body = await api.query(SEARCH, variables, user="admin1")
    assert body["data"] is None
    return [error["extensions"]["code"] for error in body["errors"]]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("korh", {"c_anna"}),
        ("KORHONEN", {"c_anna"}),
        ("liisa", {"c_anna", "c_space"}),  # hyphen and double space split words
        ("anna-liisa", {"c_anna"}),
        ("liisa anna", {"c_anna"}),  # word order is free
        ("orhonen", set()),  # a prefix, not a substring
        ("anna an", {"c_anna", "c_single"}),  # one name word serves several query words
        ("an anna anttila", set()),
        ("mäki virta", {"c_space"}),
        ("virta", {"c_space", "c_single"}),
        ("åke", {"c_ake"}),
        ("ÖBERG", {"c_ake"}),
        ("ÄÄ", {"c_aa"}),
        ("ähtäri pekka", {"c_ahtari"}),
        ("ahtari", set()),  # no accent folding
        ("bertta majuri", {"c_upper"}),
        ("matti aalto", {"c_aalto", "c9", "c10"}),
        ("matti  \t aa", {"c_aalto", "c9", "c10"}),
        # LIKE metacharacters match themselves.
        ("a%", {"c_pct"}),
        ("a_", {"c_under"}),
        ("a\\", {"c_slash"}),
        ("%", set()),
        ("_", set()),
        ("a%b meta", {"c_pct"}),
    ],
)
async def test_name_matches_when_every_word_prefixes_some_name_word(
    api: Api, name: str, expected: set[str]
) -> None:
    assert set(await found(api, name=name)) == expected


@pytest.mark.parametrize("name", ["", "   ", "-", " - \t"])
async def test_a_name_without_words_is_no_criterion(api: Api, name: str) -> None:
    assert await found(api, name=name) == ORDER


async def test_results_are_ordered_by_code_point_of_lower_cased_names_then_id(api: Api) -> None:
    everyone = await found(api)
    assert everyone == ORDER
    # Byte order, not a locale's: "ähtäri" and "Öberg" come after "Zetterberg", and
    # "c10" before "c9".
    assert everyone.index("c_zet") < everyone.index("c_ahtari") < everyone.index("c_ake")
    assert everyone[:3] == ["c10", "c9", "c_aalto"]


async def test_ssn_matches_exactly_after_trimming_and_upper_casing(api: Api) -> None:
    ident, ssn = next((i, s) for i, s in World.ssns.items() if s[-1].isalpha())
    assert await found(api, ssn=ssn) == [ident]
    assert await found(api, ssn=f"  {ssn.lower()} ") == [ident]


@pytest.mark.parametrize(
    "ssn", ["", "123", "010150-1010X", "310250-1234", "010150*123A", "not a hetu"]
)
async def test_a_malformed_ssn_is_bad_user_input(api: Api, ssn: str) -> None:
    assert await error_codes(api, ssn=ssn) == ["BAD_USER_INPUT"]


async def test_a_wrong_check_character_is_bad_user_input(api: Api) -> None:
    ssn = World.ssns["c_anna"]
    wrong = ssn[:-1] + ("A" if ssn[-1] != "A" else "B")
    assert await error_codes(api, ssn=wrong) == ["BAD_USER_INPUT"]


@pytest.mark.parametrize(
    ("voucher", "expected"),
    [
        ("PS-c_anna", ["c_anna"]),
        ("SALDO-1", ["c_zet"]),
        ("PS-c_ann", []),
        ("ps-c_anna", []),
        ("PS-%", []),
    ],
)
async def test_voucher_number_matches_exactly(api: Api, voucher: str, expected: list[str]) -> None:
    assert await found(api, voucherNumber=voucher) == expected


async def test_criteria_combine_with_and(api: Api) -> None:
    assert await found(api, name="anna", voucherNumber="PS-c_anna") == ["c_anna"]
    assert await found(api, name="anna", voucherNumber="PS-c_zet") == []
    ssn = World.ssns["c_zet"]
    assert await found(api, name="zeta", ssn=ssn, voucherNumber="SALDO-1") == ["c_zet"]
    assert await found(api, name="anna", ssn=ssn) == []


@pytest.mark.parametrize("first", [0, -1, 501, 10_000])
async def test_first_outside_1_to_500_is_bad_user_input(api: Api, first: int) -> None:
    assert await error_codes(api, first=first) == ["BAD_USER_INPUT"]


@pytest.mark.parametrize("first", [1, 500])
async def test_first_at_the_bounds_is_accepted(api: Api, first: int) -> None:
    connection = await search(api, first=first)
    assert len(connection["edges"]) == min(first, len(PEOPLE))
    assert connection["totalCount"] == len(PEOPLE)


@pytest.mark.parametrize(("page_size", "name"), [(1, None), (2, None), (4, None), (2, "meta")])
async def test_walking_the_pages_gives_the_one_big_page(
    api: Api, page_size: int, name: str | None
) -> None:
    whole = await found(api, name=name)
    walked: list[str] = []
    after = None
    while True:
        page = await search(api, name=name, first=page_size, after=after)
        assert page["totalCount"] == len(whole)  # independent of paging
        walked += [edge["node"]["id"] for edge in page["edges"]]
        assert page["pageInfo"]["endCursor"] == (
            page["edges"][-1]["cursor"] if page["edges"] else None
        )
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert walked == whole


async def test_a_page_after_the_last_customer_is_empty(api: Api) -> None:
    last = (await search(api, first=500))["pageInfo"]["endCursor"]
    page = await search(api, first=10, after=last)
    assert page["edges"] == [] and page["pageInfo"] == {"hasNextPage": False, "endCursor": None}
    assert page["totalCount"] == len(PEOPLE)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    "after",
    [
        "garbage!",
        "%%%",
        "",
        _b64(b"[1, 2, 3]"),
        _b64(b'{"a": 1}'),
        _b64(b'["a", "b"]'),
        _b64(b"\xff\xfe"),
    ],
)
async def test_a_garbage_cursor_is_bad_user_input(api: Api, after: str) -> None:
    assert await error_codes(api, after=after) == ["BAD_USER_INPUT"]


def _decoded(cursor: str) -> str:
    return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()


async def test_cursors_carry_no_names(api: Api) -> None:
    # A REPORTER gets cursors too; it must not find names (or their order keys) in them.
    page = await search(api, first=500)
    names = {ident: (first.lower(), last.lower()) for ident, first, last in PEOPLE}
    for edge in page["edges"]:
        ident = edge["node"]["id"]
        text = _decoded(edge["cursor"]).replace(ident, "")  # the ids here spell names
        for word in names[ident]:
            assert word not in text


@pytest.mark.parametrize("user", ["admin2", "rec1"])
async def test_a_cursor_of_a_customer_the_viewer_does_not_see_is_bad_user_input(
    api: Api, user: str
) -> None:
    # Absent and hidden are refused alike, so a cursor is no oracle for hidden names.
    cursor = (await search(api, first=1))["pageInfo"]["endCursor"]
    absent = _b64(b'["no-such-customer"]')
    for after in (cursor, absent):
        body = await api.query(SEARCH, {"after": after}, user=user)
        assert body["data"] is None
        assert [e["extensions"]["code"] for e in body["errors"]] == ["BAD_USER_INPUT"]
