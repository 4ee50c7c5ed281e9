"""Prometheus metrics for one service instance.

Each :class:`Metrics` owns its own :class:`CollectorRegistry`: two apps in one process (tests, or a
future multi-repo runner) never collide on names, and ``/metrics`` shows exactly this instance.
"""

from __future__ import annotations

import time

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

_DURATION_BUCKETS = (0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800)
_REQUEST_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)

WEBHOOK_RESULTS = (
    "accepted",
    "ignored",
    "unauthorized",
    "too_large",
    "timeout",
    "busy",
    "malformed",
    "unknown_receiver",
    "error",
)
"""The ``result`` label of ``image_updater_webhook_events_total``."""


class Metrics:
    """Named recording methods over a private registry, so callers never touch label plumbing."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        r = self.registry
        self._cycles = Counter(
            "image_updater_cycles", "Update cycles run, by result (ok, error).", ["result"], registry=r
        )
        self._cycle_seconds = Histogram(
            "image_updater_cycle_duration_seconds", "Duration of update cycles.", buckets=_DURATION_BUCKETS, registry=r
        )
        self._cycle_running = Gauge("image_updater_cycle_in_progress", "1 while a cycle runs.", registry=r)
        self._last_success = Gauge(
            "image_updater_last_successful_cycle_timestamp_seconds",
            "Unix time the last successful cycle finished.",
            registry=r,
        )
        self._registry_requests = Counter(
            "image_updater_registry_requests",
            "HTTP requests to registries, by registry and status code.",
            ["registry", "status"],
            registry=r,
        )
        self._registry_seconds = Histogram(
            "image_updater_registry_request_duration_seconds",
            "Duration of registry requests.",
            ["registry"],
            buckets=_REQUEST_BUCKETS,
            registry=r,
        )
        self._tags_seen = Gauge(
            "image_updater_tags_seen", "Tags listed for an image in its last scan.", ["image"], registry=r
        )
        self._updates = Counter(
            "image_updater_updates_decided", "Updates the policy decided, by image.", ["image"], registry=r
        )
        self._commits = Counter("image_updater_commits_pushed", "Commits pushed to config repos.", registry=r)
        self._push_retries = Counter("image_updater_push_retries", "Pushes retried after the remote moved.", registry=r)
        self._webhooks = Counter(
            "image_updater_webhook_events",
            "Webhook requests, by receiver and result.",
            ["receiver", "result"],
            registry=r,
        )
        self._triggers = Counter(
            "image_updater_webhook_repositories",
            "Repositories named by accepted webhook requests.",
            ["receiver"],
            registry=r,
        )

    def cycle_started(self) -> None:
        self._cycle_running.set(1)

    def cycle_finished(self, duration: float, ok: bool, *, now: float | None = None) -> None:
        self._cycle_running.set(0)
        self._cycles.labels(result="ok" if ok else "error").inc()
        self._cycle_seconds.observe(duration)
        if ok:
            self._last_success.set(time.time() if now is None else now)

    def registry_request(self, registry: str, status: int | str | None, seconds: float) -> None:
        """``status`` is the HTTP code, or a word (``timeout``, ``connect``) when there was no answer."""
        self._registry_requests.labels(registry=registry, status="error" if status is None else str(status)).inc()
        self._registry_seconds.labels(registry=registry).observe(seconds)

    def tags_seen(self, image: str, count: int) -> None:
        self._tags_seen.labels(image=image).set(count)

    def update_decided(self, image: str) -> None:
        self._updates.labels(image=image).inc()

    def commit_pushed(self, count: int = 1) -> None:
        self._commits.inc(count)

    def push_retry(self) -> None:
        self._push_retries.inc()

    def webhook_event(self, receiver: str, result: str, repositories: int = 0) -> None:
        if result not in WEBHOOK_RESULTS:
            raise ValueError(f"unknown webhook result {result!r}")
        self._webhooks.labels(receiver=receiver, result=result).inc()
        if repositories:
            self._triggers.labels(receiver=receiver).inc(repositories)

    def value(self, name: str, labels: dict[str, str] | None = None) -> float | None:
        """A sample's current value (tests and ``plan`` output read it without parsing the text format)."""
        return self.registry.get_sample_value(name, labels or {})

    def render(self) -> tuple[bytes, str]:
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
