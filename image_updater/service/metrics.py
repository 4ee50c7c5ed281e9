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

from image_updater import __version__

_DURATION_BUCKETS = (0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800)
_REQUEST_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)

_FINDING_KINDS = ("unreferenced_image", "empty_path", "glob_path", "unknown_policy", "skipped_reference")

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
            "image_updater_updates_decided",
            "Updates the policy decided, by target and image.",
            ["target", "image"],
            registry=r,
        )
        self._commits = Counter(
            "image_updater_commits_pushed", "Commits pushed to config repos, by target.", ["target"], registry=r
        )
        self._push_retries = Counter(
            "image_updater_push_retries", "Pushes retried after the remote moved, by target.", ["target"], registry=r
        )
        self._image_errors = Counter(
            "image_updater_image_errors",
            "Images that failed in a cycle, by target, image and stage (registry: listing or metadata; "
            "edit: the policy or the file edit).",
            ["target", "image", "stage"],
            registry=r,
        )
        self._images_watched = Gauge(
            "image_updater_images_watched", "Configured images a target's files reference.", ["target"], registry=r
        )
        self._findings = Gauge(
            "image_updater_findings",
            "Things with no effect in a target's last cycle (unreferenced images, empty paths, unknown "
            "policies, skipped references), by kind.",
            ["target", "kind"],
            registry=r,
        )
        self._git_pushes = Counter(
            "image_updater_git_pushes",
            "git push attempts, by target and result (accepted, refused).",
            ["target", "result"],
            registry=r,
        )
        self._git_push_seconds = Histogram(
            "image_updater_git_push_duration_seconds",
            "Duration of git pushes.",
            ["target"],
            buckets=_REQUEST_BUCKETS,
            registry=r,
        )
        self._forge_requests = Counter(
            "image_updater_forge_requests",
            "Forge API requests, by forge and status code (error: no answer).",
            ["forge", "status"],
            registry=r,
        )
        self._forge_seconds = Histogram(
            "image_updater_forge_request_duration_seconds",
            "Duration of forge API requests.",
            ["forge"],
            buckets=_REQUEST_BUCKETS,
            registry=r,
        )
        self._build_info = Gauge(
            "image_updater_build_info", "Always 1; the version running is its label.", ["version"], registry=r
        )
        self._build_info.labels(version=__version__).set(1)
        self._target_cycles = Counter(
            "image_updater_target_cycles",
            "Cycles of each target, by result (ok: no error in that target; error: see its logs).",
            ["target", "result"],
            registry=r,
        )
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

    def update_decided(self, target: str, image: str) -> None:
        self._updates.labels(target=target, image=image).inc()

    def commit_pushed(self, target: str, count: int = 1) -> None:
        self._commits.labels(target=target).inc(count)

    def push_retry(self, target: str) -> None:
        self._push_retries.labels(target=target).inc()

    def image_error(self, target: str, image: str, stage: str) -> None:
        self._image_errors.labels(target=target, image=image, stage=stage).inc()

    def images_watched(self, target: str, count: int) -> None:
        self._images_watched.labels(target=target).set(count)

    def findings(self, target: str, counts: dict[str, int]) -> None:
        """The target's findings by kind; a kind no longer found is set back to 0."""
        for kind in _FINDING_KINDS:
            self._findings.labels(target=target, kind=kind).set(counts.get(kind, 0))

    def git_push(self, target: str, seconds: float, accepted: bool) -> None:
        self._git_pushes.labels(target=target, result="accepted" if accepted else "refused").inc()
        self._git_push_seconds.labels(target=target).observe(seconds)

    def forge_request(self, forge: str, status: int | None, seconds: float) -> None:
        self._forge_requests.labels(forge=forge, status="error" if status is None else str(status)).inc()
        self._forge_seconds.labels(forge=forge).observe(seconds)

    def target_cycle(self, target: str, ok: bool) -> None:
        self._target_cycles.labels(target=target, result="ok" if ok else "error").inc()

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
