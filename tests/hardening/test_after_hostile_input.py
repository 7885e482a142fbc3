"""After every kind of hostile input of issue 11 and 12, sent to one app, the server
answers an ordinary query exactly as before: same data, same SQL statement count."""

from __future__ import annotations

import asyncio

import jwt
from hostile import assert_graphql_answer
from support import SECRET, Api
from test_document_refusals import of_type_chain
from test_validation_budget import REPEATED_ME

ORDINARY = '{ me { id } customer(id: "c2") { id events { price copay status } } }'
RECORD = """mutation { recordEvent(input: {purchasingPowerId: "pp4", contentId: "k5",
  serviceDate: "2026-11-02", units: "99999999.99", unitPrice: "99999999999.99"}) { id } }"""
FAILING = """{ a: customers(name: "a") { totalCount } event(id: "e0001") { id }
  bad: customers(first: 0) { totalCount } }"""


async def test_the_server_answers_as_before_after_hostile_input(example_api: Api) -> None:
    await example_api.data(ORDINARY, user="u1")  # a warm process: reference tables kept
    example_api.counter.reset()
    before = await example_api.data(ORDINARY, user="u1")
    statements = example_api.counter.count
    forever = jwt.encode({"sub": "u1", "exp": 2**62}, SECRET)
    hostile = [
        example_api.post(REPEATED_ME, user="u1"),
        example_api.post(of_type_chain(50), user="u1"),
        example_api.post("query A { me { id } } query B { me { name } }", user="u1"),
        example_api.post(RECORD, user="u1"),
        example_api.post(FAILING, user="u1"),
        example_api.client.post(
            "/graphql", json={"query": ORDINARY}, headers={"Authorization": f"Bearer {forever}"}
        ),
        example_api.client.get("/print/copay-statement", params={"token": "x.y.z"}),
    ]
    for response in await asyncio.gather(*hostile):
        assert response.status_code < 500
        if response.headers.get("content-type", "").startswith("application/json"):
            assert_graphql_answer(response)
    example_api.counter.reset()
    assert await example_api.data(ORDINARY, user="u1") == before
    assert example_api.counter.count == statements
