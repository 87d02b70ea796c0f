"""Structured logs: one JSON object per line on standard error, for the web app, the scheduler and crawls.

Each line holds ``time`` (ISO 8601, UTC), ``level``, ``process`` (web, scheduler, crawl, cli), ``pid``,
``logger``, ``message``, and when set ``request_id`` (web) or ``job_id`` (scheduler, crawls), plus the
``extra={...}`` fields a caller gives. journald, Loki or any log shipper reads them as they are.

Settings (environment): ``OHMYLOT_LOG_FORMAT`` (``json``, default, or ``text`` for people at a terminal),
``OHMYLOT_LOG_LEVEL`` (``INFO``).
"""

from __future__ import annotations

import json
import logging
import logging.config
import os
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

request_id: ContextVar[str | None] = ContextVar("ohmylot_request_id", default=None)
job_id: ContextVar[str | None] = ContextVar("ohmylot_job_id", default=None)

# The attributes every LogRecord has: anything else was given through ``extra=`` and is written out.
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON line (see the module docstring)."""

    def __init__(self, process_name: str) -> None:
        super().__init__()
        self.process_name = process_name

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "process": self.process_name,
            "pid": record.process,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name, var in (("request_id", request_id), ("job_id", job_id)):
            value = getattr(record, name, None) or var.get()
            if value:
                entry[name] = value
        for key, value in record.__dict__.items():
            if key not in _STANDARD and key not in entry:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def logging_config(process_name: str) -> dict[str, Any]:
    """A ``logging.config.dictConfig`` dictionary (also what ``uvicorn.run(log_config=...)`` takes)."""
    text = os.environ.get("OHMYLOT_LOG_FORMAT", "json").strip().lower() == "text"
    formatter: dict[str, Any] = (
        {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"} if text
        else {"()": "store.logs.JsonFormatter", "process_name": process_name}
    )
    level = os.environ.get("OHMYLOT_LOG_LEVEL", "INFO").strip().upper() or "INFO"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"ohmylot": formatter},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "ohmylot",
                                "stream": "ext://sys.stderr"}},
        "root": {"handlers": ["stderr"], "level": level},
        # uvicorn's loggers go through ours (one format for the whole process)
        "loggers": {
            **{name: {"handlers": [], "propagate": True} for name in ("uvicorn", "uvicorn.error", "uvicorn.access")},
            # Alembic says "Context impl …" at every start: only its warnings matter in production logs
            "alembic": {"level": "WARNING"},
        },
    }


def configure_logging(process_name: str) -> None:
    """Send every log of this process to standard error, as JSON lines unless ``OHMYLOT_LOG_FORMAT=text``."""
    logging.config.dictConfig(logging_config(process_name))
