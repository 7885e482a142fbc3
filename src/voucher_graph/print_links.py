"""Print links: short-lived signed tokens that open one copay statement's printable page
(CONTRACT.md, printUrl), kept next to auth.py, which signs and reads the bearer tokens."""

from __future__ import annotations

import datetime
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Any

import jwt

from .settings import Settings

_TOKEN_TYPE = "copay-statement"
_ALGORITHM = "HS256"


class PrintLinkError(Exception):
    """The print link is malformed, tampered with or expired."""

    def __init__(self, message: str, *, expired: bool = False) -> None:
        super().__init__(message)
        self.expired = expired


@dataclass(frozen=True)
class PrintClaims:
    viewer_id: str
    customer_id: str
    service_id: str
    from_date: datetime.date
    to_date: datetime.date
    # A random id per link (its `jti`): the access log names the link an open came through.
    link_id: str = ""


def _link_key(secret: str) -> bytes:
    # A key of its own, derived from the app secret: a print token carries no `sub`
    # and is signed differently, so it can never pass as a bearer token (or back).
    return hmac.new(secret.encode(), b"voucher-graph print link v1", hashlib.sha256).digest()


def sign_print_token(settings: Settings, claims: PrintClaims, *, now: float | None = None) -> str:
    if not settings.jwt_secret:
        raise RuntimeError("print links need the token secret")
    issued = int(time.time() if now is None else now)
    payload: dict[str, Any] = {
        "typ": _TOKEN_TYPE,
        "viewer": claims.viewer_id,
        "customer": claims.customer_id,
        "service": claims.service_id,
        "from": claims.from_date.isoformat(),
        "to": claims.to_date.isoformat(),
        "jti": claims.link_id or secrets.token_hex(8),
        "iat": issued,
        "exp": issued + settings.print_url_ttl_seconds,
    }
    return jwt.encode(payload, _link_key(settings.jwt_secret), algorithm=_ALGORITHM)


def read_print_token(settings: Settings, token: str) -> PrintClaims:
    """The claims of a valid, unexpired print token; PrintLinkError otherwise."""
    if not settings.jwt_secret or not token:
        raise PrintLinkError("invalid link")
    try:
        payload = jwt.decode(
            token,
            _link_key(settings.jwt_secret),
            algorithms=[_ALGORITHM],
            options={
                "require": ["exp", "jti", "typ", "viewer", "customer", "service", "from", "to"]
            },
        )
    except jwt.ExpiredSignatureError as exc:
        raise PrintLinkError("link expired", expired=True) from exc
    except jwt.PyJWTError as exc:
        raise PrintLinkError("invalid link") from exc
    try:
        if payload["typ"] != _TOKEN_TYPE:
            raise ValueError("wrong token type")
        return PrintClaims(
            viewer_id=str(payload["viewer"]),
            customer_id=str(payload["customer"]),
            service_id=str(payload["service"]),
            from_date=datetime.date.fromisoformat(payload["from"]),
            to_date=datetime.date.fromisoformat(payload["to"]),
            link_id=str(payload["jti"]),
        )
    except (ValueError, TypeError) as exc:
        raise PrintLinkError("invalid link") from exc


def print_link_operation(claims: PrintClaims) -> str:
    """The access log's `operation` for a page opened through a print link."""
    return f"printLink:{claims.link_id}"
