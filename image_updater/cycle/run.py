"""One update cycle over every target. ``plan`` is the same cycle, delivering nothing.

Targets run concurrently, up to ``service.max_concurrent_targets``, each in its own checkout; what they
share is the registry: one :class:`CycleScanner` per cycle lists each repository once and reads each
tag's metadata once, for all of them. A target's failure (unreachable remote, rejected push,
unparseable file) is reported under its name and never stops or delays the others.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from image_updater.cycle.promotion import Indexed
from image_updater.cycle.scan import CycleScanner
from image_updater.cycle.settings import CycleSettings, ImageSettings, Target
from image_updater.cycle.target import Observers, TargetReport, TargetRunner
from image_updater.cycle.targets import DEFAULT_TARGET
from image_updater.delivery import GroupOutcome
from image_updater.errors import ConfigError, ImageUpdaterError
from image_updater.logs import get_logger
from image_updater.registry import RegistryClient, import_in_background

log = get_logger(__name__)


@dataclass
class CycleReport:
    targets: dict[str, TargetReport] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    duration: float = 0.0
    dry_run: bool = False

    def target(self, name: str = DEFAULT_TARGET) -> TargetReport:
        return self.targets[name]

    @property
    def ok(self) -> bool:
        """No error of any kind in any target: registry, parse, policy, edit or delivery."""
        return not self.all_errors

    @property
    def all_errors(self) -> list[str]:
        """Every error, named by its target when the cycle ran more than the implicit one."""
        named = len(self.targets) > 1 or any(name != DEFAULT_TARGET for name in self.targets)
        out = [f"target {name}: {e}" if named else e for name, r in self.targets.items() for e in r.all_errors]
        return out + self.errors

    @property
    def outcomes(self) -> list[GroupOutcome]:
        return [outcome for report in self.targets.values() for outcome in report.outcomes]


class Updater:
    """Long-lived: keeps the registry client (ETag and digest caches) and one runner per target (checkout,
    parse cache, forge client) across cycles."""

    def __init__(
        self,
        settings: CycleSettings,
        *,
        workdir: Path | None = None,
        cache: Callable[[Target], Path | None] | None = None,
        observers: Observers | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """``workdir`` puts every target's checkout below one folder (``plan``'s scratch folder); ``cache``
        names the folder each target's parse cache is kept in between processes (``store.py``; None: not
        kept); ``observers`` hear of every registry request, git push and forge request (the service's
        metrics)."""
        self.settings = settings
        observers = observers or Observers()
        self.client = RegistryClient(
            settings.registries, docker_config=settings.docker_config, on_request=observers.registry_request
        )
        several = len(settings.cycle_targets) > 1 or any(t.name != DEFAULT_TARGET for t in settings.cycle_targets)
        #: Targets another one follows: their index is read by others, so it is always made from a sync.
        self._followed = frozenset(f.target for t in settings.cycle_targets for f in t.follow.values())
        self.runners = {
            t.name: TargetRunner(
                t,
                settings.manifests,
                workdir / t.name if workdir else Path(t.workdir),
                clock,
                observers,
                registries=settings.registries,
                has_targets=several,
                cache_dir=cache(t) if cache is not None else None,
            )
            for t in settings.cycle_targets
        }

    def derived_images(self) -> list[ImageSettings]:
        """The images the targets' sources found at their last read (webhooks match them too)."""
        return [i for r in self.runners.values() if r.refreshed is not None for i in r.refreshed.images.values()]

    async def aclose(self) -> None:
        await self.client.aclose()
        for runner in self.runners.values():
            await runner.aclose()

    def check_targets(self, names: frozenset[str] | None) -> None:
        unknown = sorted((names or frozenset()) - set(self.runners))
        if unknown:
            raise ConfigError(f"no target is named {', '.join(unknown)} (known: {', '.join(self.runners)})")

    async def run_cycle(
        self, only: frozenset[str] | None = None, *, dry_run: bool = False, targets: frozenset[str] | None = None
    ) -> CycleReport:
        """A cycle over the targets that use an image in ``only`` (None: all), or only those ``targets``."""
        started = time.monotonic()
        import_in_background()  # the registry's HTTP client, while the targets' git processes run
        await self.client.close_stale()
        report = CycleReport(dry_run=dry_run)
        self.check_targets(targets)
        chosen = [r for r in self.runners.values() if (targets is None or r.name in targets) and r.uses(only)]
        # A followed target is read (synced and indexed) even when it has nothing to deliver this cycle.
        read_only = {f.target for r in chosen for f in r.target.follow.values()} - {r.name for r in chosen}
        loop = asyncio.get_running_loop()
        peers: dict[str, asyncio.Future[Indexed]] = {
            name: loop.create_future() for name in {r.name for r in chosen} | read_only
        }
        scanner = CycleScanner(self.client)
        slots = asyncio.Semaphore(self.settings.schedule.max_concurrent_targets)
        for runner in chosen:
            report.targets[runner.name] = TargetReport(runner.name)
        await asyncio.gather(
            *(self._one(r, peers, scanner, slots, only, dry_run, report) for r in chosen),
            *(self._read(self.runners[name], peers, slots) for name in sorted(read_only)),
        )
        for future in peers.values():
            if future.done() and not future.cancelled():
                future.exception()  # retrieved: a target nobody followed failed, and its report says so
        report.duration = time.monotonic() - started
        return report

    async def _read(
        self, runner: TargetRunner, peers: dict[str, asyncio.Future[Indexed]], slots: asyncio.Semaphore
    ) -> None:
        try:
            async with slots:
                indexed = await runner.sync_and_index()
                indexed.index.trees.clear()  # read for its history only: no plan renders from it
                peers[runner.name].set_result(indexed)
        except ImageUpdaterError as exc:
            peers[runner.name].set_exception(exc)

    async def _one(
        self,
        runner: TargetRunner,
        peers: dict[str, asyncio.Future[Indexed]],
        scanner: CycleScanner,
        slots: asyncio.Semaphore,
        only: frozenset[str] | None,
        dry_run: bool,
        cycle: CycleReport,
    ) -> None:
        """One target, isolated: whatever fails is its report's error, and the others go on.

        The followed targets' indexes are awaited without holding a slot, so a full set of slots
        waiting on a target that has none can never deadlock. The targets its sources derived run after
        it, one by one, each with its own report.
        """
        report = cycle.targets[runner.name]
        started = time.monotonic()
        synced = False
        # A cycle for some images (a webhook's) plans on the checkout as we left it: the push is the one
        # round trip, and a remote that moved rejects it (then fetch, re-apply). With nothing to push it
        # asks the remote after all, and runs again on what it holds when that moved.
        unsynced = only is not None and not dry_run and runner.may_skip_sync() and runner.name not in self._followed
        try:
            try:
                async with slots:
                    indexed = await runner.sync_and_index(skip_sync=unsynced)
            except BaseException as exc:
                peers[runner.name].set_exception(exc)
                raise
            synced = True
            if runner.refreshed is not None:
                self.client.use_derived(runner.name, runner.refreshed.registries)
            peers[runner.name].set_result(indexed)
            await asyncio.wait([peers[f.target] for f in runner.target.follow.values()] or [_done()])
            async with slots:
                await runner.run(indexed, scanner, peers, only, dry_run=dry_run, report=report)
                if indexed.unsynced and not any(o.pushed for o in report.outcomes) and not report.errors:
                    report = cycle.targets[runner.name] = await self._synced_again(
                        runner, indexed, scanner, only, report
                    )
        except ImageUpdaterError as exc:
            report.errors.append(str(exc))
        except Exception as exc:  # a bug in one target must not take the fleet's cycle with it
            log.exception("target failed unexpectedly", target=runner.name)
            report.errors.append(f"internal error ({type(exc).__name__}: {exc})")
        report.duration = time.monotonic() - started
        if synced:
            for child in runner.children.values():
                if child.target.images and child.uses(only):
                    cycle.targets[child.name] = TargetReport(child.name)
                    await self._derived(child, scanner, slots, only, dry_run, cycle.targets[child.name])

    async def _synced_again(
        self,
        runner: TargetRunner,
        indexed: Indexed,
        scanner: CycleScanner,
        only: frozenset[str] | None,
        report: TargetReport,
    ) -> TargetReport:
        """A cycle planned on the checkout as we left it found nothing to push: sync, and when the remote
        (or what the files hold) moved, run again on that (such a target follows none: no peers); the
        report of the run that counts."""
        fresh = await runner.sync_and_index()
        if fresh.head == indexed.head and fresh.index is indexed.index:
            return report
        report = TargetReport(runner.name)
        await runner.run(fresh, scanner, {}, only, dry_run=False, report=report)
        return report

    async def _derived(
        self,
        runner: TargetRunner,
        scanner: CycleScanner,
        slots: asyncio.Semaphore,
        only: frozenset[str] | None,
        dry_run: bool,
        report: TargetReport,
    ) -> None:
        """A target the sources derived: synced after its parent delivered, so it builds on that commit."""
        started = time.monotonic()
        try:
            async with slots:
                indexed = await runner.sync_and_index()
                await runner.run(indexed, scanner, {}, only, dry_run=dry_run, report=report)
        except ImageUpdaterError as exc:
            report.errors.append(str(exc))
        except Exception as exc:  # as for any target: reported, the others go on
            log.exception("target failed unexpectedly", target=runner.name)
            report.errors.append(f"internal error ({type(exc).__name__}: {exc})")
        report.duration = time.monotonic() - started


def _done() -> asyncio.Future[None]:
    future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    future.set_result(None)
    return future
