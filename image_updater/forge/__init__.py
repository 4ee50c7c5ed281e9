"""The platform layer: GitHub, GitLab and Gitea pull-request APIs behind one protocol.

The git side (pushing the update branch) lives in ``gitops`` and the decisions (open, update,
close, declined) in ``delivery``; this package only talks to forge APIs.
"""

from image_updater.forge.factory import FORGES, forge_for
from image_updater.forge.gitea import GiteaForge
from image_updater.forge.github import GitHubForge
from image_updater.forge.gitlab import GitLabForge
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
