"""Logging: one line per record on standard error, plain (the default) or JSON
(``LOG_FORMAT=json``, for a log shipper), and never a secret in either: the ``redact`` filter
masks the password of any URL (``postgres://ccap:...@db``) and ``password=`` or ``secret=``
style values before a record is formatted. Standard library only: the JSON is a few fields, and
a package would add nothing here."""

import json
import logging
import re
from datetime import UTC, datetime
from typing import Any

# scheme://user:password@host -> scheme://user:***@host
URL_PASSWORD = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^:/@\s]*:)[^@/\s]+@", re.I)
# password=..., "secret": "...", token: ..., api_key=... (a word, then = or :, then the value)
KEY_VALUE = re.compile(
    r"(?P<key>\b[\w-]*(?:password|passwd|secret|token|api[_-]?key)[\w-]*\b[\"']?\s*[=:]\s*[\"']?)"
    r"(?P<value>[^\s\"',;&]+)",
    re.I,
)
MASK = "***"
# The attributes every LogRecord has; anything else was passed in ``extra=``.
STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


def redacted(text: str) -> str:
    text = URL_PASSWORD.sub(lambda m: f"{m['head']}{MASK}@", text)
    return KEY_VALUE.sub(lambda m: f"{m['key']}{MASK}", text)


class RedactSecrets(logging.Filter):
    """Masks secrets in the message (its arguments merged in) and in the traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redacted(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redacted(record.exc_text)
        return True


class JsonFormatter(logging.Formatter):
    """``{"time", "level", "logger", "message"}``, plus ``exception`` and any ``extra=``
    fields, one JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        for key, value in vars(record).items():
            if key not in STANDARD and not key.startswith("_"):
                entry[key] = value if isinstance(value, int | float | bool | None) else str(value)
        return json.dumps(entry, ensure_ascii=False)
