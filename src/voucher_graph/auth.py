"""Bearer tokens: HS256 JWTs whose `sub` names the user (CONTRACT.md, HTTP), and the
Starlette authentication backend that reads them from the Authorization header."""

from __future__ import annotations

import time
from typing import Any

import jwt
from starlette.authentication import (
    AuthCredentials,
    AuthenticationBackend,
    SimpleUser,
    UnauthenticatedUser,
)
from starlette.requests import HTTPConnection

ALGORITHM = "HS256"
CLOCK_SKEW_SECONDS = 60
ACCEPTED_TOKENS = 4096  # accepted tokens kept per process (BearerBackend)


class TokenError(Exception):
    """The token is missing, malformed, expired or wrongly signed."""


def issue_token(
    secret: str,
    user_id: str,
    ttl_seconds: int = 3600,
    *,
    issuer: str | None = None,
    audience: str | None = None,
    now: float | None = None,
) -> str:
    issued = int(time.time() if now is None else now)
    claims: dict[str, object] = {"sub": user_id, "iat": issued, "exp": issued + ttl_seconds}
    if issuer:
        claims["iss"] = issuer
    if audience:
        claims["aud"] = audience
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def user_id_from_header(header: str | None, secret: str, **checks: Any) -> str:
    """The user id of an `Authorization: Bearer <JWT>` header, or TokenError; `checks`
    as `user_and_expiry` takes them."""
    user_id, _expires = user_and_expiry(header, secret, **checks)
    return user_id


def user_and_expiry(
    header: str | None,
    secret: str,
    *,
    issuer: str | None = None,
    audience: str | None = None,
    max_ttl_seconds: int | None = None,
    now: float | None = None,
) -> tuple[str, float]:
    """The user id of an `Authorization: Bearer <JWT>` header and the token's `exp`
    (seconds since the epoch), or TokenError.

    With `max_ttl_seconds`, a token whose `exp` lies further ahead than that (a token
    minted to live for years) is refused as well."""
    if not header:
        raise TokenError("missing bearer token")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise TokenError("malformed authorization header")
    try:
        # `algorithms` pins HS256: no `none`, no RS/HS confusion. exp is required.
        claims = jwt.decode(
            token.strip(),
            secret,
            algorithms=[ALGORITHM],
            issuer=issuer,
            audience=audience,
            options={"require": ["exp", "sub"], "verify_aud": audience is not None},
        )
    except jwt.PyJWTError as exc:
        raise TokenError("invalid token") from exc
    if max_ttl_seconds is not None:
        current = time.time() if now is None else now
        # Whole seconds and the issuer's clock: allow it to run a little ahead of ours.
        if claims["exp"] > current + max_ttl_seconds + CLOCK_SKEW_SECONDS:
            raise TokenError("token lifetime exceeds the maximum")
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise TokenError("invalid token subject")
    return subject, float(claims["exp"])


class Anonymous(UnauthenticatedUser):
    """A request without a usable token, and why not (the 401's message)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason


class BearerBackend(AuthenticationBackend):
    """request.user: a SimpleUser named by the token's `sub`, or Anonymous with the reason.

    A bad token is not an error here: the endpoint decides what needs a user (GraphiQL's
    page and OPTIONS do not) and answers the 401 itself, logged like any other answer.
    No database work: whether the user exists is the endpoint's question."""

    def __init__(
        self,
        secret: str | None,
        *,
        issuer: str | None = None,
        audience: str | None = None,
        max_ttl_seconds: int | None = None,
    ) -> None:
        self.secret = secret
        self.issuer = issuer
        self.audience = audience
        self.max_ttl_seconds = max_ttl_seconds
        # Header -> (user id, exp) of tokens already accepted. A client sends the same
        # token with every request, and checking it again (HMAC, JSON, claims) costs
        # about 70 µs. Whether an accepted token stays acceptable depends only on the
        # clock: it expires at `exp` (issued-at, not-before and the longest lifetime
        # only grow more lenient as time passes), so a hit checks that alone.
        self._accepted: dict[str, tuple[str, float]] = {}

    async def authenticate(
        self, conn: HTTPConnection
    ) -> tuple[AuthCredentials, SimpleUser | Anonymous]:
        if self.secret is None:
            return AuthCredentials(), Anonymous("the server has no token secret")
        header = conn.headers.get("authorization")
        if header is not None:
            known = self._accepted.get(header)
            if known is not None and time.time() < known[1]:
                return AuthCredentials(["authenticated"]), SimpleUser(known[0])
        try:
            user_id, expires = user_and_expiry(
                header,
                self.secret,
                issuer=self.issuer,
                audience=self.audience,
                max_ttl_seconds=self.max_ttl_seconds,
            )
        except TokenError as exc:
            return AuthCredentials(), Anonymous(str(exc))
        assert header is not None
        if len(self._accepted) >= ACCEPTED_TOKENS:
            self._accepted.clear()  # bounded: endless distinct tokens only evict
        self._accepted[header] = (user_id, expires)
        return AuthCredentials(["authenticated"]), SimpleUser(user_id)
