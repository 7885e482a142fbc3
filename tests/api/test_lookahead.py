"""`customer(id)` with `events` selected reads both in one statement
(Loaders.customer_with_events, a look-ahead of the batched executor). The statement
joins the viewer's events to the viewer's customers, so it reads no event of a
customer the viewer may not see, even where the events' own scope would allow it
(a provider's events older than the 3-year window)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from support import SECRET, TODAY, load_world

from voucher_graph.app import Services
from voucher_graph.data import models as m
from voucher_graph.data.engine import read_rows, session_factory
from voucher_graph.data.loaders import EventsKey
from voucher_graph.policies.oso_setup import create_oso
from voucher_graph.settings import Settings

USERS = ["u1", "u2", "u10", "u11"]  # the example world's RECORDER, REPORTER, ADMIN, STAFF


async def test_the_joined_statement_reads_nothing_of_a_hidden_customer(
    engine: AsyncEngine, example_world: dict[str, Any]
) -> None:
    await load_world(engine, example_world)
    settings = Settings(database_url=str(engine.url), jwt_secret=SECRET, today=TODAY)
    services = Services(
        settings=settings, engine=engine, sessions=session_factory(engine), oso=create_oso()
    )
    async with services.sessions() as session:
        customer_ids = list((await session.scalars(select(m.Customer.id))).all())
    hidden_with_scoped_events = 0
    for user in USERS:
        async with services.sessions() as session:
            context = await services.open_context(session, user, request_id="lookahead")
            assert context is not None
            loaders = context.loaders
            statements = loaders.statements
            for customer_id in customer_ids:
                visible = await read_rows(session, statements.customers, {"ids": [customer_id]})
                # customer(id) alone reads one id by a scalar parameter: the same row.
                one = await read_rows(session, statements.one_customer, {"id": customer_id})
                assert [tuple(r) for r in one] == [tuple(r) for r in visible]
                scoped = await read_rows(
                    session, statements.events[(False, False)], {"ids": [customer_id]}
                )
                joined = await read_rows(
                    session,
                    statements.customers_with_events[(False, False)],
                    {"id": customer_id},
                )
                if not visible:
                    assert joined == []
                    hidden_with_scoped_events += bool(scoped)
                    continue
                # Visible: the customer's row, then exactly the events of its scope.
                events = sorted(r.e_id for r in joined if r.e_id is not None)
                assert events == sorted(r.id for r in scoped)
                assert {r.c_id for r in joined} == {customer_id}
                found = await loaders.customer_with_events(EventsKey(customer_id, None, None))
                assert found is not None and found.id == customer_id
                assert found._mapping == dict(visible[0]._mapping)
    # Not vacuous: some hidden customer has events the events' scope alone would read.
    assert hidden_with_scoped_events > 0
