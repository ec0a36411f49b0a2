"""Log lines as JSON (one object per line) or text, each with the request id.

``MEMORY_LOG_FORMAT``: ``json`` or ``text``; unset, ``text`` in development (a person
reads the terminal) and ``json`` elsewhere (a machine reads the logs). Fields passed with
``extra={...}`` become JSON keys (``key=value`` in text). Whatever the format, shapes of
secrets — API keys and refresh tokens (``mm_…``, ``mmr_…``), JWTs, ``Bearer …`` values,
passwords in URLs, ``token=`` style query parameters — are replaced by ``[redacted]``
before a line is written: defence in depth, since no code path should log them at all.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime
from typing import IO, TYPE_CHECKING, Any, Literal

from memory_mesh.http.context import request_id_var

if TYPE_CHECKING:
    from memory_mesh.config import Settings

LogFormat = Literal["json", "text"]

# attributes every LogRecord has; anything else on a record came from ``extra=``
# (uvicorn's color_message is its message again, with terminal colour codes)
_STANDARD = frozenset(
    logging.LogRecord("", 0, "", 0, "", (), None).__dict__.keys()
    | {"message", "asctime", "taskName", "color_message"}
)
_REDACTIONS = (
    (re.compile(r"\bmmr?_[A-Za-z0-9_-]{20,}"), "[redacted]"),
    (re.compile(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+"), "[redacted]"),
    (re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/=-]+"), r"\1[redacted]"),
    (re.compile(r"(://[^:/@\s\"]*:)[^@/\s\"]+@"), r"\1[redacted]@"),
    (re.compile(r"(?i)\b((?:access_token|api_key|token|password)=)[^&\s\"']+"), r"\1[redacted]"),
)


def redact(text: str) -> str:
    """``text`` with anything shaped like a credential replaced by ``[redacted]``."""
    for pattern, replacement in _REDACTIONS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFilter(logging.Filter):
    """Redacts a record's message before any formatter sees it (for handlers whose
    formatter is not one of these, e.g. Powertools' JSON formatter in Lambda)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    return {
        key: value
        for key, value in record.__dict__.items()
        if key not in _STANDARD and not key.startswith("_")
    }


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, message, request_id, extras."""

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = request_id_var.get()
        if request_id is not None:
            payload["request_id"] = request_id
        payload.update(_extras(record))
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            payload["stack"] = self.formatStack(record.stack_info)
        return redact(json.dumps(payload, default=str, ensure_ascii=False))


class TextFormatter(logging.Formatter):
    """``time LEVEL logger: message key=value ...`` with the request id among the keys."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        fields = _extras(record)
        request_id = request_id_var.get()
        if request_id is not None and "request_id" not in fields:
            fields = {"request_id": request_id, **fields}
        if fields:
            head, sep, tail = line.partition("\n")  # keep a traceback below the fields
            pairs = " ".join(f"{k}={v}" for k, v in fields.items() if v is not None)
            line = f"{head} {pairs}{sep}{tail}"
        return redact(line)


def log_format(settings: Settings) -> LogFormat:
    """The configured format, or text in development and JSON elsewhere."""
    if settings.log_format is not None:
        return settings.log_format
    return "text" if settings.environment == "development" else "json"


def configure_logging(settings: Settings, stream: IO[str] | None = None) -> logging.Handler:
    """Send every log record (the root logger) to ``stream`` (stderr) in the configured
    format at ``MEMORY_LOG_LEVEL``. Calling it again replaces the handler it installed."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter() if log_format(settings) == "json" else TextFormatter())
    handler.set_name("memory-mesh")
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == "memory-mesh"]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    logging.getLogger("pgserver").setLevel(logging.WARNING)  # it logs every pg_ctl call
    return handler
