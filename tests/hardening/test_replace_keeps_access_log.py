"""`load --replace` replaces the world but keeps the access log, the legal record of
past reads (CONTRACT.md, commands)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from support import EXAMPLE_WORLD

from voucher_graph import cli
from voucher_graph.data import models as m


def test_load_replace_keeps_the_access_log(tmp_path: Path) -> None:
    # Its own SQLite file: the command runs its own event loop and engine.
    url = f"sqlite:///{tmp_path / 'replace.db'}"
    assert cli.main(["load", "--database-url", url, str(EXAMPLE_WORLD)]) == 0
    engine = sa.create_engine(url)
    row = {"user_id": "u10", "customer_id": "c1", "fields": ["ssn"], "operation": "Seen"}
    with engine.begin() as connection:
        connection.execute(sa.insert(m.AccessLogEntry), [{**row, "at": datetime.now(UTC)}])
    assert cli.main(["load", "--database-url", url, "--replace", str(EXAMPLE_WORLD)]) == 0
    with engine.connect() as connection:
        kept = connection.execute(
            sa.select(
                m.AccessLogEntry.user_id,
                m.AccessLogEntry.customer_id,
                m.AccessLogEntry.fields,
                m.AccessLogEntry.operation,
            )
        ).all()
        customers = connection.scalar(sa.select(sa.func.count()).select_from(m.Customer))
    engine.dispose()
    assert [tuple(r) for r in kept] == [("u10", "c1", ["ssn"], "Seen")]
    assert customers  # the world itself was replaced, not appended to or lost
