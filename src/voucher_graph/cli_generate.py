"""`voucher-graph generate`: a synthetic world of N customers, written into the database."""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime

from .settings import Settings


async def run_generate(settings: Settings, customers: int, seed: int, *, replace: bool) -> int:
    """Generate into the configured database; print `ROLE USER_ID` lines of wide viewers."""
    from .data.engine import create_engine, session_factory
    from .data.generate import clear_world, generate_world
    from .data.migrate import upgrade
    from .data.writer import has_data, refresh_statistics
    from .domain.dates import helsinki_today
    from .world.synthetic import SyntheticWorld

    if customers < 1:
        print("voucher-graph: --customers must be at least 1", file=sys.stderr)
        return 2
    # The world is built around today (VOUCHER_GRAPH_TODAY when set): the same
    # customers, seed and today give the same rows.
    today = settings.today or helsinki_today(datetime.now(UTC))

    def progress(line: str) -> None:
        print(f"  {line}", file=sys.stderr, flush=True)

    began = time.monotonic()
    engine = create_engine(settings.database_url)
    try:
        await upgrade(engine)
        async with session_factory(engine)() as session, session.begin():
            if await has_data(session):
                if not replace:
                    print(
                        "voucher-graph: the database already holds data; use --replace",
                        file=sys.stderr,
                    )
                    return 2
                progress("clearing the world's tables (the access log is kept) ...")
                await clear_world(session)
            print(
                f"generating {customers:,} customers (seed {seed}, today {today}) ...",
                file=sys.stderr,
            )
            world = SyntheticWorld(customers, seed, today)
            viewers = await generate_world(session, world, progress=progress)
            progress("committing ...")
        progress("vacuuming and analyzing (statistics, visibility map) ...")
        await refresh_statistics(engine)
    finally:
        await engine.dispose()
    print(
        f"generated in {time.monotonic() - began:.1f} s; users who see many customers:",
        file=sys.stderr,
    )
    for viewer in viewers:
        print(f"  {viewer.role} {viewer.user_id}: {viewer.customers:,} customers", file=sys.stderr)
        print(f"{viewer.role} {viewer.user_id}")
    return 0
