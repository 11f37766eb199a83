"""How every process writes its log: the human text format or JSON lines, never a whole email
address or phone number.

The format is the formatter of the root logger's handlers, whoever installed them: the CLI's
own (aftercart/cli.py) or faust's worker (runtime/apps.py), so one pass here covers both.
Masking is the formatter's last step, exception text included: a provider's error message
quoting the recipient is masked like our own words.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Literal

import orjson

from schemas.masking import mask

LogFormat = Literal["text", "json"]
# What a log line may say about the one message it is about: passed as `extra=`, or put on
# it by MessageIds.
IDS = ("event_id", "notification_id", "customer_id")

# The ids of the message the running task handles (`log_about`). A channel worker handles
# each message in a task of its own, so what one sets is seen by no other.
_ABOUT: ContextVar[dict[str, str] | None] = ContextVar("aftercart_log_about", default=None)


def ids_of(subject: object) -> dict[str, str]:
    """Whichever of event_id, notification_id and customer_id `subject` has (a notification
    request, a rendered message)."""
    found = {name: getattr(subject, name, None) for name in IDS}
    return {name: value for name, value in found.items() if isinstance(value, str) and value}


def log_about(subject: object) -> None:
    """From here to the end of the running task, every log line carries the ids of `subject`
    (unless the line names its own with `extra=`)."""
    _ABOUT.set(ids_of(subject))


class MessageIds(logging.Filter):
    """Puts the ids of the message the running task handles (`log_about`) on each record."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Always keeps the record."""
        for name, value in (_ABOUT.get() or {}).items():
            if name not in record.__dict__:
                setattr(record, name, value)
        return True


def ids_in(value: bytes | None) -> dict[str, str]:
    """The ids a raw record names, as far as it can be read: a CloudEvent's id and customer,
    a notification request's ids. For the line about a record that could not be processed."""
    try:
        record = orjson.loads(value or b"")
    except orjson.JSONDecodeError:
        return {}
    if not isinstance(record, dict):
        return {}
    data = record.get("data")
    found = {
        "event_id": record.get("event_id", record.get("id")),
        "notification_id": record.get("notification_id"),
        "customer_id": record.get(
            "customer_id", data.get("customer_id") if isinstance(data, dict) else None
        ),
    }
    return {name: value for name, value in found.items() if isinstance(value, str) and value}


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, the ids the record carries, and
    the exception when there is one; every value masked."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one JSON line."""
        line: dict[str, str] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in IDS:
            value = record.__dict__.get(name)
            if value:
                line[name] = str(value)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        # Each value on its own, before JSON escapes a newline into a letter beside a number.
        return orjson.dumps({name: mask(value) for name, value in line.items()}).decode()


class MaskingFormatter(logging.Formatter):
    """Another formatter's line, masked: the human format stays as it was."""

    def __init__(self, inner: logging.Formatter | None) -> None:
        super().__init__()
        self.inner = inner or logging.Formatter()

    def format(self, record: logging.LogRecord) -> str:
        """The inner formatter's line, masked."""
        return mask(self.inner.format(record))


def use_log_format(handlers: Iterable[logging.Handler], log_format: LogFormat) -> None:
    """Give each handler the formatter of `log_format`, masked either way (JSON lines, or its
    own human format masked), and the ids of the message being handled."""
    for handler in handlers:
        own = handler.formatter
        if isinstance(own, MaskingFormatter):
            own = own.inner
        handler.setFormatter(JsonFormatter() if log_format == "json" else MaskingFormatter(own))
        if not any(isinstance(f, MessageIds) for f in handler.filters):
            handler.addFilter(MessageIds())
