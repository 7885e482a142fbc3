"""Settings, read once from the environment (CONTRACT.md, Environment)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

DEFAULT_DATABASE_PATH = Path("voucher-graph.db")
DEMO_DATABASE_PATH = Path("voucher-graph-demo.db")
MIN_SECRET_LENGTH = 32


class SettingsError(ValueError):
    """A setting is missing or unusable; the message says which and why."""


@dataclass(frozen=True)
class Limits:
    """Query limits, all answered with QUERY_TOO_COMPLEX before any database work."""

    max_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 5000
    max_cost: int = 250_000
    max_body_bytes: int = 1_000_000


@dataclass(frozen=True)
class Settings:
    database_url: str = f"sqlite:///{DEFAULT_DATABASE_PATH}"
    jwt_secret: str | None = None
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    today: date | None = None  # fixed "today"; None means today in Europe/Helsinki
    demo: bool = False
    graphiql: bool = True
    introspection: bool = True
    print_url_ttl_seconds: int = 3600
    limits: Limits = field(default_factory=Limits)

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
            graphiql=_flag(env.get("VOUCHER_GRAPH_GRAPHIQL"), True),
            introspection=_flag(env.get("VOUCHER_GRAPH_INTROSPECTION"), True),
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


def _flag(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")
