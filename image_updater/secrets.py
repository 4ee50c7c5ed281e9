"""Secrets: where they come from (a file or an environment variable, never the config file) and how they are hidden.

Kept in one place so every credential (registry passwords, helper output, bearer and installation tokens,
git and forge tokens, webhook secrets) is read, registered and redacted the same way: whatever the program
obtains passes through :func:`register_secret`, and :data:`REDACTOR` masks it in every log line.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from image_updater.errors import ConfigError

MASK = "***"
MIN_SECRET_LENGTH = 4
"""Shorter values are not masked by value: masking "ab" everywhere would garble every line."""

# Shapes that carry credentials whatever their value: header dumps and query parameters (URL userinfo is
# handled by redact_url).
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(
            r"(?i)\b((?:proxy-)?authorization[\"']?\s*[:=]\s*[\"']?)(?:(?:bearer|basic|token)\s+)?"
            r"[^\s\"',;}]+"
        ),
        rf"\1{MASK}",
    ),
    (re.compile(r"(?i)\b(x-gitlab-token[\"']?\s*[:=]\s*[\"']?)[^\s\"',;}]+"), rf"\1{MASK}"),
    (re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/=-]{8,}"), rf"\1{MASK}"),
    (
        re.compile(
            r"(?i)\b((?:access_|refresh_|id_)?token|password|passwd|secret|api_?key)"
            r"([\"']?\s*[=:]\s*[\"']?)[^\s&\"',;}]+"
        ),
        rf"\1\2{MASK}",
    ),
)

_SECRET_KEY = re.compile(r"(?i)(password|passwd|secret|token|authorization|api_?key)$")
"""Field names whose values are masked whole, whatever they look like."""

_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"<>`]+")
_AUTHORITY = re.compile(r"[^/?#]*")


def _mask_userinfo(match: re.Match[str]) -> str:
    url = match[0]
    start = url.index("://") + 3
    try:
        netloc = urlsplit(url).netloc
    except ValueError:  # e.g. an unclosed IPv6 bracket: take the authority as urlsplit would
        authority = _AUTHORITY.match(url, start)
        netloc = authority[0] if authority else ""
    userinfo, at, _ = netloc.rpartition("@")
    return url[:start] + MASK + url[start + len(userinfo) :] if at else url


def redact_url(text: str) -> str:
    """Mask the userinfo (``token@``, ``user:password@``) of every URL in ``text``.

    Works on free text because git and HTTP errors embed the URLs they failed on; scp-like remotes
    (``git@host:owner/repo``) name a user, not a secret, and are left as they are.
    """
    return _URL.sub(_mask_userinfo, text) if "://" in text else text


class Redactor:
    """Masks registered secret values and credential-shaped text; safe to share across threads."""

    def __init__(self) -> None:
        self._secrets: tuple[str, ...] = ()
        self._lock = threading.Lock()

    def register(self, *secrets: str | None) -> None:
        """Add values to mask from now on; values re-read on every use cost a set lookup once known."""
        wanted = {s for s in secrets if s and len(s) >= MIN_SECRET_LENGTH}
        if wanted <= set(self._secrets):
            return
        with self._lock:
            known = set(self._secrets) | wanted
            # Longest first, so a secret that contains another is masked whole.
            self._secrets = tuple(sorted(known, key=len, reverse=True))

    def clear(self) -> None:
        with self._lock:
            self._secrets = ()

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        text = redact_url(text)
        for pattern, replacement in _PATTERNS:
            text = pattern.sub(replacement, text)
        return text

    def redact_value(self, value: Any) -> Any:
        """Redact strings inside plain data, leaving numbers and booleans as they are."""
        if isinstance(value, str):
            return self.redact(value)
        if isinstance(value, Mapping):
            return {str(k): MASK if _SECRET_KEY.search(str(k)) else self.redact_value(v) for k, v in value.items()}
        if isinstance(value, (list, tuple, set, frozenset)):
            return [self.redact_value(v) for v in value]
        if value is None or isinstance(value, (bool, int, float)):
            return value
        return self.redact(str(value))


REDACTOR = Redactor()
"""The process-wide redactor every log formatter uses."""


def register_secret(*secrets: str | None) -> None:
    """The one registration point: every secret value the program obtains comes through here."""
    REDACTOR.register(*secrets)


def read_secret(*, file: str | Path | None, env: str | None, what: str) -> str | None:
    """Return the secret named by ``file`` or ``env`` (``file`` wins), or None when neither is set or it is empty.

    Surrounding whitespace (a trailing newline in a mounted file) is dropped. The value is registered with
    the log redactor, so it is masked wherever it would appear; callers re-read it on every use to pick up
    rotation without a restart.
    """
    value: str | None = None
    if file:
        try:
            value = Path(file).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(f"cannot read {what} from file {file}: {exc.strerror}") from None
        except UnicodeDecodeError:
            raise ConfigError(f"cannot read {what} from file {file}: not UTF-8 text") from None
    elif env:
        if env not in os.environ:
            raise ConfigError(f"{what}: environment variable {env} is not set")
        value = os.environ[env].strip()
    if value:
        register_secret(value)
    return value or None
