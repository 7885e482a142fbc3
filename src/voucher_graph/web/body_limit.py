"""The request body-size limit, as pure ASGI middleware."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyTooLarge(Exception):
    """The request body is longer than the limit (said or found); the answer is a 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the body exceeds {limit} bytes")
        self.limit = limit


class BodyLimit:
    """`app` whose request bodies may not exceed `max_bytes`.

    Nothing is read here: the limit is checked when the app reads, which raises
    BodyTooLarge on a Content-Length over the limit or on the first chunk that goes past
    it (a stream without a length is read no further). So the app's refusals that need no
    body (a missing token, a wrong method or media type) still come first, and the app
    answers the 413 itself, in its own shape."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_bytes
        declared = next((v for k, v in scope["headers"] if k == b"content-length"), b"")
        said_too_much = declared.isdigit() and int(declared) > limit
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            if said_too_much:
                raise BodyTooLarge(limit)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        await self.app(scope, limited_receive, send)
