"""Query limits (settings.Limits): depth, aliases, tokens and estimated rows are refused
with QUERY_TOO_COMPLEX before any database work, the viewer's own load included."""

from __future__ import annotations

import httpx
import pytest
from graphql import parse
from support import SECRET, TODAY, Api

from voucher_graph.app import create_app
from voucher_graph.schema.build import build_schema
from voucher_graph.schema.errors import TOKEN_LIMIT_MESSAGE
from voucher_graph.schema.limits import LimitCheck
from voucher_graph.settings import Limits, Settings

NODE = "edges { node { id events { id content { id } } } }"


def depth_query(depth: int) -> str:
    # Invalid fields do not matter: the depth limit looks at the document alone.
    return "{ " + "me { " * depth + "id" + " }" * depth + " }"


def alias_query(count: int) -> str:
    return "{ " + " ".join(f"a{i}: me {{ id }}" for i in range(count)) + " }"


REFUSED = [
    pytest.param(depth_query(50), id="depth 50"),
    pytest.param(depth_query(13), id="depth 13"),
    pytest.param(alias_query(1000), id="1000 aliases"),
    pytest.param(alias_query(31), id="31 aliases"),
    pytest.param("{ me { " + "id " * 10_000 + "} }", id="a field 10,000 times"),
    pytest.param(
        "{ " + " ".join(f"c{i}: customers(first: 500) {{ {NODE} }}" for i in range(25)) + " }",
        id="25 pages of 500 with events",
    ),
    pytest.param(
        "query($n: Int) { "
        + " ".join(f"c{i}: customers(first: $n) {{ {NODE} }}" for i in range(25))
        + " }",
        id="a variable first counts as 500",
    ),
]


@pytest.mark.parametrize("query", REFUSED)
async def test_too_complex_queries_are_refused_before_any_sql(example_api: Api, query: str) -> None:
    example_api.counter.reset()
    body = await example_api.query(query, user="u10")
    assert example_api.counter.count == 0
    assert body["data"] is None
    assert {e["extensions"]["code"] for e in body["errors"]} == {"QUERY_TOO_COMPLEX"}


ALLOWED = [
    pytest.param(depth_query(12), id="depth 12"),
    pytest.param(alias_query(30), id="30 aliases"),
    pytest.param(f"{{ customers(first: 500) {{ {NODE} }} }}", id="one page of 500"),
    pytest.param(
        f"query($n: Int = 10) {{ customers(first: $n) {{ {NODE} }} }}", id="variable default"
    ),
]


@pytest.mark.parametrize("query", ALLOWED)
async def test_queries_within_the_limits_run(example_api: Api, query: str) -> None:
    body = await example_api.query(query, user="u10")
    assert "QUERY_TOO_COMPLEX" not in {e["extensions"]["code"] for e in body.get("errors") or []}


async def test_first_over_500_is_bad_input_not_too_complex(example_api: Api) -> None:
    body = await example_api.query("{ customers(first: 1000000) { totalCount } }", user="u10")
    assert [e["extensions"]["code"] for e in body["errors"]] == ["BAD_USER_INPUT"]


def test_the_token_limit_message_is_graphql_cores() -> None:
    # errors.py recognises the parser's token-limit error by this text.
    with pytest.raises(Exception, match=TOKEN_LIMIT_MESSAGE):
        parse("{ me { id id id } }", max_tokens=3)


def test_the_limits_are_settings() -> None:
    check = LimitCheck(build_schema()._schema, Limits(max_depth=2, max_aliases=1, max_cost=3))
    assert check.errors("{ me { id } }") == []
    assert len(check.errors("{ a: me { id } b: me { id } }")) == 1
    assert len(check.errors('{ customer(id: "x") { events { id } } }')) == 1  # 1 + 10 rows
    assert len(check.errors('{ customer(id: "x") { id } } ')) == 0
    assert len(check.errors(depth_query(3))) == 1  # depth only: me has no lists
    assert check.errors("{ me { id ") == []  # a syntax error is Strawberry's to report


def api_with(settings: Settings, base: Api) -> Api:
    app = create_app(settings, engine=base.engine)
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")
    return Api(client=client, counter=base.counter, engine=base.engine)


@pytest.mark.parametrize(("flag", "value"), [("introspection", False), ("graphiql", False)])
async def test_introspection_and_graphiql_can_be_switched_off(
    example_api: Api, flag: str, value: bool
) -> None:
    settings = Settings(
        database_url=str(example_api.engine.url), jwt_secret=SECRET, today=TODAY
    ).with_changes(**{flag: value})
    api = api_with(settings, example_api)
    try:
        if flag == "introspection":
            body = await api.query("{ __schema { types { name } } }", user="u10")
            assert body["data"] is None
            assert {e["extensions"]["code"] for e in body["errors"]} == {"BAD_USER_INPUT"}
            assert (await api.data("{ me { id } }", user="u10"))["me"]["id"] == "u10"
        else:
            # Without GraphiQL a browser's GET is an API request like any other.
            response = await api.client.get("/graphql", headers={"Accept": "text/html"})
            assert response.status_code == 401
            assert "graphiql" not in response.text.lower()
    finally:
        await api.client.aclose()


def test_the_environment_switches_them() -> None:
    settings = Settings.from_env(
        {"VOUCHER_GRAPH_INTROSPECTION": "0", "VOUCHER_GRAPH_GRAPHIQL": "false"}
    )
    assert (settings.introspection, settings.graphiql) == (False, False)
    assert Settings.from_env({}).introspection is True
