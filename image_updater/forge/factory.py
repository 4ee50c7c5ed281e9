"""The one table of forges, and ``forge_for``: from a remote URL and ``git.forge`` to a client.

A forge is one module (a ``RestForge`` subclass stating its differences: ``kind``, API path, how a
token travels, its public host) plus one row in :data:`FORGES`; the settings' ``kind`` values, kind
inference from a host and the API base URL all read the row.
"""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from image_updater.errors import ConfigError
from image_updater.forge.api import ApiClient, Credentials, RequestObserver, StaticToken
from image_updater.forge.gitea import GiteaForge
from image_updater.forge.github import GitHubForge
from image_updater.forge.github_app import GitHubAppToken
from image_updater.forge.gitlab import GitLabForge
from image_updater.forge.model import Forge
from image_updater.forge.remote import RemoteRepository, forge_repository
from image_updater.forge.rest import RestForge
from image_updater.forge.settings import ForgeSettings

FORGES: Mapping[str, type[RestForge]] = {cls.kind: cls for cls in (GitHubForge, GitLabForge, GiteaForge)}


def forge_class(remote: RemoteRepository, settings: ForgeSettings) -> type[RestForge]:
    """``git.forge.kind`` when set, else the forge whose public host the remote names."""
    if settings.kind is not None:
        return FORGES[settings.kind]
    for cls in FORGES.values():
        if cls.public_host == remote.host:
            return cls
    raise ConfigError(
        f"cannot tell which forge serves {remote.host}; set it to {', '.join(FORGES)}", key="git.forge.kind"
    )


def api_base_url(remote: RemoteRepository, cls: type[RestForge], settings: ForgeSettings) -> str:
    """``api_url`` if set; the public API for the forge's public host; else its usual path on the host.

    For an ssh remote the web host is assumed to be the ssh host on https; set ``api_url`` when not.
    """
    if settings.api_url is not None:
        return settings.api_url.rstrip("/")
    if cls.public_api is not None and remote.host == cls.public_host:
        return cls.public_api
    web = f"{remote.scheme}://{remote.host}" if remote.scheme in ("http", "https") else f"https://{remote.host}"
    if remote.port is not None and remote.scheme in ("http", "https"):
        web += f":{remote.port}"
    return web + cls.api_suffix


def _credentials(cls: type[RestForge], api_url: str, settings: ForgeSettings) -> Credentials:
    if settings.github_app is not None:
        if not cls.app_auth:
            raise ConfigError(f"github_app is only for kind github, not {cls.kind}", key="git.forge.github_app")
        return GitHubAppToken(settings.github_app, api_url)
    if settings.token_file is None and settings.token_env is None:
        raise ConfigError(
            f"{cls.kind} needs a token: set token_file or token_env" + (" (or github_app)" if cls.app_auth else ""),
            key="git.forge",
        )
    token = StaticToken(settings, cls.token_header, cls.token_scheme)
    token.read()  # fail at start-up, not at the first pull request
    return token


def forge_for(
    remote_url: str,
    settings: ForgeSettings,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    on_request: RequestObserver | None = None,
) -> Forge:
    """The forge client for the config repo's remote; raises ConfigError naming the key to fix."""
    remote = forge_repository(remote_url, settings)
    cls = forge_class(remote, settings)
    api_url = api_base_url(remote, cls, settings)
    api = ApiClient(
        cls.name,
        api_url,
        _credentials(cls, api_url, settings),
        settings,
        headers=dict(cls.api_headers),
        transport=transport,
        on_request=on_request,
    )
    named_by = "git.url" if settings.repository is None else "git.forge.repository"
    return cls.for_remote(api, remote, named_by)
