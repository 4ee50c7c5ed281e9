"""``image-updater run``: the update cycle on a schedule, webhooks narrowing it, metrics and health around it.

The runner wires the three layers that do not know each other: settings (``config``), the cycle
(``cycle``) and the long-running process (``service``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from image_updater import collector
from image_updater.config import Settings
from image_updater.cycle import CycleReport, ImageSettings, Observers, TargetReport, Updater, image_outcomes
from image_updater.logs import configure_logging, get_logger
from image_updater.service import CycleScheduler, Health, Metrics, ServiceServer, create_app, serve
from image_updater.webhooks import RepositoryEvent

log = get_logger(__name__)

#: Seconds a webhook waits before its cycle starts, so notifications sent back to back (several tags
#: pushed at once) would become one cycle. None: the children of a multi-arch push name no tag and are
#: ignored by the receivers, so there is no index to wait for, and a burst costs at most one extra
#: cycle (whatever arrives during a cycle becomes one follow-up). The 10 ms it was were a tenth of each
#: webhook's latency (bench/webhook_latency.py).
WEBHOOK_DEBOUNCE = 0.0


def images_for_events(
    settings: Settings, events: Sequence[RepositoryEvent], derived: Iterable[ImageSettings] = ()
) -> set[str]:
    """Names of the configured images (and of those the sources found last cycle) the events' repositories
    are (see ``RepositoryEvent.matches``): only these are scanned, so one push never costs a scan of every image."""
    images = [*settings.images, *derived]
    return {image.name for image in images for event in events if event.matches(image.image)}


class CycleRecorder:
    """Metrics per target and one structured log line per image, delivery and error (no tracebacks: these
    are the failures production has, named by target, image and cause).

    It remembers the last cycle of each target, so an update still waiting for its pull request to merge
    is counted once (``image_updater_updates_decided_total``), and a finding (an image no file
    references, a path that matches nothing) is logged once when it appears and once when it is gone,
    not every cycle.
    """

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics
        self._decided: dict[str, set[tuple[str, str, str]]] = {}
        self._findings: dict[str, set[tuple[str, str]]] = {}

    def record(self, report: CycleReport) -> None:
        for target, result in report.targets.items():
            self._target(target, result)
        for error in report.errors:
            log.error("cycle error", error=error)

    def _target(self, target: str, result: TargetReport) -> None:
        metrics = self.metrics
        metrics.target_cycle(target, ok=not result.all_errors)
        outcomes = image_outcomes(result)
        metrics.images_watched(target, len({b.image.name for b in result.plan.bindings}))
        for outcome in outcomes:
            scan = result.scans[outcome.name]
            if scan.tags is not None:
                metrics.tags_seen(outcome.name, len(scan.tags))
            if outcome.status == "error":
                metrics.image_error(target, outcome.name, "registry" if scan.error else "edit")
                log.warning("image failed", target=target, image=outcome.name, error=outcome.error)
        decided = {(c.image, c.old, c.new) for c in result.plan.changes}
        for image, _, _ in decided - self._decided.get(target, set()):
            metrics.update_decided(target, image)
        self._decided[target] = decided
        for (image, current), decision in result.plan.decisions.items():
            log.info(
                "decision",
                target=target,
                image=image,
                current=current,
                chosen=decision.chosen,
                changed=decision.changed,
                reason=decision.reason,
            )
        for delivered in result.outcomes:
            if delivered.pushed:
                metrics.commit_pushed(target)
            for _ in range(max(0, delivered.attempts - 1)):
                metrics.push_retry(target)
            log.info(
                "delivery",
                target=target,
                group=delivered.group,
                action=delivered.action,
                commit=delivered.commit,
                attempts=delivered.attempts,
                pull_request=delivered.pull_request,
            )
        self._note_findings(target, result)
        for error in result.all_errors:
            log.error("target error", target=target, error=error)

    def _note_findings(self, target: str, result: TargetReport) -> None:
        found = {(f.kind, f"{f.where + ': ' if f.where else ''}{f.message}") for f in result.findings}
        found |= {("skipped_reference", f"{s.path}:{s.line} ({s.manager}): {s.skipped}") for s in result.plan.skipped}
        before = self._findings.get(target, set())
        for kind, message in sorted(found - before):
            log.warning("no effect", target=target, kind=kind, finding=message)
        for kind, message in sorted(before - found):
            log.info("no longer found", target=target, kind=kind, finding=message)
        self._findings[target] = found
        counts: dict[str, int] = {}
        for kind, _ in found:
            counts[kind] = counts.get(kind, 0) + 1
        self.metrics.findings(target, counts)


class Service:
    """The pieces of the long-running process, built from settings; ``run`` blocks until SIGTERM."""

    def __init__(self, settings: Settings, *, metrics: Metrics | None = None, settle: bool = False) -> None:
        """``settle``: freeze what the first full cycle leaves alive out of the collector's sight (the
        process's own service; not a test's, whose objects would then never be collected)."""
        self.settings = settings
        self.metrics = metrics or Metrics()
        self.health = Health(settings.service.interval)
        self.recorder = CycleRecorder(self.metrics)
        observers = Observers(
            registry_request=self.metrics.registry_request,
            git_push=self.metrics.git_push,
            forge_request=self.metrics.forge_request,
        )
        self.updater = Updater(settings, cache=settings.cache_folder, observers=observers)
        intervals = {i.name: i.interval for i in settings.images if i.interval is not None}
        if intervals and any(t.sources for t in settings.cycle_targets):
            # A cycle for some images only would leave out the ones the sources find: all follow the global one.
            log.warning("images keep service.interval: sources are read", images=sorted(intervals))
            intervals = {}
        self.scheduler = CycleScheduler(
            self.cycle,
            interval=settings.service.interval,
            jitter=settings.service.jitter,
            image_intervals=intervals,
            all_images=[i.name for i in settings.images],
            debounce=WEBHOOK_DEBOUNCE,
            metrics=self.metrics,
            health=self.health,
        )
        self.app = create_app(settings.service, on_events=self.on_events, metrics=self.metrics, health=self.health)
        self.health.mark_config_loaded()
        self.server: ServiceServer | None = None
        self._settled = not settle

    async def cycle(self, only: frozenset[str] | None) -> int:
        """One cycle over the targets that use ``only``'s images; the number of errors it reported."""
        report = await self.updater.run_cycle(only)
        self.recorder.record(report)
        if only is None and not self._settled:
            # What the first full cycle built (checkouts, indexes, decisions) is kept from cycle to cycle.
            collector.settle(collect=True)
            self._settled = True
        return len(report.all_errors)

    def on_events(self, events: list[RepositoryEvent]) -> None:
        names = images_for_events(self.settings, events, self.updater.derived_images())
        log.info("webhook", repositories=[e.name for e in events], images=sorted(names))
        if names:
            self.scheduler.trigger(names)

    async def start(self, *, handle_signals: bool = True) -> ServiceServer:
        self.server = await serve(
            self.app, self.settings.service.listen, self.settings.service.port, handle_signals=handle_signals
        )
        await self.scheduler.start()
        return self.server

    async def stop(self) -> None:
        await self.scheduler.stop()
        if self.server is not None:
            await self.server.stop()
        await self.updater.aclose()


async def run_service(settings: Settings) -> int:
    configure_logging(settings.service.log_format, settings.service.log_level)
    service = Service(settings, settle=True)
    server = await service.start()
    try:
        await server.shutdown_requested.wait()
        log.info("shutting down: finishing the cycle in flight")
    finally:
        await service.stop()
    return 0
