"""End to end: a real Distribution registry notifies the real app, which triggers a scan of that image."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from image_updater.config import ServiceSettings
from image_updater.service import CycleScheduler, Health, Metrics, create_app, serve
from image_updater.webhooks import RepositoryEvent, WebhookReceiverSettings
from tests.support.registry import MT_DOCKER_MANIFEST, RegistryServer, free_port, start_registry
from tests.support.service_wait import until

TOKEN = "registry-notify-token-7f3a9c2e51"


@pytest.fixture
def app_port() -> int:
    return free_port()


@pytest.fixture
def notifying_registry(app_port: int) -> Iterator[RegistryServer]:
    if not shutil.which("docker-registry"):
        pytest.fail("docker-registry is not installed: run the README's test command, which installs it")
    server = start_registry(
        notifications=[
            {
                "name": "image-updater",
                "url": f"http://127.0.0.1:{app_port}/webhook/registry",
                "timeout": "2s",
                "threshold": 5,
                "backoff": "1s",
                "headers": {"Authorization": [f"Bearer {TOKEN}"]},
                "ignore": {"actions": ["pull"], "mediatypes": ["application/octet-stream"]},
            }
        ]
    )
    try:
        yield server
    finally:
        server.stop()


async def test_push_to_real_registry_triggers_only_that_image(
    tmp_path: Path, app_port: int, notifying_registry: RegistryServer
) -> None:
    secret_file = tmp_path / "registry.token"
    secret_file.write_text(TOKEN + "\n")
    settings = ServiceSettings(
        listen="127.0.0.1",
        port=app_port,
        webhooks=[WebhookReceiverSettings(name="registry", type="distribution", secret_file=str(secret_file))],
    )
    images = {"web": f"{notifying_registry.host}/team/web", "api": f"{notifying_registry.host}/team/api"}
    received: list[RepositoryEvent] = []
    cycles: list[frozenset[str] | None] = []

    async def run_cycle(selected: frozenset[str] | None) -> None:
        cycles.append(selected)

    metrics, health = Metrics(), Health(settings.interval)
    scheduler = CycleScheduler(run_cycle, interval=3600, jitter=0.1, run_at_start=False, metrics=metrics, health=health)

    def on_events(events: list[RepositoryEvent]) -> None:
        received.extend(events)
        scheduler.trigger({name for name, ref in images.items() if any(e.matches(ref) for e in events)})

    server = await serve(
        create_app(settings, on_events=on_events, metrics=metrics, health=health),
        settings.listen,
        settings.port,
        handle_signals=False,
    )
    await scheduler.start()
    pusher = notifying_registry.pusher()
    try:
        await asyncio.to_thread(pusher.push_image, "team/web", "1.1.0")
        await until(lambda: len(cycles) == 1, "a cycle after the push")
        # A pull is filtered by the registry (and by our parser); a later push to another repository
        # arrives after anything the pull could have sent, since the registry delivers in order.
        async with httpx.AsyncClient(base_url=notifying_registry.url) as client:
            pulled = await client.get("/v2/team/web/manifests/1.1.0", headers={"Accept": MT_DOCKER_MANIFEST})
        assert pulled.status_code == 200
        await asyncio.to_thread(pusher.push_image, "team/api", "0.3.0")
        await until(lambda: len(cycles) == 2, "a cycle after the second push")
    finally:
        pusher.close()
        await scheduler.stop()
        await server.stop()

    assert cycles == [frozenset({"web"}), frozenset({"api"})]
    assert {(e.repository, e.tag) for e in received} == {("team/web", "1.1.0"), ("team/api", "0.3.0")}
    assert all(e.host == notifying_registry.host and e.receiver == "registry" for e in received)
    assert (
        metrics.value("image_updater_webhook_events_total", {"receiver": "registry", "result": "unauthorized"}) is None
    )


async def test_registry_with_wrong_token_triggers_nothing(
    tmp_path: Path, app_port: int, notifying_registry: RegistryServer
) -> None:
    secret_file = tmp_path / "registry.token"
    secret_file.write_text("a-different-token-than-the-registry-sends")
    settings = ServiceSettings(
        webhooks=[WebhookReceiverSettings(name="registry", type="distribution", secret_file=str(secret_file))]
    )
    received: list[RepositoryEvent] = []
    metrics = Metrics()
    server = await serve(
        create_app(settings, on_events=received.extend, metrics=metrics, health=Health(60)),
        "127.0.0.1",
        app_port,
        handle_signals=False,
    )
    pusher = notifying_registry.pusher()
    try:
        await asyncio.to_thread(pusher.push_image, "team/web", "1.1.0")
        await until(
            lambda: bool(
                metrics.value("image_updater_webhook_events_total", {"receiver": "registry", "result": "unauthorized"})
            ),
            "the registry's refused notification",
        )
    finally:
        pusher.close()
        await server.stop()
    assert received == []
