"""One target's part of a cycle: sync its checkout, index it, scan through the cycle's shared scanner,
decide, edit, deliver. Long-lived, so its checkout, parse cache and forge client last across cycles.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from image_updater import forge as forges
from image_updater.cycle.index import ParseCache, RepoIndex, index_repo
from image_updater.cycle.model import CyclePlan, Finding, ImageScan
from image_updater.cycle.plan import Decisions, Digests, PlanMemo, plan_edits, write_edits
from image_updater.cycle.promotion import Indexed, carried, soaked, unreadable
from image_updater.cycle.scan import CycleScanner
from image_updater.cycle.settings import ImageSettings, Target
from image_updater.cycle.sources import Refreshed, TargetSources
from image_updater.cycle.store import FactsStore
from image_updater.delivery import Applied, Change, GroupOutcome, PullRequestDelivery, group_for_image, push
from image_updater.errors import ImageUpdaterError
from image_updater.forge import Forge
from image_updater.gitops import ConfigRepo
from image_updater.manifests import ManifestSettings
from image_updater.registry import RegistrySettings
from image_updater.secrets import read_secret

#: How a target's runner reaches the targets its images follow: their sync-and-index, this cycle.
Peers = Mapping[str, Awaitable[Indexed]]


@dataclass
class TargetReport:
    """What one target's cycle saw, decided and did."""

    target: str
    scans: dict[str, ImageScan] = field(default_factory=dict)
    plan: CyclePlan = field(default_factory=CyclePlan)
    outcomes: list[GroupOutcome] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    duration: float = 0.0
    #: What the sources found (policies, targets, findings), printed before the images by plan.
    preamble: list[str] = field(default_factory=list)

    @property
    def all_errors(self) -> list[str]:
        scan_errors = [f"image {name}: {s.error}" for name, s in self.scans.items() if s.error]
        return scan_errors + self.plan.errors + self.errors


class _CycleEdits:
    """The target's plan as delivery sees it (``delivery.Edits``): planned on ``head``, re-planned elsewhere.

    ``latest`` is the plan the last ``apply`` wrote, so the report shows what was delivered even when
    the remote moved and the edits were decided again on its new head.
    """

    def __init__(
        self, runner: TargetRunner, head: str, scans: Mapping[str, ImageScan], digests: Digests, plan: CyclePlan
    ) -> None:
        self._runner, self._head, self._scans, self._digests = runner, head, scans, digests
        self.latest = plan

    @property
    def head(self) -> str:
        return self._head

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
            decisions = Decisions(scans, previous=self._runner.decisions)
            plan = plan_edits(self._runner.index(root), scans, self._digests, decisions=decisions)
            if images is None:
                self.latest = plan
        return Applied(self._runner.write(root, plan), set(plan.failed_images), list(plan.errors))


@dataclass(frozen=True)
class Observers:
    """Who hears of each request a cycle makes: the service's metrics (``commands/run.py``)."""

    registry_request: Callable[[str, int | None, float], None] | None = None  # registry, status, seconds
    git_push: Callable[[str, float, bool], None] | None = None  # target, seconds, accepted
    forge_request: Callable[[str, int | None, float], None] | None = None  # forge, status, seconds


