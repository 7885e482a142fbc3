"""One JSON log line per request: request id, user, operation, duration, SQL statement
count and error codes; never a hetu or a name."""

from __future__ import annotations

import json
import logging
import logging.config
import sys
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError
from support import Api

from voucher_graph.data import models as m
from voucher_graph.data.engine import session_factory
from voucher_graph.logging_setup import REQUEST_LOGGER, JsonFormatter, uvicorn_log_config


def request_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    formatter = JsonFormatter()
    return [json.loads(formatter.format(r)) for r in caplog.records if r.name == REQUEST_LOGGER]


async def test_one_line_per_request_without_identities(
    example_api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=REQUEST_LOGGER)
    query = (
        'query Who { customer(id: "c1") { firstName lastName ssn } nope: customer(id: "x") { id } }'
    )
    response = await example_api.post(query, user="u10")
    await example_api.post("{ customers(first: 0) { totalCount } }", user="u10")
    await example_api.post(query, user=None)
    first, second, third = request_lines(caplog)
    assert first["request_id"] == response.headers["x-request-id"]
    assert (first["user_id"], first["operation"], first["status"]) == ("u10", "Who", 200)
    assert first["error_codes"] == [] and first["duration_ms"] >= 0
    assert first["sql_statements"] >= 3  # viewer, customers, access log
    assert second["error_codes"] == ["BAD_USER_INPUT"]
    assert (third["status"], third["user_id"], third["error_codes"]) == (
        401,
        None,
        ["UNAUTHENTICATED"],
    )
    async with session_factory(example_api.engine)() as session:
        customer = await session.get(m.Customer, "c1")
    assert customer is not None
    text = "\n".join(json.dumps(line) for line in (first, second, third))
    for secret in (customer.first_name, customer.last_name, customer.ssn):
        assert secret not in text


async def test_a_rejected_query_logs_zero_statements(
    example_api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=REQUEST_LOGGER)
    await example_api.post("{ " + "me { " * 30 + "id" + " }" * 30 + " }", user="u10")
    [line] = request_lines(caplog)
    assert (line["sql_statements"], line["error_codes"]) == (0, ["QUERY_TOO_COMPLEX"])


def test_exceptions_are_logged_without_sql_parameters() -> None:
    hetu = "".join(["131052", "-308T"])  # not spelled out: tracebacks quote source lines
    try:
        raise IntegrityError("INSERT INTO customer VALUES (?)", (hetu,), Exception("x"))
    except IntegrityError:
        record = logging.LogRecord(
            "voucher_graph.http",
            logging.ERROR,
            __file__,
            1,
            "failed in %s",
            ("abc",),
            exc_info=sys.exc_info(),
        )
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "failed in abc"
    assert line["exception"] == "IntegrityError"
    assert "INSERT INTO customer" in line["exception_message"]
    assert hetu not in json.dumps(line)


@pytest.mark.parametrize("level", ["debug", "info", "warning", "error"])
def test_the_log_level_reaches_uvicorn_workers(level: str) -> None:
    config = uvicorn_log_config(level)
    assert config["loggers"]["voucher_graph"]["level"] == level.upper()
    logging.config.dictConfig({**config, "loggers": {}})  # the config is loadable
