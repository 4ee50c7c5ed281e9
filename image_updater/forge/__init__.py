"""The platform layer: GitHub, GitLab and Gitea pull-request APIs behind one protocol.

The git side (pushing the update branch) lives in ``gitops`` and the decisions (open, update,
close, declined) in ``delivery``; this package only talks to forge APIs.
"""

from __future__ import annotations

import importlib
import typing

from image_updater.forge.model import (
    AUTOCLOSED_SUFFIX,
    Forge,
    PullRequest,
    PullRequestFilter,
    closing_body,
    closing_title,
    needs_update,
)
from image_updater.forge.remote import RemoteRepository, parse_remote
from image_updater.forge.settings import ForgeSettings, GitHubAppSettings, PullRequestOptions

if typing.TYPE_CHECKING:
    from image_updater.forge.factory import FORGES, forge_for
    from image_updater.forge.gitea import GiteaForge
    from image_updater.forge.github import GitHubForge
    from image_updater.forge.gitlab import GitLabForge

#: The forges and their factory import httpx (89 ms of ``plan``'s 705 ms start-up, ``bench/startup.py``),
#: which only pull-request mode uses: loaded on first use (PEP 562), not with the settings.
_LAZY = {
    "FORGES": "factory",
    "forge_for": "factory",
    "GiteaForge": "gitea",
    "GitHubForge": "github",
    "GitLabForge": "gitlab",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


__all__ = [
    "AUTOCLOSED_SUFFIX",
    "FORGES",
    "Forge",
    "ForgeSettings",
    "GitHubAppSettings",
    "GitHubForge",
    "GitLabForge",
    "GiteaForge",
    "PullRequest",
    "PullRequestFilter",
    "PullRequestOptions",
    "RemoteRepository",
    "closing_body",
    "closing_title",
    "forge_for",
    "needs_update",
    "parse_remote",
]
