"""One target's failure stays its own: the service keeps delivering the others and stays ready."""

from __future__ import annotations

import shutil

import httpx
import pytest

from image_updater.commands.run import Service
from image_updater.config import load_settings
from image_updater.logs import fields_of
from tests.support.service_wait import until
from tests.targets.conftest import Fleet


async def test_a_remote_that_disappears_mid_run_fails_its_target_only_and_readyz_stays_ready(
    fleet: Fleet, caplog: pytest.LogCaptureFixture
) -> None:
    fleet.push_tags("team/web", ["1.0.0"])
    kept, kept_url = fleet.remote("kept", {"web.yaml": fleet.deployment("web", "1.0.0")})
    gone, gone_url = fleet.remote("gone", {"web.yaml": fleet.deployment("web", "1.0.0")})
    settings = load_settings(
        fleet.config(
            {
                "targets": [{"name": "kept", "git": {"url": kept_url}}, {"name": "gone", "git": {"url": gone_url}}],
                "images": [fleet.image("web")],
                "service": {"listen": "127.0.0.1", "port": 0, "interval": "1h"},
            }
        ),
        environ={},
    )
    service = Service(settings)
    server = await service.start(handle_signals=False)
    try:
        await until(lambda: service.scheduler.cycles_run == 1, "the start-up cycle")
        shutil.rmtree(gone.path)  # the remote goes away between cycles
        fleet.push_tags("team/web", ["1.1.0"])
        service.scheduler.trigger(None)
        await until(lambda: service.scheduler.cycles_run == 2, "the cycle after the remote went")
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}") as client:
            ready = await client.get("/readyz")
    finally:
        await service.stop()
    assert kept.log() == ["chore(images): update 1 image", "initial config"]
    assert ready.status_code == 200, ready.text
    assert ready.json()["reason"].endswith("with 1 error(s) (see the logs and metrics)")
    errors = [fields_of(r) for r in caplog.records if r.getMessage() == "target error"]
    assert [e["target"] for e in errors] == ["gone"] and "gone.git" in errors[0]["error"]
    assert service.metrics.value("image_updater_target_cycles_total", {"target": "gone", "result": "error"}) == 1
    assert service.metrics.value("image_updater_target_cycles_total", {"target": "kept", "result": "ok"}) == 2
