"""When cycles run: on an interval (per image if configured), on webhooks, never two at once.

APScheduler only *requests* cycles (its jobs call :meth:`CycleScheduler.trigger`); a single worker
task runs them.  That split is what gives the guarantees APScheduler's ``max_instances`` cannot: a
request made while a cycle runs is not dropped but merged into exactly one follow-up cycle covering
every image asked for meanwhile, and stopping waits for the cycle in flight (its push included)
without starting the follow-up.  Use one scheduler per config repo.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable, Collection, Iterable, Mapping

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from image_updater.logs import get_logger
from image_updater.service.health import Health
from image_updater.service.metrics import Metrics

log = get_logger("image_updater.service.scheduler")

#: Runs one cycle; returns how many errors it reported (expected failures: a remote down, a push
#: refused), or raises for a bug.
RunCycle = Callable[[frozenset[str] | None], Awaitable[int | None]]


class CycleScheduler:
    """Runs ``run_cycle(None)`` (every image) or ``run_cycle(frozenset(names))`` one at a time.

    ``interval`` seconds between scheduled cycles, each delayed by up to ``jitter × interval`` so many
    instances do not hit a registry together.  ``image_intervals`` gives some images their own
    interval; they are then left out of the global cycle, which needs ``all_images`` to know the rest.
    ``debounce`` seconds are waited after a request before starting, so a burst of webhooks (an index
    and its children pushed one by one) becomes one cycle.
    """

    def __init__(
        self,
        run_cycle: RunCycle,
        *,
        interval: float,
        jitter: float = 0.0,
        image_intervals: Mapping[str, float] | None = None,
        all_images: Collection[str] = (),
        debounce: float = 0.0,
        run_at_start: bool = True,
        metrics: Metrics | None = None,
        health: Health | None = None,
    ) -> None:
        if interval <= 0:
            raise ValueError("interval must be more than zero")
        if not 0 <= jitter <= 1:
            raise ValueError("jitter is a fraction of the interval, between 0 and 1")
        overrides = dict(image_intervals or {})
        for image, seconds in overrides.items():
            if seconds <= 0:
                raise ValueError(f"image {image}: interval must be more than zero")
        missing = set(overrides) - set(all_images)
        if overrides and missing:
            raise ValueError(f"images with their own interval must be among all_images: {sorted(missing)}")
        self._run_cycle = run_cycle
        self.interval = interval
        self.jitter = jitter
        self.debounce = debounce
        self._run_at_start = run_at_start
        self._metrics = metrics
        self._health = health
        # The global job covers every image without an override; None means "all" to run_cycle.
        rest = frozenset(all_images) - set(overrides)
        self._groups: dict[float, frozenset[str]] = {}
        for image, seconds in overrides.items():
            self._groups[seconds] = (self._groups.get(seconds) or frozenset()) | {image}
        self._global_images: frozenset[str] | None = rest if overrides else None
        self._pending: set[str] = set()
        self._pending_all = False
        self._requested = asyncio.Event()
        self._stopping = False
        self._worker: asyncio.Task[None] | None = None
        self._scheduler: AsyncIOScheduler | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None
        self.cycles_run = 0
        self.cycle_running = False

    # -- requests -------------------------------------------------------------------------------

    def trigger(self, images: Iterable[str] | None = None) -> None:
        """Ask for a cycle over ``images`` (``None``: all).  Never blocks; safe from any thread."""
        if self._loop is not None and threading.get_ident() != self._loop_thread:
            self._loop.call_soon_threadsafe(self._request, None if images is None else frozenset(images))
            return
        self._request(None if images is None else frozenset(images))

    def _request(self, images: frozenset[str] | None) -> None:
        if self._stopping:
            log.debug("cycle request ignored: scheduler is stopping")
            return
        if images is None:
            self._pending_all = True
        elif not images:
            return
        else:
            self._pending.update(images)
        self._requested.set()

    def _take_pending(self) -> frozenset[str] | None:
        images = None if self._pending_all else frozenset(self._pending)
        self._pending.clear()
        self._pending_all = False
        self._requested.clear()
        return images

    async def _tick(self, images: frozenset[str] | None) -> None:
        self._request(images)

    # -- lifecycle ------------------------------------------------------------------------------

    def _interval_trigger(self, seconds: float) -> IntervalTrigger:
        return IntervalTrigger(seconds=seconds, jitter=seconds * self.jitter or None)

    async def start(self) -> None:
        if self._worker is not None:
            raise RuntimeError("scheduler already started")
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        scheduler = AsyncIOScheduler(
            event_loop=self._loop, job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None}
        )
        if self._global_images is None or self._global_images:
            scheduler.add_job(
                self._tick,
                self._interval_trigger(self.interval),
                args=[self._global_images],
                id="cycle:all",
                name="scheduled cycle",
            )
        for seconds, images in sorted(self._groups.items()):
            scheduler.add_job(
                self._tick,
                self._interval_trigger(seconds),
                args=[images],
                id=f"cycle:{seconds:g}s",
                name=f"scheduled cycle every {seconds:g}s",
            )
        scheduler.start()
        self._scheduler = scheduler
        self._worker = asyncio.create_task(self._work(), name="image-updater cycles")
        if self._health is not None:
            worker = self._worker
            self._health.watch_worker(lambda: not worker.done() or self._stopping)
        if self._run_at_start:
            self._request(None)

    def jobs(self) -> list[tuple[str, IntervalTrigger, frozenset[str] | None]]:
        """(id, trigger, images) of each scheduled job, for ``plan`` output and tests."""
        if self._scheduler is None:
            return []
        return [(job.id, job.trigger, job.args[0]) for job in self._scheduler.get_jobs()]

    async def stop(self, timeout: float | None = None) -> None:
        """Stop scheduling; wait for the cycle in flight (not the queued follow-up) to finish.

        Cancelling the caller does not cancel the cycle.  After ``timeout`` seconds the cycle is
        cancelled, for callers that must exit before a hard kill arrives.
        """
        self._stopping = True
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None
        worker = self._worker
        if worker is None:
            return
        self._requested.set()  # wake an idle worker so it sees _stopping
        try:
            await asyncio.wait_for(asyncio.shield(worker), timeout)
        except TimeoutError:
            log.warning("cycle still running at shutdown deadline; cancelling it", timeout=timeout)
            worker.cancel()
            await asyncio.gather(worker, return_exceptions=True)

    # -- the worker -----------------------------------------------------------------------------

    async def _work(self) -> None:
        while True:
            await self._requested.wait()
            if self._stopping:
                return
            if self.debounce > 0:
                await asyncio.sleep(self.debounce)
                if self._stopping:
                    return
            await self._run_once(self._take_pending())

    async def _run_once(self, images: frozenset[str] | None) -> None:
        started = time.monotonic()
        scope = "all" if images is None else sorted(images)
        self.cycle_running = True
        if self._metrics is not None:
            self._metrics.cycle_started()
        if self._health is not None:
            self._health.cycle_started()
        log.info("cycle started", images=scope)
        errors: int | None = None
        try:
            errors = await self._run_cycle(images) or 0
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("cycle failed unexpectedly", images=scope)  # a bug: the traceback is for us
        finally:
            duration = time.monotonic() - started
            self.cycle_running = False
            self.cycles_run += 1
            if self._metrics is not None:
                self._metrics.cycle_finished(duration, errors == 0)
            if self._health is not None:
                self._health.cycle_finished(errors or 0, crashed=errors is None)
        if errors is not None:
            log.info("cycle finished", images=scope, duration=round(duration, 3), errors=errors)
