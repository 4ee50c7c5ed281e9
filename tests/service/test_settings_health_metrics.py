"""Settings validation, secret loading, readiness rules, and the metrics endpoint over HTTP."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError

from image_updater.config import ServiceSettings
from image_updater.errors import ConfigError
from image_updater.service import Health, Metrics
from image_updater.validation import parse_duration
from image_updater.webhooks import RepositoryEvent, WebhookReceiverSettings, load_receiver_secret
from tests.support.service_app import auth_for, running_app
from tests.support.service_payloads import SAMPLES


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30s", 30), ("5m", 300), ("1h30m", 5400), ("250ms", 0.25), ("2.5", 2.5), (90, 90), ("1d", 86400)],
)
def test_durations(text: str | int, seconds: float) -> None:
    assert parse_duration(text) == seconds
    assert ServiceSettings(interval=text).interval == seconds


@pytest.mark.parametrize("text", ["", "5 minutes", "m5", "-1", "0s", "5m junk", "1x"])
def test_bad_durations_are_refused(text: str) -> None:
    with pytest.raises(ValidationError, match="interval"):
        ServiceSettings(interval=text)


def test_service_settings_defaults_and_strictness() -> None:
    settings = ServiceSettings()
    assert (settings.listen, settings.port, settings.interval, settings.jitter) == ("0.0.0.0", 8080, 300, 0.1)
    assert (settings.max_body_bytes, settings.log_format, settings.log_level) == (1_048_576, "auto", "info")
    with pytest.raises(ValidationError, match="extra"):
        ServiceSettings.model_validate({"intervall": "5m"})
    with pytest.raises(ValidationError, match="secret"):
        WebhookReceiverSettings.model_validate({"name": "hub", "type": "dockerhub", "secret": "inline!"})
    with pytest.raises(ValidationError, match="exactly one"):
        WebhookReceiverSettings(name="hub", type="dockerhub")
    with pytest.raises(ValidationError, match="exactly one"):
        WebhookReceiverSettings(name="hub", type="dockerhub", secret_file="/a", secret_env="B")
    with pytest.raises(ValidationError, match="URL path"):
        WebhookReceiverSettings(name="a/b", type="dockerhub", secret_env="B")
    with pytest.raises(ValidationError, match="used twice"):
        ServiceSettings(
            webhooks=[
                WebhookReceiverSettings(name="x", type="quay", secret_env="A"),
                WebhookReceiverSettings(name="x", type="acr", secret_env="B"),
            ]
        )
    with pytest.raises(ValidationError, match="log_level"):
        ServiceSettings(log_level="loud")


def test_secrets_load_from_file_or_env_and_errors_never_show_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "hub.secret"
    path.write_text("  file-secret-0123456789\n")
    assert (
        load_receiver_secret(WebhookReceiverSettings(name="hub", type="dockerhub", secret_file=str(path)))
        == "file-secret-0123456789"
    )
    monkeypatch.setenv("HUB_SECRET", "env-secret-0123456789")
    assert (
        load_receiver_secret(WebhookReceiverSettings(name="hub", type="dockerhub", secret_env="HUB_SECRET"))
        == "env-secret-0123456789"
    )
    monkeypatch.setenv("SHORT_SECRET", "short-pw")
    with pytest.raises(ConfigError) as short:
        load_receiver_secret(WebhookReceiverSettings(name="hub", type="dockerhub", secret_env="SHORT_SECRET"))
    assert "SHORT_SECRET" in str(short.value) and "short-pw" not in str(short.value)
    with pytest.raises(ConfigError, match=r"service.webhooks\[hub\].secret_file"):
        load_receiver_secret(
            WebhookReceiverSettings(name="hub", type="dockerhub", secret_file=str(tmp_path / "missing"))
        )
    with pytest.raises(ConfigError, match="UNSET_VAR"):
        load_receiver_secret(WebhookReceiverSettings(name="hub", type="dockerhub", secret_env="UNSET_VAR"))


def test_readiness_is_about_the_process_never_about_a_failing_target() -> None:
    health = Health(interval=100)
    assert health.is_ready(now=0) == (False, "configuration not loaded")
    health.mark_config_loaded(now=0)
    assert health.is_ready(now=299)[0] is True  # grace period before the first cycle
    assert health.is_ready(now=301) == (False, "no cycle has finished in 301s, more than 300s")
    health.cycle_started(now=400)
    health.cycle_finished(3, now=410)  # three targets or images failed: the process still works
    assert health.is_ready(now=500) == (True, "last cycle finished 90s ago with 3 error(s) (see the logs and metrics)")
    health.cycle_started(now=600)
    assert health.is_ready(now=850)[0] is True  # a cycle in flight is not a stale process
    ready, reason = health.is_ready(now=901)
    assert not ready and reason.startswith("a cycle has been running for 301s")
    alive = {"worker": True}
    health.watch_worker(lambda: alive["worker"])
    health.cycle_finished(0, now=910)
    assert health.is_ready(now=911) == (True, "last cycle finished 1s ago without errors")
    alive["worker"] = False
    assert health.is_ready(now=911) == (False, "the scheduler's worker has stopped")


def test_repository_event_matching() -> None:
    pushed = RepositoryEvent("team/web", "127.0.0.1:5000", "1.0", "registry")
    assert pushed.matches("127.0.0.1:5000/team/web")
    assert pushed.matches("registry.internal:5000/team/web")  # same path behind another host name
    assert pushed.matches("mirror.example.com/cache/team/web")  # path suffix
    assert not pushed.matches("127.0.0.1:5000/team/api")
    assert not pushed.matches("127.0.0.1:5000/steam/web")
    hub = RepositoryEvent("library/nginx", "docker.io", None, "hub")
    assert hub.matches("nginx") and hub.matches("index.docker.io/library/nginx")
    assert RepositoryEvent("nginx", "registry-1.docker.io", None, "hub").matches("docker.io/nginx")


async def test_metrics_and_health_endpoints(tmp_path: Path) -> None:
    async with running_app(tmp_path, receivers={"hub": "dockerhub"}) as app:
        app.metrics.registry_request("127.0.0.1:5000", 200, 0.01)
        app.metrics.registry_request("127.0.0.1:5000", 429, 0.02)
        app.metrics.tags_seen("web", 12)
        app.metrics.update_decided("prod", "web")
        app.metrics.commit_pushed("prod")
        app.metrics.push_retry("prod")
        body = SAMPLES["dockerhub"].raw()
        path, headers = auth_for("dockerhub", "hub", body)
        async with httpx.AsyncClient(base_url=app.url) as client:
            assert (await client.post(path, content=body, headers=headers)).status_code == 202
            not_ready = await client.get("/readyz")
            app.health.mark_config_loaded()
            ready = await client.get("/readyz")
            alive = await client.get("/healthz")
            scraped = await client.get("/metrics")
    assert not_ready.status_code == 503 and not_ready.json()["reason"] == "configuration not loaded"
    assert ready.status_code == 200 and ready.json()["ready"] is True
    assert alive.status_code == 200
    assert scraped.headers["content-type"].startswith("text/plain")
    text = scraped.text
    for line in (
        'image_updater_registry_requests_total{registry="127.0.0.1:5000",status="429"} 1.0',
        'image_updater_tags_seen{image="web"} 12.0',
        'image_updater_updates_decided_total{image="web",target="prod"} 1.0',
        'image_updater_commits_pushed_total{target="prod"} 1.0',
        'image_updater_push_retries_total{target="prod"} 1.0',
        'image_updater_webhook_events_total{receiver="hub",result="accepted"} 1.0',
        'image_updater_webhook_repositories_total{receiver="hub"} 1.0',
    ):
        assert line in text, line
    assert "image_updater_cycle_duration_seconds_bucket" in text
    assert "image_updater_last_successful_cycle_timestamp_seconds" in text


def test_metrics_instances_do_not_share_state() -> None:
    first, second = Metrics(), Metrics()
    first.commit_pushed("prod")
    assert first.value("image_updater_commits_pushed_total", {"target": "prod"}) == 1
    assert second.value("image_updater_commits_pushed_total", {"target": "prod"}) is None
    with pytest.raises(ValueError, match="unknown webhook result"):
        first.webhook_event("hub", "maybe")
