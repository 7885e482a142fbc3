"""The printable copay statement: GET /print/copay-statement?token=…&lang=fi|sv|en.

The token (schema/statements.py) is the only credential: a browser opens the link
without a header. The viewer is read afresh and the statement recomputed through the
same code path and policy as the API; identity shown is written to the access log.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_currency
from babel.numbers import format_decimal as format_number
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from .data import reports as report_data
from .data.engine import Session
from .domain.errors import DomainError
from .domain.money import format_decimal, round_cents
from .print_links import PrintLinkError, print_link_operation, read_print_token
from .schema.context import Context
from .schema.statements import PRINT_PATH, StatementData, compute_statement

logger = logging.getLogger("voucher_graph.printing")

LANGUAGES = ("fi", "sv", "en")
_TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).resolve().parent / "templates"),
    autoescape=select_autoescape(["html"]),
)
# No caching or referrer: the page and its link carry personal data.
_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}

LABELS: dict[str, dict[str, str]] = {
    "fi": {
        "title": "Omavastuuerittely",
        "organizer": "Palvelunjärjestäjä",
        "provider": "Palveluntuottaja",
        "customer": "Asiakas",
        "ssn": "Henkilötunnus",
        "service": "Palvelu",
        "period": "Ajanjakso",
        "date": "Päivämäärä",
        "content": "Palvelusisältö",
        "units": "Määrä",
        "unit_price": "Yksikköhinta",
        "price": "Hinta",
        "kind": "Seteli",
        "voucher": "Setelin numero",
        "validity": "Voimassa",
        "voucher_share": "Setelin osuus",
        "copay": "Omavastuu",
        "status": "Tila",
        "totals": "Yhteensä",
        "no_lines": "Ei palvelutapahtumia ajanjaksolla.",
        "REGULAR": "Ostovoima",
        "BALANCE": "Saldo-ostovoima",
        "HOUR": "tunti",
        "VISIT": "käynti",
        "DAY": "vuorokausi",
        "PIECE": "kpl",
        "RECORDED": "Kirjattu",
        "UNDER_REVIEW": "Tarkastettavana",
        "APPROVED": "Hyväksytty",
        "SETTLED": "Tilitetty",
        "refused": "Linkki on virheellinen tai vanhentunut.",
        "expired": "Linkki on vanhentunut. Avaa omavastuuerittely uudelleen.",
        "unavailable": "Omavastuuerittely ei ole saatavilla.",
    },
    "sv": {
        "title": "Specifikation av självriskandel",
        "organizer": "Serviceanordnare",
        "provider": "Serviceproducent",
        "customer": "Kund",
        "ssn": "Personbeteckning",
        "service": "Tjänst",
        "period": "Period",
        "date": "Datum",
        "content": "Tjänsteinnehåll",
        "units": "Mängd",
        "unit_price": "Enhetspris",
        "price": "Pris",
        "kind": "Sedel",
        "voucher": "Sedelns nummer",
        "validity": "Giltig",
        "voucher_share": "Sedelns andel",
        "copay": "Självriskandel",
        "status": "Status",
        "totals": "Totalt",
        "no_lines": "Inga servicehändelser under perioden.",
        "REGULAR": "Köpkraft",
        "BALANCE": "Saldoköpkraft",
        "HOUR": "timme",
        "VISIT": "besök",
        "DAY": "dygn",
        "PIECE": "st",
        "RECORDED": "Registrerad",
        "UNDER_REVIEW": "Granskas",
        "APPROVED": "Godkänd",
        "SETTLED": "Redovisad",
        "refused": "Länken är ogiltig eller har gått ut.",
        "expired": "Länken har gått ut. Öppna specifikationen på nytt.",
        "unavailable": "Specifikationen är inte tillgänglig.",
    },
    "en": {
        "title": "Copay statement",
        "organizer": "Organizer",
        "provider": "Service provider",
        "customer": "Customer",
        "ssn": "Personal identity code",
        "service": "Service",
        "period": "Period",
        "date": "Date",
        "content": "Content",
        "units": "Units",
        "unit_price": "Unit price",
        "price": "Price",
        "kind": "Voucher",
        "voucher": "Voucher number",
        "validity": "Valid",
        "voucher_share": "Voucher share",
        "copay": "Copay",
        "status": "Status",
        "totals": "Total",
        "no_lines": "No service events in the period.",
        "REGULAR": "Purchasing power",
        "BALANCE": "Balance purchasing power",
        "HOUR": "hour",
        "VISIT": "visit",
        "DAY": "day",
        "PIECE": "piece",
        "RECORDED": "Recorded",
        "UNDER_REVIEW": "Under review",
        "APPROVED": "Approved",
        "SETTLED": "Settled",
        "refused": "The link is invalid or has expired.",
        "expired": "The link has expired. Open the statement again.",
        "unavailable": "The statement is not available.",
    },
}

# Amounts, quantities and dates in each language's Finnish conventions, from Babel's CLDR
# data: fi and sv as written in Finland ("1 234,50 €", "5.1.2026", with no-break spaces);
# en with the euro sign first ("€1,234.50") and ISO dates, unambiguous to any reader.
LOCALES = {"fi": Locale.parse("fi_FI"), "sv": Locale.parse("sv_FI"), "en": Locale.parse("en")}
DATE_FORMATS = {"fi": "short", "sv": "short", "en": "yyyy-MM-dd"}

RecordAccess = Callable[[Session, Context], Awaitable[None]]


def language(value: str | None) -> str:
    """The requested language; Finnish unless sv or en is asked for."""
    return value if value in LANGUAGES else "fi"


def formats(lang: str) -> dict[str, Callable[[Any], str]]:
    """The page's money, number and day formats in `lang`."""
    locale, date_format = LOCALES[lang], DATE_FORMATS[lang]

    # Rounded to cents as the API rounds (half up), so Babel has nothing left to round.
    def money(value: Decimal) -> str:
        return format_currency(round_cents(value), "EUR", locale=locale)

    def number(value: Decimal) -> str:
        return format_number(round_cents(value), "#,##0.00", locale=locale)

    def day(value: date) -> str:
        return format_date(value, date_format, locale=locale)

    return {"money": money, "number": number, "day": day}


