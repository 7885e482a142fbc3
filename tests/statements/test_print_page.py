"""The printable copay statement behind CopayStatement.printUrl: a signed, expiring link."""

from __future__ import annotations

import base64
import json
import time
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from sqlalchemy import select
from statement_world import StatementPage, api_fixture  # noqa: F401
from support import SECRET, TODAY, Api

from voucher_graph.data import models as m
from voucher_graph.data.engine import session_factory
from voucher_graph.print_links import PrintClaims, sign_print_token
from voucher_graph.printing import formats
from voucher_graph.settings import Settings

STATEMENT = """
query($customer: ID!, $service: ID!, $from: Date!, $to: Date!) {
  customer(id: $customer) {
    copayStatement(service: $service, from: $from, to: $to) {
      lines { eventId } totalPrice totalVoucherShare totalCopay printUrl
    }
  }
}
"""
PERIOD = {"customer": "c1", "service": "s1", "from": "2026-10-01", "to": "2026-11-30"}
SETTINGS = Settings(jwt_secret=SECRET, today=TODAY)


async def statement(api: Api, user: str) -> dict[str, Any]:
    data = await api.data(STATEMENT, PERIOD, user=user)
    result: dict[str, Any] = data["customer"]["copayStatement"]
    return result


def totals(result: dict[str, Any]) -> dict[str, str]:
    return {k: result[k] for k in ("totalPrice", "totalVoucherShare", "totalCopay")}


async def access_log(api: Api) -> list[tuple[str, str, list[str], str | None]]:
    async with session_factory(api.engine)() as session:
        rows = (await session.scalars(select(m.AccessLogEntry).order_by(m.AccessLogEntry.id))).all()
        return [(r.user_id, r.customer_id, r.fields, r.operation) for r in rows]


async def test_the_page_shows_the_apis_lines_and_totals(api: Api) -> None:
    result = await statement(api, "u1")
    response = await api.client.get(result["printUrl"])  # no Authorization header
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-store"
    page = StatementPage(response.text)
    assert page.totals() == totals(result)
    assert page.line_ids == [line["eventId"] for line in result["lines"]]
    assert page.text_by_id["organizer"] == "Vantaa"
    assert page.text_by_id["provider"] == "Hoivapalvelu Oy"
    assert page.text_by_id["customer-name"] == "Åke Korhonen"
    assert page.text_by_id["customer-ssn"] == "190925-733L"
    # Babel's Finnish: a no-break space before the euro sign (and between thousands).
    assert page.text_by_id["total-copay"].strip() == "70,00\u00a0€"
    assert page.text_by_id["period"] == "1.10.2026 – 30.11.2026"


async def test_showing_name_and_hetu_is_written_to_the_access_log(api: Api) -> None:
    result = await statement(api, "u1")
    before = await access_log(api)
    await api.client.get(result["printUrl"])
    token = parse_qs(urlsplit(result["printUrl"]).query)["token"][0]
    link_id = jwt.decode(token, options={"verify_signature": False})["jti"]
    assert (await access_log(api))[len(before) :] == [
        ("u1", "c1", ["firstName", "lastName", "ssn"], f"printLink:{link_id}"),
    ]


async def test_a_reporter_gets_the_page_without_identity_and_no_log(api: Api) -> None:
    result = await statement(api, "u2")
    before = await access_log(api)
    response = await api.client.get(result["printUrl"])
    page = StatementPage(response.text)
    assert page.totals() == totals(result)
    assert "customer-name" not in page.by_id and "customer-ssn" not in page.by_id
    assert "Korhonen" not in response.text and "190925-733L" not in response.text
    assert await access_log(api) == before


async def test_an_organizer_users_page_names_no_provider(api: Api) -> None:
    result = await statement(api, "u10")
    page = StatementPage((await api.client.get(result["printUrl"])).text)
    assert page.totals() == totals(result)
    assert "provider" not in page.by_id


