"""Liveness and readiness of the process, never of what it talks to.

Ready means the process can do its work: the configuration loaded, the scheduler's worker alive, and no
cycle stuck for longer than ``stale_after``. A failing target, registry or image never makes it unready:
``/readyz`` red takes the pod out of its Service, and then every webhook for every image would be
dropped because one remote is down (as it once was: one failing image turned it red after three
intervals). Failures are in the logs and metrics, per target and image; the reason here only counts
them, and names no Python class.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class Health:
    def __init__(
        self, interval: float, *, stale_after_intervals: float = 3.0, clock: Callable[[], float] = time.time
    ) -> None:
        if interval <= 0:
            raise ValueError("interval must be more than zero")
        self.stale_after = interval * stale_after_intervals
        self._clock = clock
        self._lock = threading.Lock()
        self._loaded_at: float | None = None
        self._running_since: float | None = None
        self._finished_at: float | None = None
        self._errors = 0
        self._crashed = False
        self._worker_alive: Callable[[], bool] | None = None

    def _now(self, now: float | None) -> float:
        return self._clock() if now is None else now

    def mark_config_loaded(self, now: float | None = None) -> None:
        with self._lock:
            self._loaded_at = self._now(now)

    def watch_worker(self, alive: Callable[[], bool]) -> None:
        """The scheduler reports whether its worker task still runs."""
        self._worker_alive = alive

    def cycle_started(self, now: float | None = None) -> None:
        with self._lock:
            self._running_since = self._now(now)

    def cycle_finished(self, errors: int = 0, now: float | None = None, *, crashed: bool = False) -> None:
        """``errors``: what the cycle reported (a remote down, a push refused); ``crashed``: it raised (a bug)."""
        with self._lock:
            self._running_since = None
            self._finished_at = self._now(now)
            self._errors, self._crashed = errors, crashed

    def is_ready(self, now: float | None = None) -> tuple[bool, str]:
        """``(ready, reason)``; the reason is safe to show: counts and ages, never an error's text."""
        with self._lock:
            current = self._now(now)
            if self._loaded_at is None:
                return False, "configuration not loaded"
            if self._worker_alive is not None and not self._worker_alive():
                return False, "the scheduler's worker has stopped"
            if self._running_since is not None and current - self._running_since > self.stale_after:
                return False, (
                    f"a cycle has been running for {current - self._running_since:.0f}s, more than "
                    f"{self.stale_after:.0f}s: see the logs for the remote or registry it waits on"
                )
            last = self._finished_at if self._finished_at is not None else self._loaded_at
            if self._running_since is None and current - last > self.stale_after:
                return False, f"no cycle has finished in {current - last:.0f}s, more than {self.stale_after:.0f}s"
            if self._finished_at is None:
                return True, f"waiting for the first cycle ({current - self._loaded_at:.0f}s since start)"
            outcome = (
                "failed unexpectedly (see the logs)"
                if self._crashed
                else f"with {self._errors} error(s) (see the logs and metrics)"
                if self._errors
                else "without errors"
            )
            return True, f"last cycle finished {current - self._finished_at:.0f}s ago {outcome}"
