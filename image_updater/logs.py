"""Structured logs with secrets masked before anything reaches a stream.

Operators grep JSON lines in production and read plain text on a terminal, so one event carries the
same fields in both formats.  Redaction sits in the formatter, at the last moment, because a secret
can arrive through any path (an exception text, a URL in a registry error, a header dump) and a
filter on one logger would miss records from libraries (httpx, uvicorn) that log on their own.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
import time
from collections.abc import Iterable, Mapping, MutableMapping
from typing import Any, TextIO

MASK = "***"
MIN_SECRET_LENGTH = 4
"""Shorter values are not masked by value: masking "ab" everywhere would garble every line."""

_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING,
           "warn": logging.WARNING, "error": logging.ERROR, "critical": logging.CRITICAL}

# Shapes that carry credentials whatever their value: header dumps, query parameters, URL userinfo.
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?i)\b((?:proxy-)?authorization[\"']?\s*[:=]\s*[\"']?)(?:(?:bearer|basic|token)\s+)?"
                r"[^\s\"',;}]+"), rf"\1{MASK}"),
    (re.compile(r"(?i)\b(x-gitlab-token[\"']?\s*[:=]\s*[\"']?)[^\s\"',;}]+"), rf"\1{MASK}"),
    (re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/=-]{8,}"), rf"\1{MASK}"),
    (re.compile(r"(?i)\b((?:access_|refresh_|id_)?token|password|passwd|secret|api_?key)"
                r"([\"']?\s*[=:]\s*[\"']?)[^\s&\"',;}]+"), rf"\1\2{MASK}"),
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s:@]*:[^/\s@]*@"), rf"\1{MASK}@"),
)


_SECRET_KEY = re.compile(r"(?i)(password|passwd|secret|token|authorization|api_?key)$")
"""Field names whose values are masked whole, whatever they look like."""


class Redactor:
    """Masks registered secret values and credential-shaped text; safe to share across threads."""

    def __init__(self) -> None:
        self._secrets: tuple[str, ...] = ()
        self._lock = threading.Lock()

    def register(self, *secrets: str | None) -> None:
        """Add values to mask from now on (webhook secrets, registry passwords, forge tokens)."""
        with self._lock:
            known = set(self._secrets)
            known.update(s for s in secrets if s and len(s) >= MIN_SECRET_LENGTH)
            # Longest first, so a secret that contains another is masked whole.
            self._secrets = tuple(sorted(known, key=len, reverse=True))

    def clear(self) -> None:
        with self._lock:
            self._secrets = ()

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        for pattern, replacement in _PATTERNS:
            text = pattern.sub(replacement, text)
        return text

    def redact_value(self, value: Any) -> Any:
        """Redact strings inside plain data, leaving numbers and booleans as they are."""
        if isinstance(value, str):
            return self.redact(value)
        if isinstance(value, Mapping):
            return {str(k): MASK if _SECRET_KEY.search(str(k)) else self.redact_value(v)
                    for k, v in value.items()}
        if isinstance(value, (list, tuple, set, frozenset)):
            return [self.redact_value(v) for v in value]
        if value is None or isinstance(value, (bool, int, float)):
            return value
        return self.redact(str(value))


REDACTOR = Redactor()
"""The process-wide redactor every formatter uses; components register their secrets here."""


def register_secret(*secrets: str | None) -> None:
    REDACTOR.register(*secrets)


_FIELDS_ATTR = "iu_fields"


def _fields_of(record: logging.LogRecord) -> dict[str, Any]:
    fields = getattr(record, _FIELDS_ATTR, None)
    return dict(fields) if isinstance(fields, Mapping) else {}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, event, then the event's own fields."""

    def __init__(self, redactor: Redactor = REDACTOR) -> None:
        super().__init__()
        self._redactor = redactor

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": self._redactor.redact(record.getMessage()),
        }
        for key, value in self._redactor.redact_value(_fields_of(record)).items():
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
        fields = " ".join(f"{k}={_text_value(v)}"
                          for k, v in self._redactor.redact_value(_fields_of(record)).items())
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
        passthrough = {k: kwargs.pop(k) for k in ("exc_info", "stack_info", "stacklevel", "extra")
                       if k in kwargs}
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


def configure_logging(fmt: str = "auto", level: str = "info", secrets: Iterable[str | None] = (),
                      *, stream: TextIO | None = None) -> logging.Handler:
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
