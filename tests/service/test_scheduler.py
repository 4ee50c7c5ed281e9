"""CycleScheduler: intervals, jitter, per-image intervals, one cycle at a time, coalescing, shutdown.

Cycles here are coroutines gated by events the test opens, so assertions are about order and counts.
"""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime, timedelta

import pytest

from image_updater.service import CycleScheduler, Health, Metrics
from tests.support.service_wait import settle, until

Scope = frozenset[str] | None


class GatedCycles:
    """A run_cycle that records calls and, when ``gated``, waits until the test releases each one."""

    def __init__(self, gated: bool = False) -> None:
        self.gated = gated
        self.started: list[Scope] = []
        self.finished: list[Scope] = []
        self.running = 0
        self.max_running = 0
        self._gates: list[asyncio.Event] = []
        self.fail_next = False

    async def __call__(self, images: Scope) -> None:
        self.started.append(images)
        self.running += 1
        self.max_running = max(self.max_running, self.running)
        try:
            if self.gated:
                gate = asyncio.Event()
                self._gates.append(gate)
                await gate.wait()
            if self.fail_next:
                self.fail_next = False
                raise RuntimeError("registry unreachable: https://user:hunter2hunter2@registry.example.com")
        finally:
            self.running -= 1
        self.finished.append(images)

    def release(self) -> None:
        self._gates.pop(0).set()


async def test_global_interval_runs_repeatedly() -> None:
    cycles = GatedCycles()
    scheduler = CycleScheduler(cycles, interval=0.05, jitter=0.0, run_at_start=False)
    await scheduler.start()
    try:
        await until(lambda: len(cycles.finished) >= 3, "three scheduled cycles")
    finally:
        await scheduler.stop()
    assert set(cycles.finished) == {None}
    assert cycles.max_running == 1


async def test_run_at_start_gives_one_immediate_cycle_of_everything() -> None:
    cycles = GatedCycles()
    scheduler = CycleScheduler(cycles, interval=3600, jitter=0.1)
    await scheduler.start()
    try:
        await until(lambda: len(cycles.finished) == 1, "the start-up cycle")
    finally:
        await scheduler.stop()
    assert cycles.finished == [None]


async def test_jitter_delays_each_run_by_at_most_the_fraction() -> None:
    scheduler = CycleScheduler(GatedCycles(), interval=10, jitter=0.2, run_at_start=False)
    await scheduler.start()
    try:
        ((job_id, trigger, images),) = scheduler.jobs()
    finally:
        await scheduler.stop()
    assert (job_id, images) == ("cycle:all", None)
    previous = datetime(2024, 1, 1, tzinfo=UTC)
    delays = [(trigger.get_next_fire_time(previous, previous) - previous).total_seconds() for _ in range(200)]
    assert all(10 <= d <= 12 for d in delays)
    assert len({round(d, 3) for d in delays}) > 1  # it does vary


async def test_no_jitter_means_exact_interval() -> None:
    scheduler = CycleScheduler(GatedCycles(), interval=10, jitter=0.0, run_at_start=False)
    await scheduler.start()
    try:
        ((_, trigger, _),) = scheduler.jobs()
    finally:
        await scheduler.stop()
    previous = datetime(2024, 1, 1, tzinfo=UTC)
    assert trigger.get_next_fire_time(previous, previous) == previous + timedelta(seconds=10)


async def test_images_with_their_own_interval_leave_the_global_cycle() -> None:
    cycles = GatedCycles()
    scheduler = CycleScheduler(
        cycles,
        interval=3600,
        jitter=0.0,
        run_at_start=False,
        all_images={"web", "api", "batch", "cron"},
        image_intervals={"web": 0.05, "api": 0.05, "cron": 7200},
    )
    await scheduler.start()
    try:
        jobs = {job_id: (trigger.interval.total_seconds(), images) for job_id, trigger, images in scheduler.jobs()}
        await until(lambda: len(cycles.finished) >= 3, "three fast per-image cycles")
    finally:
        await scheduler.stop()
    assert jobs == {
        "cycle:all": (3600, frozenset({"batch"})),
        "cycle:0.05s": (0.05, frozenset({"web", "api"})),
        "cycle:7200s": (7200, frozenset({"cron"})),
    }
    assert set(cycles.finished) == {frozenset({"web", "api"})}


def test_per_image_intervals_need_the_image_list() -> None:
    with pytest.raises(ValueError, match="all_images"):
        CycleScheduler(GatedCycles(), interval=60, image_intervals={"web": 10})
    with pytest.raises(ValueError, match="jitter"):
        CycleScheduler(GatedCycles(), interval=60, jitter=1.5)


