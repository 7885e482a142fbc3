"""The address clients reach the service at: VOUCHER_GRAPH_PUBLIC_URL, else the request's."""

from __future__ import annotations

from starlette.requests import Request

from ..settings import Settings


def public_base(settings: Settings, request: Request) -> str:
    """Scheme, host and mount point without a trailing slash; links are made under it.

    Without the setting, the request's own address (its Host header and root_path;
    behind a proxy, uvicorn's --proxy-headers makes the scheme the client's)."""
    if settings.public_url:
        return settings.public_url
    return str(request.base_url).rstrip("/")
