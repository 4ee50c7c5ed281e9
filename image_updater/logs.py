"""Structured logs with secrets masked before anything reaches a stream.

Operators grep JSON lines in production and read plain text on a terminal, so one event carries the
same fields in both formats.  Redaction sits in the formatter, at the last moment, because a secret
can arrive through any path (an exception text, a URL in a registry error, a header dump) and a
filter on one logger would miss records from libraries (httpx, uvicorn) that log on their own.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Iterable, Mapping, MutableMapping
from typing import Any, Literal, TextIO

from pydantic import BaseModel, ConfigDict, field_validator

from image_updater.secrets import REDACTOR, Redactor, register_secret

_LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "warn": logging.WARNING,
    "error": logging.ERROR,
    "critical": logging.CRITICAL,
}

_FIELDS_ATTR = "iu_fields"


class LogSettings(BaseModel):
    """``service.log_format`` and ``service.log_level``: every command logs through them, not only ``run``."""

    model_config = ConfigDict(extra="forbid")

    log_format: Literal["auto", "json", "text"] = "auto"
    log_level: str = "info"

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.strip().lower()
        if level not in _LEVELS:
            raise ValueError(f"{value!r}: log_level is one of debug, info, warning, error, critical")
        return level


#: What every LogRecord carries; anything else on a record came in through ``extra=``.
_RECORD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "taskName"}


def fields_of(record: logging.LogRecord) -> dict[str, Any]:
    """The event's fields: ours (``log.info("…", key=value)``), then any a library passed with ``extra=``."""
    fields = getattr(record, _FIELDS_ATTR, None)
    out = dict(fields) if isinstance(fields, Mapping) else {}
    for key, value in vars(record).items():
        if key not in _RECORD_ATTRS and key != _FIELDS_ATTR:
            out.setdefault(key, value)
    return out


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, event, then the event's own fields."""

    def __init__(self, redactor: Redactor = REDACTOR) -> None:
        super().__init__()
        self._redactor = redactor

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": self._redactor.redact(record.getMessage()),
        }
        for key, value in self._redactor.redact_value(fields_of(record)).items():
            out.setdefault(key, value)
        if record.exc_info:
            out["error"] = self._redactor.redact(self.formatException(record.exc_info))
        return json.dumps(out, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """``time level logger: event key=value …`` for people reading a terminal."""

    def __init__(self, redactor: Redactor = REDACTOR) -> None:
        super().__init__()
        self._redactor = redactor

    def format(self, record: logging.LogRecord) -> str:
        stamp = time.strftime("%H:%M:%S", time.localtime(record.created))
        line = f"{stamp} {record.levelname:<7} {record.name}: {record.getMessage()}"
        fields = " ".join(f"{k}={_text_value(v)}" for k, v in self._redactor.redact_value(fields_of(record)).items())
        if fields:
            line = f"{line} {fields}"
        if record.exc_info:
            line = f"{line}\n{self.formatException(record.exc_info)}"
        return self._redactor.redact(line)


def _text_value(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return json.dumps(text) if (not text or any(c.isspace() for c in text)) else text


class EventLogger(logging.LoggerAdapter[logging.Logger]):
    """``log.info("cycle finished", image="web", duration=1.2)``: keyword arguments become fields."""

    def process(self, msg: Any, kwargs: MutableMapping[str, Any]) -> tuple[Any, MutableMapping[str, Any]]:
        passthrough = {k: kwargs.pop(k) for k in ("exc_info", "stack_info", "stacklevel", "extra") if k in kwargs}
        extra = dict(passthrough.pop("extra", None) or {})
        fields = {**(self.extra or {}), **kwargs}
        extra[_FIELDS_ATTR] = fields
        passthrough["extra"] = extra
        return msg, passthrough

    def bind(self, **fields: Any) -> EventLogger:
        """A logger that adds ``fields`` to every event (e.g. the image a cycle step works on)."""
        return EventLogger(self.logger, {**(self.extra or {}), **fields})


def get_logger(name: str) -> EventLogger:
    return EventLogger(logging.getLogger(name), {})


def parse_level(level: str) -> int:
    try:
        return _LEVELS[level.strip().lower()]
    except KeyError:
        raise ValueError(f"unknown log level {level!r}: use one of debug, info, warning, error") from None


_HANDLER_MARK = "_image_updater_handler"


def configure_logging(
    fmt: str = "auto", level: str = "info", secrets: Iterable[str | None] = (), *, stream: TextIO | None = None
) -> logging.Handler:
    """Route every logger (ours and libraries') through one redacting handler on ``stream``.

    ``fmt="auto"`` writes text when the stream is a terminal and JSON otherwise, so a container
    emits JSON without extra configuration.  Calling it again replaces the previous handler.
    """
    target = stream if stream is not None else sys.stderr
    if fmt == "auto":
        fmt = "text" if hasattr(target, "isatty") and target.isatty() else "json"
    if fmt not in ("json", "text"):
        raise ValueError(f"unknown log format {fmt!r}: use auto, json or text")
    register_secret(*secrets)
    handler = logging.StreamHandler(target)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    setattr(handler, _HANDLER_MARK, True)
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, _HANDLER_MARK, False)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(parse_level(level))
    for noisy in ("uvicorn", "uvicorn.error", "uvicorn.access", "apscheduler", "httpx", "httpcore"):
        lib = logging.getLogger(noisy)
        lib.handlers.clear()
        lib.propagate = True
    # Library chatter at info (every scheduler tick, every HTTP request) drowns the events that matter.
    for chatty in ("apscheduler", "httpx", "httpcore"):
        logging.getLogger(chatty).setLevel(max(parse_level(level), logging.WARNING))
    return handler
