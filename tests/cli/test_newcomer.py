"""A newcomer's first steps: the demo keeps its secret, `token` signs with it, a busy port
fails before tokens are printed, README's examples answer, --help names the defaults."""

from __future__ import annotations

import os
import re
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from support import TODAY, load_world, make_api

from voucher_graph.auth import user_id_from_header
from voucher_graph.cli import main
from voucher_graph.data.engine import StatementCounter, session_factory
from voucher_graph.demo_setup import demo_secret, printed_users, secret_path
from voucher_graph.world.demo import demo_world

README = Path(__file__).resolve().parents[2] / "README.md"
CLI = [sys.executable, "-c", "import sys; from voucher_graph.cli import main; sys.exit(main())"]


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VOUCHER_GRAPH_")}
    return {**env, "PYTHONUNBUFFERED": "1", **extra}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def test_the_demo_secret_is_kept_beside_the_demo_database(tmp_path: Path) -> None:
    path = secret_path(f"sqlite:///{tmp_path / 'voucher-graph-demo.db'}")
    assert path == tmp_path / "voucher-graph-demo.secret"
    first = demo_secret(path)
    assert demo_secret(path) == first
    assert len(first) >= 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_token_signs_with_the_demo_secret_when_no_secret_is_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith("VOUCHER_GRAPH_"):
            monkeypatch.delenv(name)
    assert main(["token", "o1-admin"]) == 2  # no secret anywhere yet
    secret = demo_secret(secret_path("sqlite:///voucher-graph-demo.db"))
    capsys.readouterr()
    assert main(["token", "o1-admin"]) == 0
    out = capsys.readouterr()
    assert user_id_from_header(f"Bearer {out.out.strip()}", secret) == "o1-admin"
    assert "voucher-graph-demo.secret" in out.err


def start_demo(cwd: Path, port: int) -> tuple[subprocess.Popen[str], dict[str, str]]:
    """`serve --demo`; returns the process and the printed token per user id."""
    process = subprocess.Popen(
        [*CLI, "serve", "--demo", "--port", str(port), "--log-level", "warning"],
        cwd=cwd,
        env=clean_env(VOUCHER_GRAPH_TODAY=TODAY.isoformat()),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    tokens: dict[str, str] = {}
    assert process.stdout is not None
    for line in process.stdout:
        match = re.match(r"\s+(\w+)\s+(\S+)\s+(ey\S+)$", line)
        if match:
            tokens[match.group(2)] = match.group(3)
        elif tokens and not line.strip():
            break
    return process, tokens


def me(port: int, token: str) -> Any:
    for _ in range(200):
        try:
            response = httpx.post(
                f"http://127.0.0.1:{port}/graphql",
                json={"query": "{ me { id } }"},
                headers={"Authorization": f"Bearer {token}"},
                timeout=5,
            )
            return response.json()
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError("the demo server did not answer")


def stop(process: subprocess.Popen[str]) -> None:
    process.terminate()
    process.wait(timeout=20)
    if process.stdout is not None:
        process.stdout.close()  # else a ResourceWarning, an error under filterwarnings


def test_demo_tokens_survive_a_restart_and_a_busy_port_prints_none(tmp_path: Path) -> None:
    port = free_port()
    first, tokens = start_demo(tmp_path, port)
    try:
        assert {"o1-staff", "o2-staff", "p1-recorder", "o1-admin"} <= set(tokens)
        assert me(port, tokens["o1-staff"]) == {"data": {"me": {"id": "o1-staff"}}}
        # A second demo on the same port fails before printing any token.
        second = subprocess.run(
            [*CLI, "serve", "--demo", "--port", str(port)],
            cwd=tmp_path,
            env=clean_env(VOUCHER_GRAPH_TODAY=TODAY.isoformat()),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert second.returncode == 2
        assert "ey" not in second.stdout
        assert f"127.0.0.1:{port}" in second.stderr
    finally:
        stop(first)
    minted = subprocess.run(
        [*CLI, "token", "p1-recorder"],
        cwd=tmp_path,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.strip()
    restarted, _ = start_demo(tmp_path, port)
    try:
        assert me(port, tokens["o1-staff"]) == {"data": {"me": {"id": "o1-staff"}}}
        assert me(port, minted) == {"data": {"me": {"id": "p1-recorder"}}}
    finally:
        stop(restarted)


def readme_example(heading: str) -> str:
    """The first graphql block after the paragraph that starts with `heading`."""
    text = README.read_text(encoding="utf-8")
    after = text[text.index(heading) :]
    match = re.search(r"```graphql\n(.*?)```", after, re.S)
    assert match is not None
    return match.group(1)


async def test_readmes_staff_example_finds_customers_for_every_printed_staff_user(
    engine: AsyncEngine, counter: StatementCounter
) -> None:
    from sqlalchemy import select

    from voucher_graph.data.models import User

    await load_world(engine, demo_world(TODAY))
    async with session_factory(engine)() as session:
        users = printed_users((await session.scalars(select(User))).all())
    staff = [u.id for u in users if u.role == "STAFF"]
    assert len(staff) == 2
    api = make_api(engine, counter)
    try:
        query = readme_example("Organizer STAFF")
        for user in staff:
            edges = (await api.data(query, user=user))["customers"]["edges"]
            assert edges, f"README's STAFF example finds nothing for {user}"
        admin = readme_example("Organizer ADMIN")
        assert (await api.data(admin, user="o1-admin"))["customers"]["edges"]
    finally:
        await api.client.aclose()


def test_readme_links_nothing_outside_the_project() -> None:
    assert "../shared" not in README.read_text(encoding="utf-8")


def test_help_names_defaults_and_environment(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    text = capsys.readouterr().out
    for expected in (
        "(default: 127.0.0.1)",
        "(default: 8000)",
        "VOUCHER_GRAPH_JWT_SECRET",
        "VOUCHER_GRAPH_DATABASE_URL",
        "VOUCHER_GRAPH_CORS_ORIGINS",
        "VOUCHER_GRAPH_PUBLIC_URL",
    ):
        assert expected in text
