"""Fuzzing the whole HTTP stack from the schema: zero 5xx, every answer a valid GraphQL
response. Small here (VOUCHER_GRAPH_FUZZ_EXAMPLES, default 50); scripts/fuzz.py runs more."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from fuzzing import USERS, FuzzClient, LoopThread, check_answer, operations
from hostile import CODES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode
from sqlalchemy.ext.asyncio import AsyncEngine
from support import SECRET, TODAY, load_world

EXAMPLES = int(os.environ.get("VOUCHER_GRAPH_FUZZ_EXAMPLES", "50"))


@pytest.fixture(scope="module")
def fuzz(
    engine: AsyncEngine, example_world: dict[str, Any]
) -> Iterator[tuple[LoopThread, FuzzClient]]:
    loop = LoopThread()
    client = FuzzClient(engine.url.render_as_string(hide_password=False), SECRET, TODAY)
    loop.run(load_world(client.engine, example_world))
    yield loop, client
    loop.run(client.close())
    loop.close()


FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,  # the same examples every run: a failure here is reproducible
    database=None,
)


@pytest.mark.parametrize("mode", [Mode.POSITIVE, Mode.NEGATIVE], ids=["valid", "invalid"])
def test_fuzzed_operations_get_graphql_answers(
    fuzz: tuple[LoopThread, FuzzClient], mode: Mode
) -> None:
    loop, client = fuzz

    @FUZZ_SETTINGS
    @given(query=operations(mode), user=st.sampled_from(USERS))
    def check(query: str, user: str) -> None:
        check_answer(loop.run(client.post(query, user)), CODES)

    check()
    check_answer(loop.run(client.post("{ me { id } }", "u1")), CODES)
