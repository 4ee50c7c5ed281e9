"""Same-origin checks: credentials and trust never follow a registry's answer to another scheme, host or port."""

from __future__ import annotations

from urllib.parse import urlsplit

_DEFAULT_PORTS = {"http": 80, "https": 443}

Origin = tuple[str, str, int | None]


def origin(url: str) -> Origin:
    """Scheme, host and port of ``url``, the default port made explicit, for same-origin checks."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = -1  # an unparseable port matches no registry
    return scheme, (parts.hostname or "").lower(), port if port is not None else _DEFAULT_PORTS.get(scheme)


def describe(value: Origin) -> str:
    scheme, host, port = value
    return f"{scheme}://{host}:{port}"