async def test_requests_during_a_cycle_coalesce_into_one_follow_up() -> None:
    cycles = GatedCycles(gated=True)
    scheduler = CycleScheduler(cycles, interval=3600, run_at_start=False)
    await scheduler.start()
    try:
        scheduler.trigger({"web"})
        await until(lambda: len(cycles.started) == 1, "the first cycle")
        for images in ({"api"}, {"batch"}, {"api"}, set()):
            scheduler.trigger(images)
            await settle()
        assert cycles.started == [frozenset({"web"})]  # nothing overlapped the running cycle
        cycles.release()
        await until(lambda: len(cycles.started) == 2, "the follow-up")
        assert cycles.started[1] == frozenset({"api", "batch"})
        scheduler.trigger({"web"})
        scheduler.trigger(None)  # "everything" absorbs named images
        await settle()
        cycles.release()
        await until(lambda: len(cycles.started) == 3, "the second follow-up")
        assert cycles.started[2] is None
        cycles.release()
        await until(lambda: len(cycles.finished) == 3, "the last cycle to end")
        await settle()
    finally:
        await scheduler.stop()
    assert len(cycles.started) == 3
    assert cycles.max_running == 1


async def test_without_debounce_a_request_after_start_is_a_follow_up_but_debounce_merges_a_burst() -> None:
    plain = GatedCycles()
    scheduler = CycleScheduler(plain, interval=3600, run_at_start=False)
    await scheduler.start()
    scheduler.trigger({"web"})
    await until(lambda: len(plain.finished) == 1, "first cycle")
    scheduler.trigger({"api"})
    await until(lambda: len(plain.finished) == 2, "second cycle")
    await scheduler.stop()
    assert plain.finished == [frozenset({"web"}), frozenset({"api"})]

    burst = GatedCycles()
    scheduler = CycleScheduler(burst, interval=3600, run_at_start=False, debounce=0.3)
    await scheduler.start()
    for image in ("web", "api", "web", "batch"):
        scheduler.trigger({image})
        await settle()
    await until(lambda: len(burst.finished) == 1, "the debounced cycle")
    await scheduler.stop()
    assert burst.finished == [frozenset({"web", "api", "batch"})]


async def test_stop_waits_for_the_cycle_in_flight_and_drops_the_follow_up() -> None:
    cycles = GatedCycles(gated=True)
    scheduler = CycleScheduler(cycles, interval=3600, run_at_start=False)
    await scheduler.start()
    scheduler.trigger({"web"})
    await until(lambda: len(cycles.started) == 1, "the cycle")
    scheduler.trigger({"api"})  # queued follow-up
    stopping = asyncio.create_task(scheduler.stop())
    await settle()
    assert not stopping.done()  # still waiting for the push in flight
    scheduler.trigger({"batch"})  # too late: ignored
    cycles.release()
    await stopping
    assert cycles.finished == [frozenset({"web"})]
    assert cycles.started == [frozenset({"web"})]


async def test_cancelling_stop_does_not_abort_the_cycle() -> None:
    cycles = GatedCycles(gated=True)
    scheduler = CycleScheduler(cycles, interval=3600, run_at_start=False)
    await scheduler.start()
    scheduler.trigger(None)
    await until(lambda: len(cycles.started) == 1, "the cycle")
    stopping = asyncio.create_task(scheduler.stop())
    await settle()
    stopping.cancel()
    await settle()
    cycles.release()
    await until(lambda: cycles.finished == [None], "the cycle to finish despite the cancelled stop")
    await scheduler.stop()


async def test_stop_with_a_deadline_cancels_a_stuck_cycle() -> None:
    cycles = GatedCycles(gated=True)
    scheduler = CycleScheduler(cycles, interval=3600, run_at_start=False)
    await scheduler.start()
    scheduler.trigger(None)
    await until(lambda: len(cycles.started) == 1, "the cycle")
    await scheduler.stop(timeout=0.05)
    assert cycles.finished == []


async def test_a_failed_cycle_is_recorded_and_the_next_one_runs() -> None:
    cycles = GatedCycles()
    metrics, health = Metrics(), Health(60, clock=lambda: 1000.0)
    health.mark_config_loaded()
    scheduler = CycleScheduler(cycles, interval=3600, run_at_start=False, metrics=metrics, health=health)
    await scheduler.start()
    cycles.fail_next = True
    scheduler.trigger(None)
    await until(lambda: scheduler.cycles_run == 1, "the failing cycle")
    ready, reason = health.is_ready(now=1000.0)
    assert ready and reason == "last cycle finished 0s ago failed unexpectedly (see the logs)"  # no class, no text
    scheduler.trigger(None)
    await until(lambda: scheduler.cycles_run == 2, "the next cycle")
    await scheduler.stop()
    assert metrics.value("image_updater_cycles_total", {"result": "error"}) == 1
    assert metrics.value("image_updater_cycles_total", {"result": "ok"}) == 1
    assert metrics.value("image_updater_last_successful_cycle_timestamp_seconds") is not None
    assert health.is_ready(now=1000.0) == (True, "last cycle finished 0s ago without errors")


async def test_trigger_from_another_thread() -> None:
    cycles = GatedCycles()
    scheduler = CycleScheduler(cycles, interval=3600, run_at_start=False)
    await scheduler.start()
    thread = threading.Thread(target=scheduler.trigger, args=({"web"},))
    thread.start()
    await asyncio.to_thread(thread.join)
    await until(lambda: len(cycles.finished) == 1, "the cycle requested from a thread")
    await scheduler.stop()
    assert cycles.finished == [frozenset({"web"})]
