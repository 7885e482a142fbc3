"""The demo's lasting secret, the users whose tokens it prints, and a port check."""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Iterable
from pathlib import Path
from typing import Protocol

from .settings import DEMO_DATABASE_PATH, SettingsError

SQLITE_PREFIXES = ("sqlite:///", "sqlite+aiosqlite:///")


def secret_path(database_url: str) -> Path:
    """Where the demo keeps its secret: beside its SQLite file (voucher-graph-demo.db ->
    voucher-graph-demo.secret), or beside the default demo file for another database."""
    for prefix in SQLITE_PREFIXES:
        if database_url.startswith(prefix) and database_url != prefix:
            return Path(database_url.removeprefix(prefix)).with_suffix(".secret")
    return DEMO_DATABASE_PATH.with_suffix(".secret")


def demo_secret(path: Path) -> str:
    """The secret in `path`, made (readable by its owner only) on first use, so that
    tokens pasted into GraphiQL outlive a restart and `voucher-graph token` can sign."""
    existing = read_secret(path)
    if existing is not None:
        return existing
    secret = secrets.token_urlsafe(48)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(secret + "\n")
    return secret


def read_secret(path: Path) -> str | None:
    try:
        secret = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return secret or None


def find_demo_secret(database_url: str) -> tuple[str, Path] | None:
    """For `token` without VOUCHER_GRAPH_JWT_SECRET: the demo secret of the configured
    SQLite database, else of the default demo database in this folder."""
    for path in dict.fromkeys((secret_path(database_url), secret_path(""))):
        secret = read_secret(path)
        if secret is not None:
            return secret, path
    return None


class DemoUser(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def role(self) -> str: ...
    @property
    def provider_id(self) -> str | None: ...
    @property
    def organizer_id(self) -> str | None: ...


def printed_users(users: Iterable[DemoUser], per_role: int = 2) -> list[DemoUser]:
    """Up to `per_role` users per role, each of another organisation (so every printed
    user sees customers: a second user of the same organisation may be in no team)."""
    chosen: list[DemoUser] = []
    seen: dict[str, set[str | None]] = {}
    for user in sorted(users, key=lambda u: u.id):
        organisations = seen.setdefault(user.role, set())
        organisation = user.provider_id or user.organizer_id
        if len(organisations) < per_role and organisation not in organisations:
            organisations.add(organisation)
            chosen.append(user)
    return chosen


def check_port_free(host: str, port: int) -> None:
    """Refuse early (before any token is printed) when the address is taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # As uvicorn binds: a port left in TIME_WAIT by a previous run is free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise SettingsError(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
