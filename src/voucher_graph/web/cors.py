"""Cross-origin access to /graphql for the allow-listed browser origins only."""

from __future__ import annotations

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp

# A preflight answer may be cached by the browser this long (seconds).
PREFLIGHT_MAX_AGE = 600


def with_cors(app: ASGIApp, origins: tuple[str, ...]) -> ASGIApp:
    """`app` answering preflights for `origins`; credentials travel only in the header.

    No cookies: allow_credentials stays off, so a browser never sends the site's cookies
    and a page on another origin can only call with a token it holds itself."""
    return CORSMiddleware(
        app,
        allow_origins=list(origins),
        allow_methods=["GET", "POST"],
        allow_headers=["Authorization", "Content-Type"],
        allow_credentials=False,
        expose_headers=["X-Request-Id"],
        max_age=PREFLIGHT_MAX_AGE,
    )
