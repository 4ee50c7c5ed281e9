"""Push mode: one commit on the branch, re-applied on the new head and retried when someone else pushed first."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from pathlib import Path

from image_updater.delivery.messages import commit_message
from image_updater.delivery.model import Change, GroupOutcome
from image_updater.delivery.plan import Edits
from image_updater.delivery.settings import RepoSettings
from image_updater.gitops import ConfigRepo

PUSH_GROUP = "all"


async def push(
    repo: ConfigRepo,
    settings: RepoSettings,
    edits: Edits,
    *,
    dry_run: bool,
    message: Callable[[Sequence[Change]], str] | None = None,
) -> GroupOutcome:
    """Commit the planned edits and push them to ``git.branch`` (or ``write.branch``), never forcing;
    ``dry_run`` says what would happen. ``message`` renders the commit message instead of
    ``git.commit.message`` (a Flux automation's own template)."""
    changes = tuple(edits.changes)
    if dry_run or not edits.changed:
        return GroupOutcome(PUSH_GROUP, "would-push" if dry_run and changes else "unchanged", changes=changes)

    def apply(root: Path) -> list[Change]:
        return edits.apply(root, repo.head(), None).changes

    render = message or (lambda c: commit_message(settings.commit.message, c))
    pushed = await asyncio.to_thread(repo.deliver, apply, render, branch=settings.push_branch, planned_on=edits.head)
    return GroupOutcome(
        PUSH_GROUP,
        pushed.action,
        commit=pushed.commit,
        attempts=pushed.attempts,
        changes=tuple(pushed.changes),
        pushed=pushed.action == "pushed",
        branch=settings.push_branch if settings.push_branch != settings.branch else None,
    )
