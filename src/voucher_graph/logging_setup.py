"""Structured logs: JSON lines, one per request (the per-request SQL statement count
they carry is kept in data/engine.py, next to the tests' StatementCounter)."""

from __future__ import annotations

import logging
import re
import sys
import traceback
from datetime import UTC, datetime
from typing import Any

import orjson

REQUEST_LOGGER = "voucher_graph.request"
# SQLAlchemy puts bound parameters (which may be a hetu or a name) into exception text.
_PARAMETERS = re.compile(r"\[parameters: .*?\]( \(Background.*\))?", re.DOTALL)


class JsonFormatter(logging.Formatter):
    """One JSON object per line; `extra={"fields": {...}}` adds keys. Exceptions keep
    their type and frames but lose SQL parameters, which may carry personal data."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            # Which worker process wrote it (serve --workers N).
            "pid": record.process,
            "message": _scrub(record.getMessage()),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            entry.update(fields)
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            entry["exception"] = type(exc).__name__
            entry["exception_message"] = _scrub(str(exc))
            entry["traceback"] = "".join(traceback.format_tb(exc.__traceback__))
        # orjson: a few µs per request line, against ten for json.dumps.
        return orjson.dumps(entry, default=str).decode()


def _scrub(text: str) -> str:
    return _PARAMETERS.sub("[parameters hidden]", text)


def configure_logging(level: str = "info") -> None:
    """JSON lines on stderr for the application's loggers, at `level`."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger("voucher_graph")
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    root.propagate = False


def uvicorn_log_config(level: str = "info") -> dict[str, Any]:
    """A logging dictConfig for uvicorn (applied in every worker): JSON lines for the
    application and for uvicorn's own messages; our request line replaces its access log."""
    handler = {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {"json": handler},
        "loggers": {
            "voucher_graph": {"handlers": ["json"], "level": level.upper(), "propagate": False},
            "uvicorn": {"handlers": ["json"], "level": level.upper(), "propagate": False},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        },
    }
