"""Tokens live no longer than the configured maximum, `token` issues none beyond it, and
the ASGI entry point refuses to start without a strong secret."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import jwt
import pytest
from support import SECRET, Api

from voucher_graph import cli
from voucher_graph.auth import TokenError, user_id_from_header
from voucher_graph.settings import Settings

MAX = Settings().jwt_max_ttl_seconds
NOW = int(time.time())


@pytest.mark.parametrize(
    "exp",
    [2**62, 2**31, NOW + MAX + 3600],
    ids=["2^62", "2038", "an hour over the maximum"],
)
async def test_a_token_living_beyond_the_maximum_gets_401(example_api: Api, exp: int) -> None:
    token = jwt.encode({"sub": "u1", "iat": NOW, "exp": exp}, SECRET)
    response = await example_api.client.post(
        "/graphql", json={"query": "{ me { id } }"}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 401
    assert [e["extensions"]["code"] for e in response.json()["errors"]] == ["UNAUTHENTICATED"]
    assert await example_api.data("{ me { id } }", user="u1") == {"me": {"id": "u1"}}


async def test_a_token_within_the_maximum_is_accepted(example_api: Api) -> None:
    token = jwt.encode({"sub": "u1", "exp": int(time.time()) + MAX - 5}, SECRET)
    response = await example_api.client.post(
        "/graphql", json={"query": "{ me { id } }"}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200


def test_the_maximum_is_a_setting() -> None:
    settings = Settings.from_env({"VOUCHER_GRAPH_JWT_MAX_TTL_SECONDS": "600"})
    assert settings.jwt_max_ttl_seconds == 600
    token = jwt.encode({"sub": "u1", "exp": NOW + 1200}, SECRET)
    with pytest.raises(TokenError, match="lifetime"):
        user_id_from_header(f"Bearer {token}", SECRET, max_ttl_seconds=600, now=NOW)
    assert user_id_from_header(f"Bearer {token}", SECRET, max_ttl_seconds=1200, now=NOW) == "u1"
    for bad in ("0", "-5", "ten", "1e9"):
        with pytest.raises(ValueError, match="VOUCHER_GRAPH_JWT_MAX_TTL_SECONDS"):
            Settings.from_env({"VOUCHER_GRAPH_JWT_MAX_TTL_SECONDS": bad})


@pytest.mark.parametrize("ttl", ["-5", "0", str(MAX + 1), str(2**62)])
def test_the_token_command_refuses_a_lifetime_of_zero_or_less_or_over_the_maximum(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], ttl: str
) -> None:
    monkeypatch.setenv("VOUCHER_GRAPH_JWT_SECRET", SECRET)
    monkeypatch.delenv("VOUCHER_GRAPH_JWT_MAX_TTL_SECONDS", raising=False)
    assert cli.main(["token", "u1", "--ttl", ttl]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""  # no token printed
    assert "--ttl must be between 1 and" in captured.err


def test_the_token_command_issues_within_the_maximum(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("VOUCHER_GRAPH_JWT_SECRET", SECRET)
    monkeypatch.delenv("VOUCHER_GRAPH_JWT_MAX_TTL_SECONDS", raising=False)
    assert cli.main(["token", "u1", "--ttl", str(MAX)]) == 0
    claims = jwt.decode(capsys.readouterr().out.strip(), SECRET, algorithms=["HS256"])
    assert claims["exp"] - claims["iat"] == MAX


def _environment(tmp_path: Path, secret: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VOUCHER_GRAPH_")}
    env["VOUCHER_GRAPH_DATABASE_URL"] = f"sqlite:///{tmp_path / 'asgi.db'}"
    if secret is not None:
        env["VOUCHER_GRAPH_JWT_SECRET"] = secret
    return env


@pytest.mark.parametrize(
    ("secret", "refusal"), [(None, "not set"), ("short-secret", "too weak"), ("x" * 31, "too weak")]
)
def test_uvicorn_refuses_to_start_the_asgi_app_without_a_strong_secret(
    tmp_path: Path, secret: str | None, refusal: str
) -> None:
    # If the app started, uvicorn would serve until the timeout kills it: the test fails.
    finished = subprocess.run(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "voucher_graph.asgi:app",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
        ],
        env=_environment(tmp_path, secret),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert finished.returncode != 0
    assert refusal in finished.stderr


def test_the_asgi_app_builds_with_a_strong_secret(tmp_path: Path) -> None:
    finished = subprocess.run(
        [sys.executable, "-c", "import voucher_graph.asgi as a; print(type(a.app).__name__)"],
        env=_environment(tmp_path, SECRET),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr
    assert finished.stdout.strip() == "Starlette"
