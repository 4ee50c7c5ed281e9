"""The one place TLS verification is decided, for registries and forges alike.

On unless ``insecure`` says otherwise; a ``ca_file`` adds a private CA to the system's trust. A CA
file that cannot be loaded is a configuration error naming the key, at start-up, not a TLS failure
on the first request.
"""

from __future__ import annotations

import ssl
from pathlib import Path

from image_updater.errors import ConfigError


def verification(*, insecure: bool, ca_file: str | Path | None, key: str) -> ssl.SSLContext | bool:
    """False (no verification) when ``insecure``; a context trusting ``ca_file`` too; else True (the defaults)."""
    if insecure:
        return False
    if ca_file is None:
        return True
    try:
        return ssl.create_default_context(cafile=str(ca_file))
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(f"cannot load CA file {ca_file}: {exc}", key=key) from None
