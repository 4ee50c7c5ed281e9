"""The runner's ``Service``: webhook events choose images, bursts merge into one follow-up cycle.

Everything here runs the real ``Service`` (webhook app, scheduler, ``Updater``) against a real
registry that sends its own notifications and a real bare Git remote. The only instrumentation is
a wrapper around ``Updater.run_cycle`` that records which images each cycle was asked for and can
hold a cycle open after its real work, so requests provably arrive while it runs.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from image_updater.commands.run import Service, images_for_events
from image_updater.config import Settings, load_settings
from image_updater.cycle import CycleReport, ParseCache, RepoIndex, index_repo
from image_updater.webhooks import Receiver, WebhookReceiverSettings
from tests.support.gitrepo import BareRemote, make_remote
from tests.support.registry import RegistryServer
from tests.support.service_payloads import MT_MANIFEST, distribution_event
from tests.support.service_wait import until
from tests.support.webhook_service import (
    RECEIVER,
    TOKEN,
    config_repo_files,
    free_port,
    notifying_registry,
    write_service_config,
)

# Configured images that share a path prefix, a suffix or a name with team/web, yet are other repositories.
NEAR_MISSES = {"webapp": "team/webapp", "other-web": "other/web", "web-debug": "team/web/debug", "we": "team/we"}


def _settings(tmp_path: Path, host: str, images: dict[str, str] | None = None) -> Settings:
    tmp_path.mkdir(parents=True, exist_ok=True)
    remote = make_remote(tmp_path, {"a.yaml": "a: 1\n"})
    images = images or {"web": "team/web", "api": "team/api", **NEAR_MISSES}
    return load_settings(write_service_config(tmp_path, host, remote, free_port(), images))


def test_a_distribution_event_maps_to_its_image_and_nothing_else(tmp_path: Path) -> None:
    host = "127.0.0.1:5000"
    settings = _settings(tmp_path, host)
    receiver = Receiver(WebhookReceiverSettings(name=RECEIVER, type="distribution", secret_file="unused"), secret=TOKEN)

    def images(*events: dict[str, object]) -> set[str]:
        body = json.dumps({"events": list(events)}).encode()
        return images_for_events(settings, receiver.parse(body, {}))

    assert images(distribution_event("team/web", "1.4.0", host=host)) == {"web"}
    assert images(distribution_event("team/web", None, host=host)) == set()  # a multi-arch child: no tag moved
    assert images(
        distribution_event("team/web", "1.4.0", host=host), distribution_event("team/api", "0.2.0", host=host)
    ) == {"web", "api"}
    # Only pushes of manifests name an image: pulls, blobs and repositories nobody configured do not.
    assert images(distribution_event("team/web", "1.4.0", host=host, action="pull")) == set()
    assert images(distribution_event("team/web", None, host=host, media_type="application/octet-stream")) == set()
    assert images(distribution_event("team/web2", "1.0.0", host=host)) == set()
    assert MT_MANIFEST in json.dumps(distribution_event("team/web", "1.4.0"))  # the event really is a manifest push


@dataclass
class Running:
    service: Service
    registry: RegistryServer
    remote: BareRemote
    files: dict[str, str]
    calls: list[frozenset[str] | None] = field(default_factory=list)
    hold: dict[int, asyncio.Event] = field(default_factory=dict)  # call number -> released when set
    worked: list[int] = field(default_factory=list)  # call numbers whose real work has finished

    async def push(self, repository: str, tag: str, platforms: tuple[str, ...] = ()) -> None:
        def push() -> None:
            with self.registry.pusher() as pusher:
                if platforms:
                    pusher.push_index(repository, tag, list(platforms))
                else:
                    pusher.push_image(repository, tag)

        await asyncio.to_thread(push)

    def repositories_notified(self) -> float:
        return self.service.metrics.value("image_updater_webhook_repositories_total", {"receiver": RECEIVER}) or 0

    def ignored(self) -> float:
        labels = {"receiver": RECEIVER, "result": "ignored"}
        return self.service.metrics.value("image_updater_webhook_events_total", labels) or 0

    def read(self, name: str) -> str:
        return self.remote.read(f"apps/{name}/deployment.yaml").decode()


def _instrument(running: Running) -> None:
    real: Callable[..., Awaitable[CycleReport]] = running.service.updater.run_cycle

    async def run_cycle(only: frozenset[str] | None = None, *, dry_run: bool = False) -> CycleReport:
        running.calls.append(only)
        number = len(running.calls)
        report = await real(only, dry_run=dry_run)
        running.worked.append(number)
        if number in running.hold:
            await running.hold[number].wait()
        return report

    running.service.updater.run_cycle = run_cycle  # type: ignore[method-assign]


@pytest.fixture
async def running(tmp_path: Path) -> AsyncIterator[Running]:
    app_port = free_port()
    seed = {"team/web": ["1.0.0"], "team/api": ["0.1.0"], "team/webapp": ["1.0.0"]}
    registry = await asyncio.to_thread(notifying_registry, tmp_path / "storage", app_port, seed)
    try:
        files = config_repo_files(
            registry.host, {"web": "team/web:1.0.0", "api": "team/api:0.1.0", "webapp": "team/webapp:1.0.0"}, filler=10
        )
        remote = make_remote(tmp_path, files)
        images = {"web": "team/web", "api": "team/api", **NEAR_MISSES}
        settings = load_settings(write_service_config(tmp_path, registry.host, remote, app_port, images))
        result = Running(Service(settings), registry, remote, files)
        _instrument(result)
        result.hold[1] = asyncio.Event()  # the start-up cycle stays open until a test releases it
        await result.service.start(handle_signals=False)
        try:
            yield result
        finally:
            for event in result.hold.values():
                event.set()
            await result.service.stop()
    finally:
        registry.stop()


async def test_a_webhook_burst_during_a_cycle_becomes_exactly_one_follow_up(running: Running) -> None:
    service, scheduler = running.service, running.service.scheduler
    await until(lambda: running.worked == [1], "the start-up cycle's work (it then stays open)")
    assert scheduler.cycle_running and running.calls == [None]
    assert running.remote.log() == ["initial config"]  # nothing newer in the registry yet

    # While it is held open: a plain push, a multi-arch push (two children pushed by digest, which
    # name no tag and are ignored, and the tagged index) and a push to a second configured repository.
    await running.push("team/web", "1.1.0")
    await running.push("team/web", "1.2.0", platforms=("linux/amd64", "linux/arm64"))
    await running.push("team/api", "0.1.1")
    await until(
        lambda: running.repositories_notified() >= 3 and running.ignored() >= 2,
        "three tagged notifications accepted, two untagged ones ignored",
    )
    assert running.calls == [None] and scheduler.cycle_running

    running.hold[1].set()
    await until(lambda: scheduler.cycles_run == 2, "the follow-up cycle")
    assert running.calls == [None, frozenset({"web", "api"})]
    assert "team/web:1.2.0" in running.read("web") and "team/api:0.1.1" in running.read("api")
    assert running.remote.log() == ["chore(images): update 2 images", "initial config"]

    # A later push is one more cycle, for its image only: had the burst queued a second follow-up
    # (or one per notification), it would run before this one and show up in the calls.
    await running.push("team/api", "0.1.2")
    await until(lambda: scheduler.cycles_run == 3, "the cycle after the burst")
    assert running.calls == [None, frozenset({"web", "api"}), frozenset({"api"})]
    assert "team/webapp:1.0.0" in running.read("webapp")
    assert service.metrics.value("image_updater_commits_pushed_total", {"target": "default"}) == 2
    assert service.metrics.value("image_updater_cycles_total", {"result": "ok"}) == 3


async def test_a_persons_commit_between_webhook_cycles_is_edited_not_the_cached_parse(
    running: Running, tmp_path: Path
) -> None:
    """What indexing learnt of a file is reused across cycles only while its bytes are the same."""
    running.hold[1].set()
    await until(lambda: running.service.scheduler.cycles_run == 1, "the start-up cycle")
    cache = running.service.updater.runners["default"].parse_cache.entries
    web_path, api_path = "apps/web/deployment.yaml", "apps/api/deployment.yaml"
    web_before, api_before = cache[web_path], cache[api_path]
    assert web_before.found and api_before.found

    edited = running.files[api_path].replace("value: info", "value: debug  # a person was here")
    running.remote.commit_as_human(tmp_path, {api_path: edited}, "api: debug logs")
    await running.push("team/api", "0.1.1")
    await until(lambda: running.service.scheduler.cycles_run == 2, "the webhook cycle")

    assert running.calls == [None, frozenset({"api"})]
    assert running.remote.read(api_path).decode() == edited.replace("team/api:0.1.0", "team/api:0.1.1")
    cache = running.service.updater.runners["default"].parse_cache.entries
    assert cache[web_path].found is web_before.found  # unchanged bytes: what the parse found was reused
    assert cache[api_path].digest != api_before.digest  # changed by the person, then by us: parsed again
    filler = next(path for path in cache if path.startswith("clusters/"))
    assert cache[filler].found and not hasattr(cache[filler], "manifest")  # facts, never a tree


def test_a_cached_index_equals_a_fresh_one_even_when_the_configured_images_change(tmp_path: Path) -> None:
    """The parse cache keeps what each file holds whatever is configured; configuring another image
    later must still find and render that image's files."""
    host = "127.0.0.1:5000"
    checkout = tmp_path / "checkout"
    for rel, text in config_repo_files(host, {"web": "team/web:1.0.0", "api": "team/api:0.1.0"}, filler=30).items():
        (checkout / rel).parent.mkdir(parents=True, exist_ok=True)
        (checkout / rel).write_text(text)
    (checkout / "broken.yaml").write_text("image: [unclosed\n")
    web_only = _settings(tmp_path / "a", host, {"web": "team/web"})
    both = _settings(tmp_path / "b", host, {"web": "team/web", "api": "team/api"})

    def summary(index: RepoIndex) -> tuple[object, ...]:
        return (
            [(b.found.path, b.found.line, b.image.name) for b in index.bindings],
            sorted(index.files),
            [(f.path, f.line) for f in index.skipped],
            index.errors,
        )

    cache = ParseCache()
    assert summary(index_repo(checkout, web_only.target(), web_only.manifests, cache)) == summary(
        index_repo(checkout, web_only.target(), web_only.manifests)
    )
    assert sorted(index_repo(checkout, web_only.target(), web_only.manifests, cache).files) == [
        "apps/web/deployment.yaml"
    ]
    cached = index_repo(checkout, both.target(), both.manifests, cache)
    assert summary(cached) == summary(index_repo(checkout, both.target(), both.manifests))
    assert sorted(cached.files) == ["apps/api/deployment.yaml", "apps/web/deployment.yaml"]
    assert cached.errors and "broken.yaml" in cached.errors[0]
