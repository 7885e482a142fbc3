"""The ASGI entry point for uvicorn workers: the app built from the environment."""

from __future__ import annotations

from .app import create_app
from .settings import Settings

app = create_app(Settings.from_env())
