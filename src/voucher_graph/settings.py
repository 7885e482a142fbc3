"""Settings, read once from the environment (CONTRACT.md, Environment)."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

from .data.engine import DEFAULT_POOL_SIZE

DEFAULT_DATABASE_PATH = Path("voucher-graph.db")
DEMO_DATABASE_PATH = Path("voucher-graph-demo.db")
MIN_SECRET_LENGTH = 32


class SettingsError(ValueError):
    """A setting is missing or unusable; the message says which and why."""


@dataclass(frozen=True)
class Limits:
    """Query limits, all answered with QUERY_TOO_COMPLEX before any database work."""

    # The deepest contract path (customers > edges > node > events > content > name)
    # is 6 levels; 12 leaves room for fragments and future types, stops recursion abuse.
    max_depth: int = 12
    # A screen that asks for a few customers side by side needs a handful of aliases.
    max_aliases: int = 30
    # A hand-written query with every contract field is under 500 tokens.
    max_tokens: int = 5000
    # Rows a query may return, estimated (schema/limits.py): a page of 500 customers
    # with every nested list of the contract estimates ~150,000; two such pages do not fit.
    max_cost: int = 250_000
    # Rows a nested list is assumed to hold when costing a query (events per customer...).
    list_estimate: int = 10
    # Counted before graphql-core validates a document (schema/budget.py), fragments
    # counted each time they are spread: validation compares every pair of same-named
    # fields, so these keep it to milliseconds. The full nested customer page is ~60
    # fields, GraphiQL's introspection query ~240.
    max_fields: int = 500
    max_selections: int = 1000
    # The same response name in one selection set (fragments inlined); each pair of them
    # is compared in validation.
    max_same_name: int = 5
    # Operations and fragments in one document.
    max_definitions: int = 50
    # Depth inside __schema / __type: the standard introspection query of GraphQL
    # clients (GraphiQL's included) is 14 deep; a 50-deep `ofType` chain is not.
    max_introspection_depth: int = 15
    # JSON bodies: a query and its variables.
    max_body_bytes: int = 1_000_000
    # Any one string argument (names, descriptions, reasons); SQLite refuses LIKE
    # patterns over 50,000 bytes, and no contract field needs more than a paragraph.
    max_string_chars: int = 10_000


@dataclass(frozen=True)
class Settings:
    database_url: str = f"sqlite:///{DEFAULT_DATABASE_PATH}"
    # Kept out of repr: settings may end up in a log line or a traceback.
    jwt_secret: str | None = field(default=None, repr=False)
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    today: date | None = None  # fixed "today"; None means today in Europe/Helsinki
    demo: bool = False
    graphiql: bool = True
    introspection: bool = True
    # The print link is a bearer credential for one statement (name, hetu): short-lived.
    print_url_ttl_seconds: int = 300
    # Bearer tokens whose `exp` lies further ahead than this are refused, and `token`
    # issues none longer: a leaked token stays useful for a working day at most.
    jwt_max_ttl_seconds: int = 12 * 3600
    limits: Limits = field(default_factory=Limits)
    # Browser origins allowed to call /graphql from other sites; none by default.
    cors_origins: tuple[str, ...] = ()
    # The address clients reach the service at (printUrl is absolute under it).
    public_url: str | None = None
    # A manifest of trusted documents; when set, nothing else is executed.
    trusted_documents: str | None = None
    # PostgreSQL connections each serving process keeps open (data/engine.py).
    database_pool_size: int = DEFAULT_POOL_SIZE

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        today_text = env.get("VOUCHER_GRAPH_TODAY")
        today = None
        if today_text:
            try:
                today = date.fromisoformat(today_text)
            except ValueError as exc:
                raise SettingsError("VOUCHER_GRAPH_TODAY must be YYYY-MM-DD") from exc
        return cls(
            database_url=env.get("VOUCHER_GRAPH_DATABASE_URL") or cls.database_url,
            jwt_secret=env.get("VOUCHER_GRAPH_JWT_SECRET") or None,
            jwt_issuer=env.get("VOUCHER_GRAPH_JWT_ISSUER") or None,
            jwt_audience=env.get("VOUCHER_GRAPH_JWT_AUDIENCE") or None,
            today=today,
            graphiql=_flag(env, "VOUCHER_GRAPH_GRAPHIQL", True),
            introspection=_flag(env, "VOUCHER_GRAPH_INTROSPECTION", True),
            print_url_ttl_seconds=_seconds(
                env, "VOUCHER_GRAPH_PRINT_URL_TTL_SECONDS", cls.print_url_ttl_seconds
            ),
            jwt_max_ttl_seconds=_seconds(
                env, "VOUCHER_GRAPH_JWT_MAX_TTL_SECONDS", cls.jwt_max_ttl_seconds
            ),
            cors_origins=parse_origins(env.get("VOUCHER_GRAPH_CORS_ORIGINS") or ""),
            public_url=parse_public_url(env.get("VOUCHER_GRAPH_PUBLIC_URL") or ""),
            trusted_documents=env.get("VOUCHER_GRAPH_TRUSTED_DOCUMENTS") or None,
            database_pool_size=_count(
                env, "VOUCHER_GRAPH_DATABASE_POOL_SIZE", cls.database_pool_size
            ),
        )

    def with_changes(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]

    def check_serving(self) -> None:
        """Refuse to serve without a strong secret, except for the demo."""
        if self.demo:
            return
        if not self.jwt_secret:
            raise SettingsError("VOUCHER_GRAPH_JWT_SECRET is not set (use --demo to try it out)")
        if len(self.jwt_secret) < MIN_SECRET_LENGTH:
            raise SettingsError(
                f"VOUCHER_GRAPH_JWT_SECRET is too weak: use at least {MIN_SECRET_LENGTH} characters"
            )


_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    """A yes/no setting; anything else is refused, so that a typo ("ture") cannot
    silently turn a feature off."""
    value = (env.get(name) or "").strip().lower()
    if not value:
        return default
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise SettingsError(f"{name} must be one of 1/0, true/false, yes/no, on/off")


def _whole(env: Mapping[str, str], name: str, default: int, highest: int, refusal: str) -> int:
    """A whole number from 1 to `highest` from `name`, or `default` when unset; anything
    else is refused with `refusal`."""
    text = (env.get(name) or "").strip()
    if not text:
        return default
    if re.fullmatch("[0-9]{1,10}", text) is None or not 1 <= int(text) <= highest:
        raise SettingsError(f"{name} must be {refusal}")
    return int(text)


def _seconds(env: Mapping[str, str], name: str, default: int) -> int:
    return _whole(env, name, default, 999_999_999, "a positive whole number of seconds")


def _count(env: Mapping[str, str], name: str, default: int) -> int:
    return _whole(env, name, default, 1000, "a whole number from 1 to 1000")


def parse_origins(value: str) -> tuple[str, ...]:
    """VOUCHER_GRAPH_CORS_ORIGINS: comma-separated `scheme://host[:port]`, nothing else."""
    origins = []
    for item in (part.strip() for part in value.split(",")):
        if not item:
            continue
        parts = urlsplit(item)
        # A browser's Origin header has no path, query or trailing slash: such an entry
        # would never match, so it is refused rather than silently ignored.
        if (
            parts.scheme not in ("http", "https")
            or not parts.hostname
            or item != (f"{parts.scheme}://{parts.netloc}")
        ):
            raise SettingsError(
                f"VOUCHER_GRAPH_CORS_ORIGINS: {item!r} is not an origin like https://app.example"
            )
        origins.append(item)
    return tuple(origins)


def parse_public_url(value: str) -> str | None:
    """VOUCHER_GRAPH_PUBLIC_URL: an absolute http(s) URL, kept without its trailing slash."""
    value = value.strip()
    if not value:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise SettingsError(
            f"VOUCHER_GRAPH_PUBLIC_URL: {value!r} is not an address like https://api.example/vg"
        )
    return value.rstrip("/")