class TargetRunner:
    """One target across cycles: its checkout (``workdir``), parse cache and forge client."""

    def __init__(
        self,
        target: Target,
        manifests: ManifestSettings,
        workdir: Path,
        clock: Callable[[], float] = time.time,
        observers: Observers | None = None,
        *,
        registries: Sequence[RegistrySettings] = (),
        has_targets: bool = False,
        cache_dir: Path | None = None,
    ) -> None:
        self.target = target
        self.manifests = manifests
        self.observers = observers or Observers()
        git = target.git
        token = read_secret(file=git.token_file, env=git.token_env, what="git token")
        hook = self.observers.git_push
        on_push = (lambda seconds, ok: hook(target.name, seconds, ok)) if hook is not None else None
        self.repo = ConfigRepo(git, workdir.resolve(), token=token, on_push=on_push)
        self.parse_cache = ParseCache()
        self.cache_dir = cache_dir
        #: The parse cache kept between processes; read once, before the first index.
        self.store = FactsStore(cache_dir, target.name, f"{git.url} {git.branch}") if cache_dir else None
        self._store_read = False
        #: The last cycle's decisions: an image whose tags did not change is not decided again.
        self.decisions: Decisions | None = None
        self._plans = PlanMemo()
        self._forge: Forge | None = None
        self._clock = clock
        #: Sources: read after each sync; they set this cycle's ``target``, the files to create and the
        #: derived targets (``children``, run after this one, each in its own checkout beside ours).
        self.sources = TargetSources(target, registries, has_targets=has_targets) if target.sources else None
        self.refreshed: Refreshed | None = None
        self.children: dict[str, TargetRunner] = {}
        self.created: Mapping[str, bytes] = {}

    @property
    def name(self) -> str:
        return self.target.name

    @property
    def forge(self) -> Forge:
        if self._forge is None:
            hook = self.observers.forge_request
            self._forge = forges.forge_for(self.target.git.url, self.target.git.forge, on_request=hook)
        return self._forge

    async def aclose(self) -> None:
        if self._forge is not None:
            await self._forge.aclose()
        for child in self.children.values():
            await child.aclose()

    def index(self, root: Path, *, tree_known: bool = False) -> RepoIndex:
        return index_repo(root, self.target, self.manifests, self.parse_cache, self.created, tree_known=tree_known)

    def write(self, root: Path, plan: CyclePlan) -> list[Change]:
        """Write the plan's files, noting them for the next index: the work tree is no longer the one
        the parse cache describes until it is committed (``ParseCache.described``)."""
        self.parse_cache.described = None
        self.parse_cache.written.update(edit.path for edit in plan.changed_files)
        return write_edits(root, plan)

    def _adopt(self, refreshed: Refreshed) -> None:
        """This cycle's images, files to create and derived targets, as the sources found them."""
        self.refreshed = refreshed
        self.target = refreshed.target
        self.created = refreshed.created.get(self.name, {})
        children: dict[str, TargetRunner] = {}
        for target in refreshed.children:
            runner = self.children.get(target.name)
            if runner is None:
                folder = "".join(c if c.isalnum() or c in "-_." else "_" for c in target.name)
                workdir = self.repo.root.parent / f"{self.repo.root.name}.targets" / folder
                runner = TargetRunner(
                    target, self.manifests, workdir, self._clock, self.observers, cache_dir=self.cache_dir
                )
            runner.target = target
            runner.repo.settings = target.git
            runner.created = refreshed.created.get(target.name, {})
            children[target.name] = runner
        self.children = children

    def group_of(self, image: ImageSettings) -> str:
        return group_for_image(self.target.git.write.pull_request, image.name, image.group)

    def uses(self, only: frozenset[str] | None) -> bool:
        """Whether a cycle for ``only`` concerns this target (one that reads sources learns its images then)."""
        return only is None or self.sources is not None or any(image.name in only for image in self.target.images)

    def may_skip_sync(self) -> bool:
        """Whether a cycle may plan on what the checkout last held (``ConfigRepo.known``): a pushing target
        whose images and files come from config alone (sources may derive targets from what they read)."""
        return self.target.git.write.mode == "push" and self.sources is None and not self.target.follow

    async def sync_and_index(self, *, skip_sync: bool = False) -> Indexed:
        """Sync, then index; ``skip_sync``: plan on the checkout as it is when it is known (``may_skip_sync``)."""
        git = self.target.git
        head = await asyncio.to_thread(self.repo.known, git.push_branch) if skip_sync else None
        unsynced = head is not None
        if head is None and git.write.mode == "push":
            head = await asyncio.to_thread(self.repo.sync, git.push_branch, fallback=git.branch)
        elif head is None:
            head = await asyncio.to_thread(self.repo.sync)
        if self.sources is not None:
            self._adopt(await asyncio.to_thread(self.sources.refresh, self.repo.root))
        known = unsynced and self.parse_cache.described == head
        if self.store is not None and not self._store_read:
            self._store_read = True
            await asyncio.to_thread(self.store.load, self.parse_cache)
        index = await asyncio.to_thread(functools.partial(self.index, self.repo.root, tree_known=known))
        self.parse_cache.described = head
        return Indexed(self.name, head, index, self.repo, unsynced)

    async def run(
        self,
        indexed: Indexed,
        scanner: CycleScanner,
        peers: Peers,
        only: frozenset[str] | None,
        *,
        dry_run: bool,
        report: TargetReport,
    ) -> None:
        """Scan, decide, edit and deliver on the checkout ``indexed`` left."""
        if self.refreshed is not None:
            report.preamble = list(self.refreshed.preamble)
            report.errors.extend(self.refreshed.errors)
        in_use = indexed.index.images_in_use()
        report.findings = list(indexed.index.findings) + [
            Finding(
                "unreferenced_image",
                f"image {image.name} ({image.image}) is configured for this target, but no "
                f"file under {', '.join(self.target.git.paths)} references it",
            )
            for image in self.target.images
            if image.name not in in_use
        ]
        wanted = self._images_for(only, in_use)
        report.scans = await scanner.scan(wanted, in_use)
        await self._follow(report.scans, peers)
        decisions = self.decisions = Decisions(report.scans, previous=self.decisions)
        wanted_pins: dict[str, set[str]] = {}
        for name, tag in self._plans.pins(indexed.index, report.scans, decisions):
            wanted_pins.setdefault(name, set()).add(tag)
        digests = await scanner.digests(wanted_pins, report.scans) if wanted_pins else {}
        report.plan = self._plans.plan(indexed.index, report.scans, digests, decisions)
        edits = _CycleEdits(self, indexed.head, report.scans, digests, report.plan)
        git = self.target.git
        if git.write.mode == "pull_request":
            unscanned = {name for name, scan in report.scans.items() if scan.tags is None}
            outcomes, errors = await PullRequestDelivery(self.repo, self.forge, git).deliver(
                edits, {i.name: i.group for i in wanted}, unscanned, dry_run=dry_run
            )
            report.outcomes.extend(outcomes)
            report.errors.extend(e for e in errors if e not in report.plan.errors and e not in report.errors)
        else:
            message = None
            if self.target.message is not None:
                render = self.target.message

                def message(_: Sequence[Change]) -> str:
                    return render([(f.path, *f.versions()) for f in edits.latest.changed_files])

            if self.target.branch_for is not None and edits.changes:
                moves = list(dict.fromkeys((c.image, c.old, c.new) for c in edits.changes))
                branch = self.target.branch_for(moves)
                git = git.model_copy(update={"write": git.write.model_copy(update={"branch": branch})})
            checkouts = self.repo.checkouts
            outcome = await push(self.repo, git, edits, dry_run=dry_run, message=message)
            if outcome.pushed and outcome.commit is not None and self.repo.checkouts == checkouts:
                # The tree indexed last, with what we wrote. After a checkout during delivery (another
                # process had the work tree, or a rejected push) the index may not be that tree: walk.
                self.parse_cache.described = outcome.commit
            report.outcomes.append(outcome)
            report.plan = edits.latest
        if self.store is not None:
            await asyncio.to_thread(self.store.save, self.parse_cache)

    async def _follow(self, scans: dict[str, ImageScan], peers: Peers) -> None:
        """Narrow each following image's tags to those its source target has soaked."""
        for name, follow in self.target.follow.items():
            scan = scans.get(name)
            if scan is None or scan.tags is None:
                continue
            try:
                source = await peers[follow.target]
                since = await asyncio.to_thread(carried, source, scan.image)
            except ImageUpdaterError as exc:
                scans[name] = unreadable(scan, follow, exc)
                continue
            scans[name] = soaked(scan, follow, since, self._clock())

    def _images_for(
        self, only: frozenset[str] | None, in_use: dict[str, set[tuple[str | None, str | None]]]
    ) -> list[ImageSettings]:
        images = [i for i in self.target.images if i.name in in_use]
        if only is None:
            return images
        if self.target.git.write.mode == "pull_request":
            # A PR holds its whole group: rescan every member so the branch is rebuilt completely.
            groups = {self.group_of(i) for i in images if i.name in only}
            return [i for i in images if self.group_of(i) in groups]
        return [i for i in images if i.name in only]
