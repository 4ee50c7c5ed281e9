"""``forge_for``: the one table from forge kind to client, so a new forge is one entry here."""

from __future__ import annotations

import httpx

from image_updater.errors import ConfigError
from image_updater.forge.api import ApiClient, Credentials, StaticToken
from image_updater.forge.gitea import GiteaForge
from image_updater.forge.github import API_HEADERS, GitHubForge
from image_updater.forge.github_app import GitHubAppToken
from image_updater.forge.gitlab import GitLabForge
from image_updater.forge.model import Forge
from image_updater.forge.remote import (
    api_base_url,
    forge_kind,
    forge_repository,
    github_like_repo,
)
from image_updater.forge.settings import ForgeSettings
from image_updater.secrets import redact_url


def _credentials(kind: str, api_url: str, settings: ForgeSettings) -> Credentials:
    if settings.github_app is not None:
        return GitHubAppToken(settings.github_app, api_url)
    if settings.token_file is None and settings.token_env is None:
        raise ConfigError(
            f"{kind} needs a token: set token_file or token_env"
            + (" (or github_app)" if kind == "github" else ""),
            key="git.forge",
        )
    token = {
        "github": StaticToken(settings, "Authorization", "Bearer"),
        "gitlab": StaticToken(settings, "PRIVATE-TOKEN", None),
        "gitea": StaticToken(settings, "Authorization", "token"),
    }[kind]
    token.read()  # fail at start-up, not at the first pull request
    return token


def forge_for(
    remote_url: str, settings: ForgeSettings, *, transport: httpx.AsyncBaseTransport | None = None
) -> Forge:
    """The forge client for the config repo's remote; raises ConfigError naming the key to fix."""
    remote = forge_repository(remote_url, settings)
    kind = forge_kind(remote, settings)
    api_url = api_base_url(remote, kind, settings)
    credentials = _credentials(kind, api_url, settings)
    named_by = "git.url" if settings.repository is None else "git.forge.repository"
    if kind == "github":
        owner, repo = github_like_repo(remote, kind, named_by)
        return GitHubForge(
            ApiClient("GitHub", api_url, credentials, settings, headers=API_HEADERS, transport=transport),
            owner,
            repo,
        )
    if kind == "gitlab":
        return GitLabForge(
            ApiClient("GitLab", api_url, credentials, settings, transport=transport), remote.path
        )
    if kind == "gitea":
        owner, repo = github_like_repo(remote, kind, named_by)
        return GiteaForge(
            ApiClient("Gitea", api_url, credentials, settings, transport=transport), owner, repo
        )
    raise ConfigError(f"unknown forge kind {kind} for {redact_url(remote_url)}", key="git.forge.kind")