def render_statement(lang: str, **values: Any) -> str:
    return _TEMPLATES.get_template("statement.html").render(
        lang=lang, t=LABELS[lang], raw=format_decimal, **formats(lang), **values
    )


def _page(lang: str, message_key: str, status_code: int) -> HTMLResponse:
    """A page with a message and no data, for every refusal."""
    html = render_statement(lang, message=LABELS[lang][message_key])
    return HTMLResponse(html, status_code=status_code, headers=_HEADERS)


def print_route(services: Any, record_access: RecordAccess) -> Route:
    """The route, given the app's Services (open_context) and its access-log writer."""

    async def endpoint(request: Request) -> Response:
        lang = language(request.query_params.get("lang"))
        try:
            claims = read_print_token(services.settings, request.query_params.get("token", ""))
        except PrintLinkError as exc:
            return _page(lang, "expired" if exc.expired else "refused", 403)
        request_id = uuid.uuid4().hex[:16]
        async with services.sessions() as session:
            ctx: Context | None = await services.open_context(
                session,
                claims.viewer_id,
                request_id=request_id,
                root_path=str(request.scope.get("root_path") or ""),
            )
            if ctx is None:
                return _page(lang, "refused", 403)
            # The log shows the page was opened through this link (whoever held it),
            # not that the link's issuer read the statement again.
            ctx.operation_name = print_link_operation(claims)
            # The same visibility as Query.customer: an unseen customer shows nothing.
            customer = await ctx.loaders.customer.load(claims.customer_id)
            if customer is None:
                return _page(lang, "unavailable", 404)
            try:
                data = await compute_statement(
                    ctx, customer.id, claims.service_id, claims.from_date, claims.to_date
                )
            except DomainError:
                return _page(lang, "unavailable", 404)
            html = await _render(ctx, lang, customer, data)
            if ctx.disclosed:
                try:
                    await record_access(session, ctx)
                    await session.commit()
                except Exception:  # noqa: BLE001 - any failure must withhold identities
                    logger.exception("access log write failed in request %s", request_id)
                    await session.rollback()
                    return _page(lang, "unavailable", 500)
        response = HTMLResponse(html, headers=_HEADERS)
        response.headers["x-request-id"] = request_id
        return response

    return Route(PRINT_PATH, endpoint, methods=["GET"])


async def _render(ctx: Context, lang: str, customer: Any, data: StatementData) -> str:
    organizer = await report_data.organizer(ctx.session, data.service.organizer_id)
    provider_id = ctx.viewer.provider_id
    provider = await report_data.provider(ctx.session, provider_id) if provider_id else None
    # Identity as the policy allows it (a REPORTER sees neither), noted for the log.
    name = None
    if ctx.gate.can_read_field("firstName", customer) and ctx.gate.can_read_field(
        "lastName", customer
    ):
        ctx.disclose(customer.id, "firstName")
        ctx.disclose(customer.id, "lastName")
        name = f"{customer.first_name} {customer.last_name}"
    ssn = None
    if ctx.gate.can_read_field("ssn", customer):
        ctx.disclose(customer.id, "ssn")
        ssn = customer.ssn
    return render_statement(
        lang,
        statement=data,
        organizer=organizer.name if organizer else "",
        provider=provider.name if provider else None,
        customer_name=name,
        customer_ssn=ssn,
    )
