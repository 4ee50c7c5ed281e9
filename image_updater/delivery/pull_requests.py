"""Pull-request mode, the whole lifecycle in one place: one branch and one pull request per group.

Each group's branch is rebuilt on the current base every cycle and its pull request opened, updated
in place, closed when moot, or left alone when a person declined that update. Every forge is a
peer behind ``forge.Forge``, so these rules hold for all of them alike.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from image_updater.delivery.messages import (
    commit_message,
    group_for_image,
    render_branch,
    render_pull_request,
    update_key,
    update_key_of,
)
from image_updater.delivery.model import Change, GroupOutcome
from image_updater.delivery.plan import Applied, Edits
from image_updater.delivery.settings import PullRequestSettings, RepoSettings
from image_updater.errors import ForgeError, ImageUpdaterError
from image_updater.forge import Forge, PullRequest, needs_update
from image_updater.gitops import ConfigRepo
from image_updater.logs import get_logger

log = get_logger(__name__)

EnsureAction = Literal["opened", "updated", "unchanged", "declined"]


async def ensure_pull_request(
    forge: Forge, head: str, base: str, title: str, body: str, settings: PullRequestSettings
) -> tuple[PullRequest, EnsureAction]:
    """Make exactly one open pull request from ``head`` to ``base`` carry this title and body.

    If opening fails because one already exists (another instance won a race, or the listing
    lagged), the existing one is adopted instead of failing the cycle. A pull request a person
    closed unmerged for this very update (the ``update_key`` marker ``render_pull_request`` writes into
    the body) is not opened again: it is returned as ``"declined"``.
    """
    forge.check_settings(settings)
    existing = await forge.find_open_pull_request(head, base)
    if existing is None:
        update = update_key_of(body)  # a body without our marker names no update that could be declined
        declined = await find_declined_pull_request(forge, head, base, update, settings) if update else None
        if declined is not None:
            return declined, "declined"
        try:
            opened = await forge.open_pull_request(head, base, title, body, settings)
        except ForgeError as exc:
            existing = await forge.find_open_pull_request(head, base)
            if existing is None:
                raise
            log.info(
                "pull request already existed; adopting it",
                forge=forge.name,
                branch=head,
                number=existing.number,
                error=str(exc),
            )
        else:
            log.info("opened pull request", forge=forge.name, number=opened.number, url=opened.url)
            return opened, "opened"
    if not needs_update(existing, title, body):
        return existing, "unchanged"
    updated = await forge.update_pull_request(existing, title, body)
    log.info("updated pull request", forge=forge.name, number=updated.number, url=updated.url)
    return updated, "updated"


async def find_declined_pull_request(
    forge: Forge, head: str, base: str, update: str, settings: PullRequestSettings
) -> PullRequest | None:
    """The pull request a person declined for exactly this update, unless ``recreate_declined`` is set.

    Renovate's rule: closing without merging declines *this* update (``update`` is
    ``messages.update_key``: every image with its target, kept in our PR bodies), so it is not proposed
    again; a newer tag is another update and gets a new pull request. Call it only when no pull
    request from ``head`` is open: an open one is ours to keep updating.
    """
    if settings.recreate_declined:
        return None
    declined = await forge.find_closed_pull_request(head, base, lambda pr: update_key_of(pr.body) == update)
    if declined is not None:
        log.info("closed without merging by a person; not opening it again", forge=forge.name, url=declined.url)
    return declined


@dataclass(frozen=True)
class _Group:
    name: str
    images: frozenset[str]
    branch: str


class PullRequestDelivery:
    """One repository's pull requests: the repo's update branches on one side, the forge's requests on the other."""

    def __init__(self, repo: ConfigRepo, forge: Forge, settings: RepoSettings) -> None:
        self.repo = repo
        self.forge = forge
        self.settings = settings
        self.pr = settings.write.pull_request

    def group_of(self, image: str, group: str | None) -> str:
        return group_for_image(self.pr, image, group)

    async def deliver(
        self, edits: Edits, images: Mapping[str, str | None], unscanned: set[str], *, dry_run: bool
    ) -> tuple[list[GroupOutcome], list[str]]:
        """Outcomes per group of ``images`` (name → configured group), and errors met on the way.

        A group with an image whose registry scan failed is skipped whole: its branch would lose that
        image's update.
        """
        self.forge.check_settings(self.pr)  # a setting this forge cannot honour stops before any push
        members: dict[str, set[str]] = {}
        for image, configured in images.items():
            members.setdefault(self.group_of(image, configured), set()).add(image)
        outcomes: list[GroupOutcome] = []
        errors: list[str] = []
        for name, names in sorted(members.items()):
            group = _Group(name, frozenset(names), render_branch(self.pr, name))
            if names & unscanned:
                outcomes.append(GroupOutcome(name, "skipped: a registry scan failed", branch=group.branch))
                continue
            try:
                if dry_run:
                    outcomes.append(await self._plan(edits, group))
                else:
                    outcomes.append(await self._deliver(edits, group, errors))
            except ImageUpdaterError as exc:
                errors.append(f"group {name}: {exc}")
        return outcomes, errors

    def _render(self, group: _Group, changes: Sequence[Change]) -> tuple[str, str]:
        return render_pull_request(self.pr, group.name, changes)

    async def _plan(self, edits: Edits, group: _Group) -> GroupOutcome:
        """What delivery would do to the group's pull request, from a read-only look at the forge."""
        base = self.settings.branch
        changes = tuple(c for c in edits.changes if c.image in group.images)
        title, body = self._render(group, changes) if changes else (None, None)
        existing = await self.forge.find_open_pull_request(group.branch, base)
        url = existing.url if existing is not None else None
        if title is None or body is None:
            if edits.failed & group.images:
                action = "skipped: an edit failed; the pull request would be left as it is"
            else:
                action = "would-close-pr" if existing is not None else "unchanged"
        elif existing is None:
            declined = await find_declined_pull_request(self.forge, group.branch, base, update_key(changes), self.pr)
            action, url = ("would-open-pr", None) if declined is None else ("would-skip-declined-pr", declined.url)
        else:
            action = "would-update-pr" if needs_update(existing, title, body) else "pr-unchanged"
        return GroupOutcome(group.name, action, branch=group.branch, pull_request=url, title=title, changes=changes)

    async def _deliver(self, edits: Edits, group: _Group, errors: list[str]) -> GroupOutcome:
        """Rebuild the group's branch on the current base, then open, update or close its pull request.

        The PR's text is written from what the branch actually holds (the base may have moved since
        the cycle began), and a PR is closed only when the group has nothing left to change *and* no
        member failed: a failed edit must not look like "someone already merged this". An update a
        person declined (closed its PR unmerged) is looked up before the branch is pushed, so a
        declined update pushes nothing, not a branch that is deleted again every cycle.
        """
        base, branch = self.settings.branch, group.branch
        planned = tuple(c for c in edits.changes if c.image in group.images)
        if planned and not self.pr.recreate_declined:
            planned_title, _ = self._render(group, planned)
            if await self.forge.find_open_pull_request(branch, base) is None:
                declined = await find_declined_pull_request(self.forge, branch, base, update_key(planned), self.pr)
                if declined is not None:
                    return await self._declined(group, declined, planned_title, planned)
        applied: list[Applied] = []

        def apply(root: Path) -> list[Change]:
            result = edits.apply(root, self.repo.head(), group.images)
            applied.append(result)
            return result.changes

        message = self.settings.commit.message
        delivery = await asyncio.to_thread(
            self.repo.deliver_branch, branch, apply, lambda c: commit_message(message, c)
        )
        failed = set().union(*(a.failed for a in applied)) & group.images
        for result in applied:
            errors.extend(e for e in result.errors if e not in errors)
        if delivery.commit is None:
            if failed:
                return GroupOutcome(
                    group.name, "skipped: an edit failed; the pull request is left as it is", branch=branch
                )
            existing = await self.forge.find_open_pull_request(branch, base)
            if existing is None:
                deleted = await asyncio.to_thread(self.repo.delete_branch, branch)
                return GroupOutcome(group.name, "branch-deleted" if deleted else "unchanged", branch=branch)
            await self.forge.close_pull_request(
                existing, "Closing: the base branch already has these images at the chosen tags or newer."
            )
            await asyncio.to_thread(self.repo.delete_branch, branch)
            return GroupOutcome(group.name, "pr-closed", branch=branch, pull_request=existing.url)
        changes = tuple(delivery.changes)
        title, body = self._render(group, changes)
        pull, action = await ensure_pull_request(self.forge, branch, base, title, body, self.pr)
        if action == "declined":  # the base moved since the scan, onto an update a person declined
            return await self._declined(group, pull, title, changes)
        return GroupOutcome(
            group.name,
            f"pr-{action}",
            commit=delivery.commit,
            branch=branch,
            pull_request=pull.url,
            title=title,
            changes=changes,
            pushed=delivery.action == "branch-updated",
        )

    async def _declined(
        self, group: _Group, declined: PullRequest, title: str, changes: tuple[Change, ...]
    ) -> GroupOutcome:
        """Nothing is opened for a declined update, and its branch goes (lease-guarded) so none dangles."""
        await asyncio.to_thread(self.repo.delete_branch, group.branch)
        return GroupOutcome(
            group.name, "pr-declined", branch=group.branch, pull_request=declined.url, title=title, changes=changes
        )
