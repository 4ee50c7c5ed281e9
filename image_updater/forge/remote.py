"""From a git remote URL to the forge API: which forge, which base URL, which repository.

Remote URLs can carry credentials (``https://x-access-token:…@host/…``); every message shows them through
:func:`image_updater.secrets.redact_url`, so a token in a remote never reaches a log or an error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from image_updater.errors import ConfigError
from image_updater.forge.settings import ForgeSettings
from image_updater.secrets import redact_url

_SCP_LIKE = re.compile(r"^(?:(?P<user>[^@/]+)@)?(?P<host>[^:/]+):(?P<path>(?!//).+)$")


@dataclass(frozen=True)
class RemoteRepository:
    """Host and repository path parsed from a remote; ``path`` is ``owner/repo`` or a GitLab project path."""

    host: str
    port: int | None
    scheme: str
    path: str


def parse_remote(url: str) -> RemoteRepository:
    """Parse https://, http://, ssh:// and scp-like (``git@host:owner/repo.git``) remotes."""
    shown = redact_url(url)
    if "://" in url:
        parts = urlsplit(url)
        if parts.scheme not in ("https", "http", "ssh", "git") or not parts.hostname:
            raise ConfigError(f"remote {shown} is not an http(s) or ssh URL", key="git.url")
        host, port, scheme, path = parts.hostname, parts.port, parts.scheme, parts.path
    else:
        match = _SCP_LIKE.match(url)
        if not match:
            raise ConfigError(f"remote {shown} is not a URL or host:path remote", key="git.url")
        host, port, scheme, path = match["host"].lower(), None, "ssh", match["path"]
    path = path.strip("/").removesuffix(".git").strip("/")
    if path.count("/") < 1 or any(not p for p in path.split("/")):
        raise ConfigError(f"remote {shown} does not name owner/repository", key="git.url")
    return RemoteRepository(host=host, port=port, scheme=scheme, path=path)


def forge_repository(remote_url: str, settings: ForgeSettings) -> RemoteRepository:
    """The repository the forge API addresses: ``repository`` when set, else the one the remote names.

    ``repository`` covers remotes that name no forge repository (a mirror, ``file://``, ``git://``):
    the host, if the remote has one, still serves to infer ``kind`` and ``api_url``; if it has none,
    both must be set.
    """
    if settings.repository is None:
        return parse_remote(remote_url)
    try:
        remote = parse_remote(remote_url)
    except ConfigError:
        if settings.kind is None or settings.api_url is None:
            raise ConfigError(
                f"remote {redact_url(remote_url)} names no forge host: with repository set, also set kind and api_url",
                key="git.forge",
            ) from None
        return RemoteRepository(host="", port=None, scheme="", path=settings.repository)
    return replace(remote, path=settings.repository)