@pytest.mark.parametrize(
    ("lang", "title", "copay", "period"),
    [
        (None, "Omavastuuerittely", "70,00\u00a0€", "1.10.2026 – 30.11.2026"),
        ("fi", "Omavastuuerittely", "70,00\u00a0€", "1.10.2026 – 30.11.2026"),
        ("sv", "Specifikation av självriskandel", "70,00\u00a0€", "1.10.2026 – 30.11.2026"),
        ("en", "Copay statement", "€70.00", "2026-10-01 – 2026-11-30"),
        ("de", "Omavastuuerittely", "70,00\u00a0€", "1.10.2026 – 30.11.2026"),  # unknown: fi
    ],
)
async def test_the_language_is_chosen_by_the_lang_parameter(
    api: Api, lang: str | None, title: str, copay: str, period: str
) -> None:
    url = (await statement(api, "u1"))["printUrl"] + (f"&lang={lang}" if lang else "")
    response = await api.client.get(url)
    assert f"<title>{title}</title>" in response.text
    page = StatementPage(response.text)
    assert page.text_by_id["total-copay"].strip() == copay
    assert page.text_by_id["period"] == period


@pytest.mark.parametrize(
    ("lang", "money", "number", "day"),
    [
        ("fi", "1\u00a0234,50\u00a0€", "1\u00a0234,50", "5.1.2026"),
        ("sv", "1\u00a0234,50\u00a0€", "1\u00a0234,50", "5.1.2026"),
        ("en", "€1,234.50", "1,234.50", "2026-01-05"),
    ],
)
def test_amounts_and_dates_are_written_as_the_language_writes_them(
    lang: str, money: str, number: str, day: str
) -> None:
    shown = formats(lang)
    assert shown["money"](Decimal("1234.5")) == money
    assert shown["number"](Decimal("1234.5")) == number
    assert shown["day"](date(2026, 1, 5)) == day
    # Cents rounded half up, as the API rounds; a zero has no sign.
    assert shown["money"](Decimal("0.005")).startswith(("0,01", "€0.01"))
    assert "-" not in shown["money"](Decimal("-0.001"))


def claims(**changes: Any) -> PrintClaims:
    values: dict[str, Any] = {
        "viewer_id": "u1",
        "customer_id": "c1",
        "service_id": "s1",
        "from_date": TODAY.replace(month=10, day=1),
        "to_date": TODAY,
    }
    return PrintClaims(**{**values, **changes})


def tampered(token: str) -> str:
    """The same signature over a payload naming another customer."""
    head, payload, signature = token.split(".")
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    data["customer"] = "c2"
    forged = base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
    return f"{head}.{forged}.{signature}"


async def refused(api: Api, token: str) -> str:
    before = await access_log(api)
    response = await api.client.get("/print/copay-statement", params={"token": token})
    assert response.status_code == 403
    assert "lines" not in StatementPage(response.text).by_id
    assert await access_log(api) == before
    return response.text


async def test_an_expired_link_is_refused(api: Api) -> None:
    token = sign_print_token(
        SETTINGS, claims(), now=time.time() - SETTINGS.print_url_ttl_seconds - 5
    )
    assert "vanhentunut" in await refused(api, token)


async def test_a_tampered_link_is_refused(api: Api) -> None:
    url = (await statement(api, "u1"))["printUrl"]
    token = parse_qs(urlsplit(url).query)["token"][0]
    text = await refused(api, tampered(token))
    assert "Niemi" not in text and "Korhonen" not in text


@pytest.mark.parametrize("token", ["", "garbage", "a.b.c"])
async def test_a_malformed_link_is_refused(api: Api, token: str) -> None:
    await refused(api, token)


async def test_a_bearer_token_is_no_print_link_and_back(api: Api) -> None:
    await refused(api, api.token("u1"))
    link = sign_print_token(SETTINGS, claims())
    response = await api.client.post(
        "/graphql", json={"query": "{ me { id } }"}, headers={"Authorization": f"Bearer {link}"}
    )
    assert response.status_code == 401


async def test_a_link_for_a_customer_the_viewer_does_not_see_shows_nothing(api: Api) -> None:
    response = await api.client.get(
        "/print/copay-statement",
        params={"token": sign_print_token(SETTINGS, claims(customer_id="c4"))},
    )
    assert response.status_code == 404
    assert "Kivi-Ojala" not in response.text


async def test_a_link_for_an_unknown_user_is_refused(api: Api) -> None:
    await refused(api, sign_print_token(SETTINGS, claims(viewer_id="ghost")))
