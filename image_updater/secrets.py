"""Secrets come from a file or an environment variable, never from the config file itself.

Kept in one place so every credential (registry passwords, git tokens, webhook secrets) is read,
reported and redacted the same way.
"""

from __future__ import annotations

import os
from pathlib import Path

from image_updater.errors import ConfigError
from image_updater.logs import register_secret


def read_secret(*, file: str | None, env: str | None, what: str) -> str | None:
    """Return the secret named by ``file`` or ``env`` (``file`` wins), or None when neither is set.

    The value is registered with the log redactor so it is masked wherever it would appear.
    """
    value: str | None = None
    if file:
        try:
            value = Path(file).read_text().strip()
        except OSError as exc:
            raise ConfigError(f"cannot read {what} from file {file}: {exc.strerror}") from None
    elif env:
        if env not in os.environ:
            raise ConfigError(f"{what}: environment variable {env} is not set")
        value = os.environ[env].strip()
    if value:
        register_secret(value)
    return value or None
