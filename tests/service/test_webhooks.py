"""Every receiver type over real HTTP: a genuine request triggers its repository; bad ones do nothing."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from image_updater.webhooks import SENDERS, RepositoryEvent
from tests.support.service_app import RunningApp, auth_for, running_app, secret_for
from tests.support.service_payloads import SAMPLES, distribution_event


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[RunningApp]:
    async with running_app(tmp_path) as running:
        yield running


def _tamper(path: str, headers: dict[str, str], receiver: str) -> tuple[str, dict[str, str]]:
    """The same request with a secret that is wrong by one character."""
    secret = secret_for(receiver)
    wrong = secret[:-1] + ("x" if secret[-1] != "x" else "y")
    if path.endswith(secret):
        return path[: -len(secret)] + wrong, headers
    return path, {
        k: (v[:-1] + ("0" if v[-1] != "0" else "1")) if "sha256=" in v else v.replace(secret, wrong)
        for k, v in headers.items()
    }


def _strip_auth(path: str, headers: dict[str, str], receiver: str) -> tuple[str, dict[str, str]]:
    return f"/webhook/{receiver}", {}


def _webhook_count(app: RunningApp, receiver: str, result: str) -> float:
    labels = {"receiver": receiver, "result": result}
    return app.metrics.value("image_updater_webhook_events_total", labels) or 0


@pytest.mark.parametrize("kind", sorted(SENDERS))
async def test_receiver_type(app: RunningApp, kind: str) -> None:
    sample = SAMPLES[kind]
    body = sample.raw()
    path, headers = auth_for(kind, kind, body)
    headers = {**sample.headers, **headers, "Content-Type": "application/json"}
    async with httpx.AsyncClient(base_url=app.url) as client:
        # Refused before anything is triggered: wrong secret, no secret, unknown receiver.
        for variant in (_tamper, _strip_auth):
            bad_path, bad_headers = variant(path, headers, kind)
            bad_headers = {**sample.headers, **bad_headers}
            resp = await client.post(bad_path, content=body, headers=bad_headers)
            assert resp.status_code == 401, (variant.__name__, resp.text)
        nobody = path.replace(f"/webhook/{kind}", "/webhook/nobody")
        resp = await client.post(nobody, content=body, headers=headers)
        assert resp.status_code == 404
        assert app.events == []
        assert _webhook_count(app, kind, "unauthorized") == 2
        assert _webhook_count(app, "", "unknown_receiver") == 1

        # Authenticated but oversized (declared, and streamed without a length), or not JSON.
        big = b'{"pad": "' + b"x" * app.settings.max_body_bytes + b'"}'
        big_path, big_headers = auth_for(kind, kind, big)
        resp = await client.post(big_path, content=big, headers={**sample.headers, **big_headers})
        assert resp.status_code == 413

        async def chunks() -> AsyncIterator[bytes]:
            for start in range(0, len(big), 1000):
                yield big[start : start + 1000]

        resp = await client.post(big_path, content=chunks(), headers={**sample.headers, **big_headers})
        assert resp.status_code == 413
        junk = b'{"events": [ not json'
        junk_path, junk_headers = auth_for(kind, kind, junk)
        resp = await client.post(junk_path, content=junk, headers={**sample.headers, **junk_headers})
        assert resp.status_code == 400
        assert app.events == []
        assert _webhook_count(app, kind, "too_large") == 2
        assert _webhook_count(app, kind, "malformed") == 1

        # The genuine request: 202 and exactly the repository it names.
        resp = await client.post(path, content=body, headers=headers)
        assert resp.status_code == 202, resp.text
        assert app.events == [[RepositoryEvent(sample.repository, sample.host, sample.tag, kind)]]
        assert _webhook_count(app, kind, "accepted") == 1

        # The service is still alive and answering.
        assert (await client.get("/healthz")).status_code == 200


async def test_distribution_ignores_pulls_blobs_and_deletes(app: RunningApp) -> None:
    body = json.dumps(
        {
            "events": [
                distribution_event("team/web", "1.0", action="pull"),
                distribution_event("team/web", None, media_type="application/octet-stream"),
                distribution_event("team/web", None, media_type="application/vnd.docker.image.rootfs.diff.tar.gzip"),
                distribution_event("team/web", "1.0", action="delete"),
            ]
        }
    ).encode()
    path, headers = auth_for("distribution", "distribution", body)
    async with httpx.AsyncClient(base_url=app.url) as client:
        resp = await client.post(path, content=body, headers=headers)
    assert resp.status_code == 202
    assert resp.json()["status"] == "ignored"
    assert app.events == []
    assert _webhook_count(app, "distribution", "ignored") == 1


async def test_distribution_batch_names_each_repository_once(app: RunningApp) -> None:
    body = json.dumps(
        {
            "events": [
                distribution_event("team/web", None, media_type="application/vnd.oci.image.manifest.v1+json"),
                distribution_event("team/web", "2.0", media_type="application/vnd.oci.image.index.v1+json"),
                distribution_event("team/api", "3.0"),
                distribution_event("team/api", "3.0"),
            ]
        }
    ).encode()
    path, headers = auth_for("distribution", "distribution", body)
    async with httpx.AsyncClient(base_url=app.url) as client:
        resp = await client.post(path, content=body, headers=headers)
    assert resp.status_code == 202
    assert resp.json()["repositories"] == ["127.0.0.1:5000/team/api", "127.0.0.1:5000/team/web"]
    (events,) = app.events
    # the child manifest pushed by digest names no tag: the index's tagged push is the event
    assert [(e.repository, e.tag) for e in events] == [("team/web", "2.0"), ("team/api", "3.0")]


@pytest.mark.parametrize(
    ("kind", "body", "headers"),
    [
        ("ghcr", {"zen": "Keep it logically awesome.", "hook_id": 1}, {"X-GitHub-Event": "ping"}),
        (
            "ghcr",
            {**SAMPLES["ghcr"].body, "package": {**SAMPLES["ghcr"].body["package"], "package_type": "npm"}},
            {"X-GitHub-Event": "package"},
        ),
        ("harbor", {**SAMPLES["harbor"].body, "type": "PULL_ARTIFACT"}, {}),
        ("quay", {"build_id": "296ec063", "repository": "acme/worker", "docker_url": "quay.io/acme/worker"}, {}),
        (
            "gitlab",
            {"object_kind": "pipeline", "object_attributes": {"status": "success"}},
            {"X-Gitlab-Event": "Pipeline Hook"},
        ),
        ("acr", {**SAMPLES["acr"].body, "action": "chart_push"}, {}),
    ],
)
async def test_irrelevant_events_are_acknowledged_without_a_scan(
    app: RunningApp, kind: str, body: dict[str, object], headers: dict[str, str]
) -> None:
    raw = json.dumps(body).encode()
    path, auth = auth_for(kind, kind, raw)
    async with httpx.AsyncClient(base_url=app.url) as client:
        resp = await client.post(path, content=raw, headers={**headers, **auth})
    assert resp.status_code == 202
    assert app.events == []


@pytest.mark.parametrize(
    ("kind", "body"),
    [
        ("distribution", {"events": "push"}),
        (
            "distribution",
            {
                "events": [
                    {
                        "action": "push",
                        "target": {
                            "mediaType": "application/vnd.oci.image.manifest.v1+json",
                            "repository": "Not A Repo!",
                        },
                    }
                ]
            },
        ),
        ("dockerhub", {"push_data": {"tag": "1"}}),
        ("generic", {"image": "UPPER/case"}),
        ("generic", ["not", "an", "object"]),
        ("harbor", {"type": "PUSH_ARTIFACT", "event_data": {"resources": []}}),
    ],
)
async def test_wrong_shapes_are_400(app: RunningApp, kind: str, body: object) -> None:
    raw = json.dumps(body).encode()
    path, auth = auth_for(kind, kind, raw)
    async with httpx.AsyncClient(base_url=app.url) as client:
        resp = await client.post(path, content=raw, headers=auth)
    assert resp.status_code == 400
    assert app.events == []


async def test_signature_receivers_refuse_secret_in_path(app: RunningApp) -> None:
    body = SAMPLES["generic"].raw()
    async with httpx.AsyncClient(base_url=app.url) as client:
        resp = await client.post(f"/webhook/generic/{secret_for('generic')}", content=body)
    assert resp.status_code == 401
    assert app.events == []


async def test_generic_custom_signature_header(tmp_path: Path) -> None:
    from image_updater.config import ServiceSettings
    from image_updater.service import Health, Metrics, create_app, serve
    from image_updater.webhooks import WebhookReceiverSettings, sign_body

    secret_file = tmp_path / "s"
    secret_file.write_text(secret_for("ci"))
    settings = ServiceSettings(
        webhooks=[
            WebhookReceiverSettings(
                name="ci", type="generic", secret_file=str(secret_file), signature_header="X-CI-Signature"
            )
        ]
    )
    seen: list[list[RepositoryEvent]] = []
    server = await serve(
        create_app(settings, on_events=seen.append, metrics=Metrics(), health=Health(60)),
        "127.0.0.1",
        0,
        handle_signals=False,
    )
    body = json.dumps(
        {"events": [{"repository": "team/web", "host": "127.0.0.1:5000", "tag": "9"}, {"image": "nginx:1.27"}]}
    ).encode()
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}") as client:
            signature = sign_body(secret_for("ci"), body)
            wrong = await client.post("/webhook/ci", content=body, headers={"X-Signature": signature})
            right = await client.post("/webhook/ci", content=body, headers={"X-CI-Signature": signature})
    finally:
        await server.stop()
    assert (wrong.status_code, right.status_code) == (401, 202)
    assert seen == [
        [
            RepositoryEvent("team/web", "127.0.0.1:5000", "9", "ci"),
            RepositoryEvent("library/nginx", "docker.io", "1.27", "ci"),
        ]
    ]


async def test_a_failing_handler_answers_500_and_the_service_survives(tmp_path: Path) -> None:
    from image_updater.config import ServiceSettings
    from image_updater.service import Health, Metrics, create_app, serve
    from image_updater.webhooks import WebhookReceiverSettings

    secret_file = tmp_path / "s"
    secret_file.write_text(secret_for("generic"))
    settings = ServiceSettings(
        webhooks=[WebhookReceiverSettings(name="generic", type="generic", secret_file=str(secret_file))]
    )

    def broken(events: list[RepositoryEvent]) -> None:
        raise RuntimeError("downstream broke")

    metrics = Metrics()
    server = await serve(
        create_app(settings, on_events=broken, metrics=metrics, health=Health(60)), "127.0.0.1", 0, handle_signals=False
    )
    body = SAMPLES["generic"].raw()
    path, headers = auth_for("generic", "generic", body)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}") as client:
            first = await client.post(path, content=body, headers=headers)
            alive = await client.get("/healthz")
    finally:
        await server.stop()
    assert (first.status_code, alive.status_code) == (500, 200)
    labels = {"receiver": "generic", "result": "error"}
    assert metrics.value("image_updater_webhook_events_total", labels) == 1


async def test_get_on_a_webhook_is_not_allowed(app: RunningApp) -> None:
    async with httpx.AsyncClient(base_url=app.url) as client:
        resp = await client.get("/webhook/generic")
    assert resp.status_code == 405
