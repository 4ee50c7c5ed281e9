"""The platform layer: GitHub, GitLab and Gitea pull-request APIs behind one protocol.

The git side (pushing the update branch) lives in ``gitops``; this package only talks to forge APIs
and renders what a pull request says.
"""

from image_updater.forge.factory import forge_for
from image_updater.forge.gitea import GiteaForge
from image_updater.forge.github import GitHubForge
from image_updater.forge.gitlab import GitLabForge
from image_updater.forge.model import (
    AUTOCLOSED_SUFFIX,
    EnsureAction,
    Forge,
    PullRequest,
    closing_body,
    closing_title,
    ensure_pull_request,
    find_declined_pull_request,
    needs_update,
    same_title,
)
from image_updater.forge.remote import RemoteRepository, parse_remote
from image_updater.forge.render import (
    ALL_GROUP,
    ChangeRow,
    branches_for_groups,
    group_for_image,
    render_branch,
    render_pull_request,
    update_key,
    update_key_of,
)
from image_updater.forge.settings import ForgeSettings, GitHubAppSettings, PullRequestSettings

__all__ = [
    "ALL_GROUP",
    "AUTOCLOSED_SUFFIX",
    "ChangeRow",
    "EnsureAction",
    "Forge",
    "ForgeSettings",
    "GitHubAppSettings",
    "GitHubForge",
    "GitLabForge",
    "GiteaForge",
    "PullRequest",
    "PullRequestSettings",
    "RemoteRepository",
    "branches_for_groups",
    "closing_body",
    "closing_title",
    "ensure_pull_request",
    "find_declined_pull_request",
    "forge_for",
    "group_for_image",
    "needs_update",
    "parse_remote",
    "render_branch",
    "render_pull_request",
    "same_title",
    "update_key",
    "update_key_of",
]
