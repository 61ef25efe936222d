"""JSON log lines on stdout, shared by the Flask app and gunicorn (see gunicorn.conf.py).

One JSON object per line: ts (UTC, ISO 8601), level, logger, message, plus any `extra=`
fields a caller passed. Callers must never put secrets in a message or extra field: in
particular DATABASE_URL and REDIS_URL carry passwords and are never logged.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import datetime, timezone

APP_LOGGER = "atlantiplex"

# Attributes every LogRecord has; anything else on a record came from `extra=`.
_RECORD_ATTRS = frozenset(
    vars(logging.LogRecord("x", logging.INFO, "x", 0, "x", None, None))
) | {"message", "asctime", "taskName"}

LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "warn": logging.WARNING,
    "error": logging.ERROR,
    "critical": logging.CRITICAL,
}


def parse_level(name: str | None, default: int = logging.INFO) -> int:
    """LOG_LEVEL (debug | info | warning | error | critical, any case) as a logging level."""
    if not name:
        return default
    return LEVELS.get(name.strip().lower(), default)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, tz=timezone.utc).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "pid": record.process,
        }
        for key, value in vars(record).items():
            if key not in _RECORD_ATTRS and not key.startswith("_") and key not in entry:
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class StdoutHandler(logging.StreamHandler):
    """A StreamHandler that always writes to the current sys.stdout.

    Looking sys.stdout up on every record (instead of keeping the stream it saw at
    start-up) keeps it working when something swaps sys.stdout, as pytest's capture does.
    """

    def __init__(self) -> None:
        super().__init__(sys.stdout)

    @property  # type: ignore[override]
    def stream(self):
        return sys.stdout

    @stream.setter
    def stream(self, _value) -> None:
        pass


def configure_app_logger(level: int, name: str = APP_LOGGER) -> logging.Logger:
    """The app's logger: JSON to stdout, not propagated (gunicorn configures its own)."""
    logger = logging.getLogger(name)
    logger.setLevel(level)
    logger.propagate = False
    if not any(isinstance(h, StdoutHandler) for h in logger.handlers):
        handler = StdoutHandler()
        handler.setFormatter(JsonFormatter())
        logger.addHandler(handler)
    return logger
