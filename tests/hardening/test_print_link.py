"""The print link is a short-lived credential, and every open through it is logged as
an open of that link, not as its issuer reading the statement again."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import jwt
from sqlalchemy import select
from support import SECRET, TODAY, Api

from voucher_graph.data import models as m
from voucher_graph.data.engine import session_factory
from voucher_graph.print_links import PrintClaims, sign_print_token
from voucher_graph.settings import Settings

# c2 is seen by u1 (RECORDER of p1) through its reservation on pp4 (service s3).
STATEMENT = """query Statement { customer(id: "c2") {
  copayStatement(service: "s3", from: "2026-05-01", to: "2026-11-26") { printUrl } } }"""


def link_claims(url: str) -> dict[str, object]:
    token = parse_qs(urlsplit(url).query)["token"][0]
    claims: dict[str, object] = jwt.decode(token, options={"verify_signature": False})
    return claims


async def operations(api: Api) -> list[tuple[str, str, str | None]]:
    async with session_factory(api.engine)() as session:
        rows = await session.scalars(select(m.AccessLogEntry).order_by(m.AccessLogEntry.id))
        return [(r.user_id, r.customer_id, r.operation) for r in rows]


async def test_a_print_link_lives_five_minutes_unless_configured(example_api: Api) -> None:
    url = (await example_api.data(STATEMENT, user="u1"))["customer"]["copayStatement"]["printUrl"]
    claims = link_claims(url)
    assert claims["exp"] - claims["iat"] == 300  # type: ignore[operator]
    configured = Settings.from_env({"VOUCHER_GRAPH_PRINT_URL_TTL_SECONDS": "60"})
    assert configured.print_url_ttl_seconds == 60


async def test_each_open_is_logged_under_the_link_not_as_the_issuers_read(
    example_api: Api,
) -> None:
    first = (await example_api.data(STATEMENT, user="u1"))["customer"]["copayStatement"]
    second = (await example_api.data(STATEMENT, user="u1"))["customer"]["copayStatement"]
    assert await operations(example_api) == []  # issuing a link discloses nothing
    for url in (first["printUrl"], first["printUrl"], second["printUrl"]):
        response = await example_api.client.get(url)  # anyone holding the URL
        assert response.status_code == 200
    one, two = link_claims(first["printUrl"])["jti"], link_claims(second["printUrl"])["jti"]
    assert one != two
    assert await operations(example_api) == [
        ("u1", "c2", f"printLink:{one}"),
        ("u1", "c2", f"printLink:{one}"),
        ("u1", "c2", f"printLink:{two}"),
    ]


async def test_a_link_past_its_configured_lifetime_is_refused(example_api: Api) -> None:
    settings = Settings(jwt_secret=SECRET, today=TODAY, print_url_ttl_seconds=60)
    claims = PrintClaims("u1", "c2", "s3", TODAY.replace(month=5, day=1), TODAY)
    stale = sign_print_token(settings, claims, now=time.time() - 61)
    response = await example_api.client.get("/print/copay-statement", params={"token": stale})
    assert response.status_code == 403
    assert await operations(example_api) == []
    assert await example_api.data("{ me { id } }", user="u1") == {"me": {"id": "u1"}}
