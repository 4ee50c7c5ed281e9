"""One update cycle: sync the repo, scan, decide, edit, deliver. ``plan`` is the same cycle, delivering nothing."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from image_updater.cycle.edit import ParseCache, RepoIndex, index_repo, plan_edits, write_edits
from image_updater.cycle.model import CyclePlan, ImageScan
from image_updater.cycle.scan import scan_images
from image_updater.cycle.settings import CycleSettings, ImageSettings
from image_updater.delivery import Applied, Change, GroupOutcome, PullRequestDelivery, group_for_image, push
from image_updater.errors import ImageUpdaterError
from image_updater.forge import Forge, forge_for
from image_updater.gitops import ConfigRepo
from image_updater.registry import RegistryClient
from image_updater.secrets import read_secret


@dataclass
class CycleReport:
    scans: dict[str, ImageScan] = field(default_factory=dict)
    plan: CyclePlan = field(default_factory=CyclePlan)
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
        return scan_errors + self.plan.errors + self.errors


class _CycleEdits:
    """The cycle's plan as delivery sees it (``delivery.Edits``): planned on ``head``, re-planned elsewhere.

    ``latest`` is the plan the last ``apply`` wrote, so the report shows what was delivered even when
    the remote moved and the edits were decided again on its new head.
    """

    def __init__(
        self, updater: Updater, index: RepoIndex, head: str, scans: Mapping[str, ImageScan], plan: CyclePlan
    ) -> None:
        self._updater, self._index, self._head, self._scans = updater, index, head, scans
        self.latest = plan

    @property
    def changes(self) -> Sequence[Change]:
        return self.latest.changes

    @property
    def changed(self) -> bool:
        return bool(self.latest.changed_files)

    @property
    def failed(self) -> frozenset[str]:
        return frozenset(self.latest.failed_images)

    def apply(self, root: Path, head: str, images: frozenset[str] | None) -> Applied:
        plan = self.latest
        if images is not None or head != self._head:
            scans = self._scans if images is None else {n: s for n, s in self._scans.items() if n in images}
            plan = plan_edits(index_repo(root, self._updater.settings, self._updater.parse_cache), scans)
            if images is None:
                self.latest = plan
        return Applied(write_edits(root, plan), set(plan.failed_images), list(plan.errors))


class Updater:
    """Long-lived: keeps the registry client (ETag and digest caches), the checkout and the parsed files
    (``parse_cache``: a cycle re-parses only files whose bytes changed) across cycles."""

    def __init__(
        self,
        settings: CycleSettings,
        *,
        workdir: Path | None = None,
        on_registry_request: Callable[[str, int | None, float], None] | None = None,
    ) -> None:
        self.settings = settings
        token = read_secret(file=settings.git.token_file, env=settings.git.token_env, what="git token")
        self.repo = ConfigRepo(settings.git, Path(workdir or settings.git.workdir).resolve(), token=token)
        self.client = RegistryClient(
            settings.registries, docker_config=settings.docker_config, on_request=on_registry_request
        )
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
        report.plan = plan_edits(index, report.scans)
        edits = _CycleEdits(self, index, head, report.scans, report.plan)
        git = self.settings.git
        if git.write.mode == "pull_request":
            unscanned = {name for name, scan in report.scans.items() if scan.tags is None}
            outcomes, errors = await PullRequestDelivery(self.repo, self.forge, git).deliver(
                edits, {i.name: i.group for i in wanted}, unscanned, dry_run=dry_run
            )
            report.outcomes.extend(outcomes)
            report.errors.extend(e for e in errors if e not in report.plan.errors and e not in report.errors)
        else:
            report.outcomes.append(await push(self.repo, git, edits, dry_run=dry_run))
            report.plan = edits.latest

    def _images_for(
        self,
        only: frozenset[str] | None,
        in_use: dict[str, set[tuple[str | None, str | None]]],
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
