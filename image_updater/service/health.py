"""Liveness and readiness as the scheduler sees them.

Ready means "configuration loaded and a cycle succeeded recently": a service whose cycles keep
failing (bad credentials, unreachable Git) or have stopped running is not doing its job even though
the process answers.  Until the first cycle finishes, the time the configuration was loaded stands in
for the last success, so a fresh pod gets the same grace period.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from image_updater.secrets import REDACTOR


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
        self._last_success: float | None = None
        self._last_failure: tuple[float, str] | None = None
        self._last_ok: bool | None = None

    def mark_config_loaded(self, now: float | None = None) -> None:
        with self._lock:
            self._loaded_at = self._clock() if now is None else now

    def cycle_succeeded(self, now: float | None = None) -> None:
        with self._lock:
            self._last_success = self._clock() if now is None else now
            self._last_ok = True

    def cycle_failed(self, err: BaseException | str, now: float | None = None) -> None:
        text = err if isinstance(err, str) else f"{type(err).__name__}: {err}"
        with self._lock:
            self._last_failure = (self._clock() if now is None else now, REDACTOR.redact(text)[:500])
            self._last_ok = False

    def is_ready(self, now: float | None = None) -> tuple[bool, str]:
        """``(ready, reason)``; the reason is safe to show (errors are redacted and truncated)."""
        with self._lock:
            current = self._clock() if now is None else now
            if self._loaded_at is None:
                return False, "configuration not loaded"
            reference = self._last_success if self._last_success is not None else self._loaded_at
            age = current - reference
            failure = (
                f"; last cycle failed: {self._last_failure[1]}" if self._last_ok is False and self._last_failure else ""
            )
            if self._last_success is None:
                if age <= self.stale_after:
                    return True, f"waiting for the first cycle ({age:.0f}s since start){failure}"
                return False, f"no successful cycle in {age:.0f}s since start{failure}"
            if age <= self.stale_after:
                return True, f"last successful cycle {age:.0f}s ago{failure}"
            return False, (f"last successful cycle {age:.0f}s ago, more than {self.stale_after:.0f}s{failure}")
