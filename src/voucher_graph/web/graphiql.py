"""GraphiQL served entirely by the service: the page, its script and the vendored assets."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).resolve().parent / "static"
# Where the page finds its assets, relative to the app's root (and so behind a prefix too).
STATIC_PATH = "/graphiql-static"

_TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).resolve().parent / "templates"),
    autoescape=select_autoescape(["html"]),
)

# Nothing but the service itself: a page that tried a CDN would fail here, not silently.
# GraphiQL sets inline styles and embeds its fonts as data: URLs.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "font-src 'self' data:",
        "img-src 'self' data:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    )
)


def static_mount() -> Mount:
    """The vendored GraphiQL, React and our page script, as static files."""
    return Mount(STATIC_PATH, StaticFiles(directory=STATIC_DIR), name="graphiql-static")


def graphiql_page(request: Request, *, trusted_documents: bool = False) -> HTMLResponse:
    """The GraphiQL page; it loads everything from this service."""
    root = str(request.scope.get("root_path") or "").rstrip("/")
    html = _TEMPLATES.get_template("graphiql.html").render(
        static=f"{root}{STATIC_PATH}",
        config={"trustedDocuments": trusted_documents},
    )
    return HTMLResponse(
        html,
        headers={
            "Content-Security-Policy": CONTENT_SECURITY_POLICY,
            "Referrer-Policy": "no-referrer",
            "X-Content-Type-Options": "nosniff",
        },
    )
