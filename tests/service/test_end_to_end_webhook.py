"""``image-updater run`` as a real process: a real registry's push notification becomes a commit on the remote.

The poll interval is an hour and the start-up cycle is allowed to finish before the new tag is pushed,
so the commit can only come from the webhook; the cycle that makes it is scoped to the one image the
notification named (scheduled and start-up cycles cover every image).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.gitrepo import make_remote
from tests.support.registry import RegistryServer
from tests.support.webhook_service import (
    RECEIVER,
    config_repo_files,
    free_port,
    metric,
    notifying_registry,
    wait_for,
    write_service_config,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def app_port() -> int:
    return free_port()


@pytest.fixture
def registry(tmp_path: Path, app_port: int) -> Iterator[RegistryServer]:
    server = notifying_registry(tmp_path / "storage", app_port, {"team/web": ["1.0.0"]})
    try:
        yield server
    finally:
        server.stop()


DEFAULT = {"target": "default"}


def _value(base: str, name: str, labels: dict[str, str] | None = None) -> float | None:
    try:
        return metric(base, name, labels)
    except httpx.TransportError:  # not listening yet
        return None


def test_webhook_push_becomes_a_commit_then_sigterm_exits_zero(
    tmp_path: Path, app_port: int, registry: RegistryServer
) -> None:
    files = config_repo_files(registry.host, {"web": "team/web:1.0.0"}, filler=20)
    remote = make_remote(tmp_path, files)
    config = write_service_config(tmp_path, registry.host, remote, app_port, {"web": "team/web"})
    base = f"http://127.0.0.1:{app_port}"
    initial = remote.rev()

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    log_path = tmp_path / "service.log"
    with log_path.open("wb") as log:  # a file, not a pipe: a full pipe would stall the child
        process = subprocess.Popen(
            [sys.executable, "-m", "image_updater.cli", "run", "--config", str(config)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
    watchdog = threading.Timer(90, process.kill)  # a hung child must fail the test, not block it
    watchdog.start()
    try:
        ok = {"result": "ok"}
        wait_for(lambda: _value(base, "image_updater_cycles_total", ok) == 1, "the start-up cycle")
        assert remote.rev() == initial  # the registry holds nothing newer yet: the start-up cycle committed nothing
        assert _value(base, "image_updater_commits_pushed_total", DEFAULT) is None  # no commit yet: no series

        with registry.pusher() as pusher:
            pusher.push_image("team/web", "1.1.0")
        wait_for(lambda: remote.rev() != initial, "the webhook's commit on the remote")
        wait_for(lambda: _value(base, "image_updater_cycles_total", ok) == 2, "the webhook cycle to finish")

        path = "apps/web/deployment.yaml"
        assert remote.read(path) == files[path].replace("team/web:1.0.0", "team/web:1.1.0").encode()
        assert remote.log() == ["chore(images): update 1 image", "initial config"]
        accepted = {"receiver": RECEIVER, "result": "accepted"}
        assert (_value(base, "image_updater_webhook_events_total", accepted) or 0) >= 1
        assert (_value(base, "image_updater_webhook_repositories_total", {"receiver": RECEIVER}) or 0) >= 1
        assert _value(base, "image_updater_commits_pushed_total", DEFAULT) == 1
        assert _value(base, "image_updater_cycles_total", {"result": "error"}) is None
        ready = httpx.get(f"{base}/readyz", timeout=5)
        assert ready.status_code == 200
        assert ready.json()["reason"].endswith("without errors")

        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        watchdog.cancel()
        if process.poll() is None:
            process.kill()
            process.wait()
    lines = [json.loads(line) for line in log_path.read_text().splitlines() if line.startswith("{")]
    started = [line["images"] for line in lines if line.get("event") == "cycle started"]
    assert started == ["all", ["web"]]  # the start-up cycle, then one cycle for the notified image only
    assert any(line.get("event") == "webhook accepted" and line.get("tags") == ["1.1.0"] for line in lines)
    assert any(line.get("event") == "shutting down: finishing the cycle in flight" for line in lines)
