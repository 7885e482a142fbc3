"""The ASGI entry point for uvicorn workers: the app built from the environment."""

from __future__ import annotations

import sys

from .app import create_app
from .settings import Settings, SettingsError

try:
    _settings = Settings.from_env()
    # `uvicorn voucher_graph.asgi:app` must refuse a missing or weak secret exactly as
    # `voucher-graph serve` does (CONTRACT.md): an import that fails stops uvicorn.
    _settings.check_serving()
except SettingsError as exc:
    sys.exit(f"voucher-graph: {exc}")

app = create_app(_settings)
