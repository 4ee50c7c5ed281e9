"""Delivery: how a cycle's edits reach the config repo, by push or by pull request, in one place.

``gitops`` keeps the working copy and ``forge`` talks to the forge APIs; this package decides what
to commit, push, open, update or close, and renders every text (commit message, title, body,
branch) through one template engine.
"""

from image_updater.delivery.messages import (
    ALL_GROUP,
    branches_for_groups,
    commit_message,
    group_for_image,
    render_branch,
    render_pull_request,
    render_table,
    update_key,
    update_key_of,
)
from image_updater.delivery.model import Change, GroupOutcome
from image_updater.delivery.plan import Applied, Edits
from image_updater.delivery.pull_requests import (
    EnsureAction,
    PullRequestDelivery,
    ensure_pull_request,
    find_declined_pull_request,
)
from image_updater.delivery.push import PUSH_GROUP, push
from image_updater.delivery.settings import (
    DEFAULT_BODY,
    DEFAULT_TITLE,
    PullRequestSettings,
    RepoSettings,
    WriteSettings,
)
from image_updater.delivery.template import check_template, fill_template

__all__ = [
    "ALL_GROUP",
    "DEFAULT_BODY",
    "DEFAULT_TITLE",
    "PUSH_GROUP",
    "Applied",
    "Change",
    "Edits",
    "EnsureAction",
    "GroupOutcome",
    "PullRequestDelivery",
    "PullRequestSettings",
    "RepoSettings",
    "WriteSettings",
    "branches_for_groups",
    "check_template",
    "commit_message",
    "ensure_pull_request",
    "fill_template",
    "find_declined_pull_request",
    "group_for_image",
    "push",
    "render_branch",
    "render_pull_request",
    "render_table",
    "update_key",
    "update_key_of",
]
