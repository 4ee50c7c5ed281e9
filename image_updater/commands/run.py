"""``image-updater run``: the update cycle on a schedule, webhooks narrowing it, metrics and health around it.

The runner wires the three layers that do not know each other: settings (``config``), the cycle
(``cycle``) and the long-running process (``service``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from image_updater.config import Settings
from image_updater.cycle import CycleReport, ImageSettings, Updater
from image_updater.logs import configure_logging, get_logger
from image_updater.service import CycleScheduler, Health, Metrics, ServiceServer, create_app, serve
from image_updater.webhooks import RepositoryEvent

log = get_logger(__name__)

#: Seconds a webhook waits before its cycle starts, so notifications sent back to back (several tags
#: pushed at once) become one cycle. The children of a multi-arch push name no tag and are ignored by
#: the receivers, so there is no index to wait for; every millisecond here is added to each webhook's
#: latency, and a too-short wait costs only an extra cycle (a request arriving during a cycle becomes
#: one follow-up). bench/webhook_latency.py measures the total.
WEBHOOK_DEBOUNCE = 0.01


def images_for_events(
    settings: Settings, events: Sequence[RepositoryEvent], derived: Iterable[ImageSettings] = ()
) -> set[str]:
    """Names of the configured images (and of those the sources found last cycle) the events' repositories
    are (see ``RepositoryEvent.matches``): only these are scanned, so one push never costs a scan of every image."""
    images = [*settings.images, *derived]
    return {image.name for image in images for event in events if event.matches(image.image)}


def record_cycle(report: CycleReport, metrics: Metrics) -> None:
    """Metrics per target and one structured log line per image, delivery and error (no tracebacks: these
    are the failures production has, named by target, image and cause)."""
    for target, result in report.targets.items():
        metrics.target_cycle(target, ok=not result.all_errors)
        for name, scan in result.scans.items():
            if scan.tags is not None:
                metrics.tags_seen(name, len(scan.tags))
            else:
                log.warning("scan failed", target=target, image=name, error=scan.error)
        for (image, current), decision in result.plan.decisions.items():
            if decision.changed:
                metrics.update_decided(target, image)
            log.info(
                "decision",
                target=target,
                image=image,
                current=current,
                chosen=decision.chosen,
                changed=decision.changed,
                reason=decision.reason,
            )
        for outcome in result.outcomes:
            if outcome.pushed:
                metrics.commit_pushed(target)
            for _ in range(max(0, outcome.attempts - 1)):
                metrics.push_retry(target)
            log.info(
                "delivery",
                target=target,
                group=outcome.group,
                action=outcome.action,
                commit=outcome.commit,
                attempts=outcome.attempts,
                pull_request=outcome.pull_request,
            )
        for error in result.all_errors:
            log.error("target error", target=target, error=error)
    for error in report.errors:
        log.error("cycle error", error=error)


class Service:
    """The pieces of the long-running process, built from settings; ``run`` blocks until SIGTERM."""

    def __init__(self, settings: Settings, *, metrics: Metrics | None = None) -> None:
        self.settings = settings
        self.metrics = metrics or Metrics()
        self.health = Health(settings.service.interval)
        self.updater = Updater(settings, on_registry_request=self.metrics.registry_request)
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

    async def cycle(self, only: frozenset[str] | None) -> int:
        """One cycle over the targets that use ``only``'s images; the number of errors it reported."""
        report = await self.updater.run_cycle(only)
        record_cycle(report, self.metrics)
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
    service = Service(settings)
    server = await service.start()
    try:
        await server.shutdown_requested.wait()
        log.info("shutting down: finishing the cycle in flight")
    finally:
        await service.stop()
    return 0
