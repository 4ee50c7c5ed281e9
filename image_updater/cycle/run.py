"""One update cycle: sync the repo, scan, decide, edit, deliver. ``plan`` is the same cycle, delivering nothing."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from image_updater.config import ImageSettings, Settings
from image_updater.cycle.edit import ParseCache, RepoIndex, index_repo, plan_edits, write_edits
from image_updater.cycle.model import Change, ImageScan, TreeEdit
from image_updater.cycle.scan import scan_images
from image_updater.errors import ImageUpdaterError
from image_updater.forge import (
    ChangeRow,
    Forge,
    PullRequest,
    ensure_pull_request,
    find_declined_pull_request,
    forge_for,
    group_for_image,
    needs_update,
    render_branch,
    render_pull_request,
    update_key,
)
from image_updater.gitops import ConfigRepo, commit_message
from image_updater.registry import RegistryClient
from image_updater.secrets import read_secret

log = logging.getLogger(__name__)


@dataclass
class GroupOutcome:
    """What delivery did for one group (the whole cycle in push mode)."""

    group: str
    action: str  # pushed | unchanged | would-push | pr-opened | pr-updated | pr-unchanged | pr-closed | pr-declined | …
    commit: str | None = None
    attempts: int = 0
    branch: str | None = None
    pull_request: str | None = None
    title: str | None = None
    changes: tuple[Change, ...] = ()
    pushed: bool = False


@dataclass
class CycleReport:
    scans: dict[str, ImageScan] = field(default_factory=dict)
    tree: TreeEdit = field(default_factory=TreeEdit)
    outcomes: list[GroupOutcome] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    duration: float = 0.0
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        """No error of any kind: registry, parse, policy, edit or delivery."""
        return not self.all_errors

    @property
    def all_errors(self) -> list[str]:
        scan_errors = [f"image {name}: {s.error}" for name, s in self.scans.items() if s.error]
        return scan_errors + self.tree.errors + self.errors


class Updater:
    """Long-lived: keeps the registry client (ETag and digest caches), the checkout and the parsed files
    (``parse_cache``: a cycle re-parses only files whose bytes changed) across cycles."""

    def __init__(self, settings: Settings, *, workdir: Path | None = None,
                 on_registry_request: Callable[[str, int | None, float], None] | None = None) -> None:
        self.settings = settings
        token = read_secret(file=settings.git.token_file, env=settings.git.token_env, what="git token")
        self.repo = ConfigRepo(settings.git, Path(workdir or settings.git.workdir).resolve(), token=token)
        self.client = RegistryClient(settings.registries, docker_config=settings.docker_config,
                                     on_request=on_registry_request)
        self._forge: Forge | None = None
        self.parse_cache = ParseCache()

    async def aclose(self) -> None:
        await self.client.aclose()
        if self._forge is not None:
            await self._forge.aclose()

    @property
    def forge(self) -> Forge:
        if self._forge is None:
            self._forge = forge_for(self.settings.git.url, self.settings.git.forge)
        return self._forge

    # -- the cycle ------------------------------------------------------------------------------------
    async def run_cycle(self, only: frozenset[str] | None = None, *, dry_run: bool = False) -> CycleReport:
        started = time.monotonic()
        report = CycleReport(dry_run=dry_run)
        try:
            await self._cycle(report, only, dry_run)
        except ImageUpdaterError as exc:
            report.errors.append(str(exc))
        report.duration = time.monotonic() - started
        return report

    async def _cycle(self, report: CycleReport, only: frozenset[str] | None, dry_run: bool) -> None:
        head = await asyncio.to_thread(self.repo.sync)
        index = await asyncio.to_thread(index_repo, self.repo.root, self.settings, self.parse_cache)
        in_use = index.images_in_use()
        wanted = self._images_for(only, in_use)
        report.scans = await scan_images(self.client, wanted, in_use)
        report.tree = plan_edits(index, report.scans)
        if self.settings.git.write.mode == "pull_request":
            await self._deliver_pull_requests(report, wanted, dry_run)
        else:
            await self._deliver_push(report, index, head, dry_run)

    def _images_for(self, only: frozenset[str] | None, in_use: dict[str, set[tuple[str | None, str | None]]],
                    ) -> list[ImageSettings]:
        images = [i for i in self.settings.images if i.name in in_use]
        if only is None:
            return images
        if self.settings.git.write.mode == "pull_request":
            # A PR holds its whole group: rescan every member so the branch is rebuilt completely.
            groups = {self.group_of(i) for i in images if i.name in only}
            return [i for i in images if self.group_of(i) in groups]
        return [i for i in images if i.name in only]

    def group_of(self, image: ImageSettings) -> str:
        return group_for_image(self.settings.git.write.pull_request, image.name, image.group)

    def _message(self, changes: Sequence[Change]) -> str:
        return commit_message(self.settings.git.commit.message, changes)

    # -- push mode ------------------------------------------------------------------------------------
    async def _deliver_push(self, report: CycleReport, index: RepoIndex, head: str, dry_run: bool) -> None:
        changes = tuple(report.tree.changes)
        if dry_run or not report.tree.changed_files:
            report.outcomes.append(GroupOutcome("all", "would-push" if dry_run and changes else "unchanged",
                                                changes=changes))
            return
        scans = report.scans
        settings = self.settings

        def apply(root: Path) -> list[Change]:
            tree = report.tree
            if self.repo.head() != head:  # the remote moved: decide again on what it holds now
                tree = plan_edits(index_repo(root, settings, self.parse_cache), scans)
                report.tree = tree
            return write_edits(root, tree)

        delivery = await asyncio.to_thread(self.repo.deliver, apply, self._message)
        report.outcomes.append(GroupOutcome("all", delivery.action, commit=delivery.commit,
                                            attempts=delivery.attempts, changes=tuple(delivery.changes),
                                            pushed=delivery.action == "pushed"))

    # -- pull-request mode ----------------------------------------------------------------------------
    async def _deliver_pull_requests(self, report: CycleReport, images: Sequence[ImageSettings],
                                     dry_run: bool) -> None:
        pr = self.settings.git.write.pull_request
        base = self.settings.git.branch
        self.forge.check_settings(pr)  # a setting this forge cannot honour stops the cycle before any push
        groups: dict[str, list[ImageSettings]] = {}
        for image in images:
            groups.setdefault(self.group_of(image), []).append(image)
        for group, members in sorted(groups.items()):
            names = {m.name for m in members}
            branch = render_branch(pr, group)
            if any(report.scans[n].tags is None for n in names):
                report.outcomes.append(GroupOutcome(group, "skipped: a registry scan failed", branch=branch))
                continue
            try:
                if dry_run:
                    report.outcomes.append(await self._plan_group(report, group, names, branch, base))
                else:
                    report.outcomes.append(await self._deliver_group(report, group, names, branch, base))
            except ImageUpdaterError as exc:
                report.errors.append(f"group {group}: {exc}")

    async def _plan_group(self, report: CycleReport, group: str, names: set[str], branch: str,
                          base: str) -> GroupOutcome:
        """What delivery would do to the group's pull request, from a read-only look at the forge."""
        changes = tuple(c for c in report.tree.changes if c.image in names)
        title, body = (render_pull_request(self.settings.git.write.pull_request, group, _rows(changes))
                       if changes else (None, None))
        existing = await self.forge.find_open_pull_request(branch, base)
        url = existing.url if existing is not None else None
        if title is None or body is None:
            if report.tree.failed_images & names:
                action = "skipped: an edit failed; the pull request would be left as it is"
            else:
                action = "would-close-pr" if existing is not None else "unchanged"
        elif existing is None:
            declined = await find_declined_pull_request(self.forge, branch, base, update_key(_rows(changes)),
                                                        self.settings.git.write.pull_request)
            action, url = ("would-open-pr", None) if declined is None else ("would-skip-declined-pr", declined.url)
        else:
            action = "would-update-pr" if needs_update(existing, title, body) else "pr-unchanged"
        return GroupOutcome(group, action, branch=branch, pull_request=url, title=title, changes=changes)

    async def _deliver_group(self, report: CycleReport, group: str, names: set[str], branch: str, base: str,
                             ) -> GroupOutcome:
        """Rebuild the group's branch on the current base, then open, update or close its pull request.

        The PR's text is written from what the branch actually holds (the base may have moved since
        the cycle began), and a PR is closed only when the group has nothing left to change *and* no
        member failed: a failed edit must not look like "someone already merged this". An update a
        person declined (closed its PR unmerged) is looked up before the branch is pushed, so a
        declined update pushes nothing, not a branch that is deleted again every cycle.
        """
        pr_settings = self.settings.git.write.pull_request
        planned_changes = tuple(c for c in report.tree.changes if c.image in names)
        if planned_changes and not pr_settings.recreate_declined:
            planned_title, _ = render_pull_request(pr_settings, group, _rows(planned_changes))
            if await self.forge.find_open_pull_request(branch, base) is None:
                declined = await find_declined_pull_request(self.forge, branch, base,
                                                            update_key(_rows(planned_changes)), pr_settings)
                if declined is not None:
                    return await self._declined(group, branch, declined, planned_title, planned_changes)
        scans = {n: s for n, s in report.scans.items() if n in names}
        settings = self.settings
        planned: list[TreeEdit] = []

        def apply(root: Path) -> list[Change]:
            tree = plan_edits(index_repo(root, settings, self.parse_cache), scans)
            planned.append(tree)
            return write_edits(root, tree)

        delivery = await asyncio.to_thread(self.repo.deliver_branch, branch, apply, self._message)
        failed = set().union(*(t.failed_images for t in planned)) & names
        for tree in planned:
            report.errors.extend(e for e in tree.errors if e not in report.tree.errors and e not in report.errors)
        if delivery.commit is None:
            if failed:
                return GroupOutcome(group, "skipped: an edit failed; the pull request is left as it is",
                                    branch=branch)
            existing = await self.forge.find_open_pull_request(branch, base)
            if existing is None:
                deleted = await asyncio.to_thread(self.repo.delete_branch, branch)
                return GroupOutcome(group, "branch-deleted" if deleted else "unchanged", branch=branch)
            await self.forge.close_pull_request(
                existing, "Closing: the base branch already has these images at the chosen tags or newer.")
            await asyncio.to_thread(self.repo.delete_branch, branch)
            return GroupOutcome(group, "pr-closed", branch=branch, pull_request=existing.url)
        changes = tuple(delivery.changes)
        title, body = render_pull_request(self.settings.git.write.pull_request, group, _rows(changes))
        pull, action = await ensure_pull_request(self.forge, branch, base, title, body, pr_settings)
        if action == "declined":  # the base moved since the scan, onto an update a person declined
            return await self._declined(group, branch, pull, title, changes)
        return GroupOutcome(group, f"pr-{action}", commit=delivery.commit, branch=branch, pull_request=pull.url,
                            title=title, changes=changes, pushed=delivery.action == "branch-updated")

    async def _declined(self, group: str, branch: str, declined: PullRequest, title: str,
                        changes: tuple[Change, ...]) -> GroupOutcome:
        """Nothing is opened for a declined update, and its branch goes (lease-guarded) so none dangles."""
        await asyncio.to_thread(self.repo.delete_branch, branch)
        return GroupOutcome(group, "pr-declined", branch=branch, pull_request=declined.url, title=title,
                            changes=changes)


def _rows(changes: Sequence[Change]) -> list[ChangeRow]:
    return [ChangeRow(c.image, c.old, c.new, c.policy, c.reason) for c in changes]

