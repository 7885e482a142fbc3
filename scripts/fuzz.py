"""Fuzz the API from its schema (hypothesis-graphql) for longer than the test suite does.

    .venv/bin/python scripts/fuzz.py --examples 2000 [--database-url URL] [--mode both]

Loads the example world into the database (a fresh temporary SQLite file by default;
a PostgreSQL database given here is wiped), then sends generated operations as several
users through the whole HTTP stack (httpx ASGITransport). Fails on any 5xx or any answer
that is not {data} and/or {errors: [{message, extensions.code}]}.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "hardening")]

from fuzzing import USERS, FuzzClient, LoopThread, check_answer, operations  # noqa: E402
from hostile import CODES  # noqa: E402
from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis_graphql import Mode  # noqa: E402
from support import EXAMPLE_WORLD, SECRET, TODAY, load_world, reset_database  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--examples", type=int, default=1000, help="per mode")
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    parser.add_argument("--mode", choices=["valid", "invalid", "both"], default="both")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/fuzz.db"
        loop = LoopThread()
        client = FuzzClient(url, SECRET, TODAY)
        loop.run(reset_database(client.engine))
        loop.run(load_world(client.engine, json.loads(EXAMPLE_WORLD.read_text("utf-8"))))
        modes = {"valid": [Mode.POSITIVE], "invalid": [Mode.NEGATIVE]}.get(
            args.mode, [Mode.POSITIVE, Mode.NEGATIVE]
        )
        statuses: Counter[int] = Counter()
        codes: Counter[str] = Counter()
        failures: list[str] = []
        last = Path(tmp) / "last-query.txt"  # what was in flight, if the run hangs
        started = time.perf_counter()
        try:
            for mode in modes:
                # No shrinking: every failure is recorded as generated, and the run ends.
                @settings(
                    max_examples=args.examples,
                    deadline=None,
                    database=None,
                    suppress_health_check=list(HealthCheck),
                    derandomize=True,
                    phases=[Phase.generate],
                )
                @given(query=operations(mode), user=st.sampled_from(USERS))
                def run(query: str, user: str) -> None:
                    last.write_text(f"{user}\n{query}", encoding="utf-8")
                    try:
                        response = loop.run(client.post(query, user), timeout=60)
                    except TimeoutError:
                        failures.append(f"{user}: {query}\n-> no answer in 60 s")
                        return
                    statuses[response.status_code] += 1
                    try:
                        check_answer(response, CODES)
                    except AssertionError:
                        failures.append(f"{user}: {query}\n-> {response.text[:500]}")
                        return
                    for error in response.json().get("errors") or []:
                        codes[error["extensions"]["code"]] += 1

                run()
        finally:
            loop.run(client.close())
            loop.close()
    seconds = time.perf_counter() - started
    print(f"requests: {sum(statuses.values())} in {seconds:.1f} s")
    print(f"statuses: {dict(sorted(statuses.items()))}")
    print(f"error codes: {dict(codes.most_common())}")
    if failures:
        print(f"FAILURES: {len(failures)}; the first three:")
        print("\n\n".join(failures[:3]))
        return 1
    print("no 5xx, every answer a GraphQL response")
    return 0


if __name__ == "__main__":
    sys.exit(main())
