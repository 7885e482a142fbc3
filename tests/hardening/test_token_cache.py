"""Accepted tokens are remembered per process (auth.BearerBackend), and a remembered
token is refused the moment it expires, exactly as checking it afresh would refuse it."""

from __future__ import annotations

import asyncio
import time
from types import SimpleNamespace
from typing import Any

from voucher_graph.auth import Anonymous, BearerBackend, issue_token

SECRET = "token-cache-test-secret-0123456789-0123456789"


def request(token: str) -> Any:
    return SimpleNamespace(headers={"authorization": f"Bearer {token}"})


async def test_a_remembered_token_is_refused_once_it_expires() -> None:
    backend = BearerBackend(SECRET, max_ttl_seconds=3600)
    token = issue_token(SECRET, "u1", ttl_seconds=1)
    expires = int(time.time()) + 1  # issue_token counts whole seconds
    _, user = await backend.authenticate(request(token))
    assert user.display_name == "u1"
    _, again = await backend.authenticate(request(token))  # from memory
    assert again.display_name == "u1"
    await asyncio.sleep(max(0.0, expires - time.time()) + 0.05)
    _, late = await backend.authenticate(request(token))
    assert isinstance(late, Anonymous) and late.reason == "invalid token"


async def test_only_accepted_tokens_are_remembered() -> None:
    backend = BearerBackend(SECRET)
    forged = issue_token("another-secret-0123456789-0123456789-0123", "u1")
    for _ in range(2):
        _, user = await backend.authenticate(request(forged))
        assert isinstance(user, Anonymous) and user.reason == "invalid token"
    assert not backend._accepted
