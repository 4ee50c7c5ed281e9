"""Payload variants senders actually produce beyond the main samples (older versions, other formats)."""

from __future__ import annotations

from typing import Any

import pytest

from image_updater.webhooks import SENDERS, RepositoryEvent
from tests.support.service_payloads import SAMPLES, distribution_event


def parse(kind: str, body: Any, headers: dict[str, str] | None = None) -> list[RepositoryEvent]:
    return SENDERS[kind].parser(body, headers or {}, kind)


def test_harbor_cloudevents_format() -> None:
    default = SAMPLES["harbor"].body
    body = {
        "specversion": "1.0",
        "id": "4b1d",
        "source": "/projects/1/webhook/policies/2",
        "type": "harbor.artifact.pushed",
        "datacontenttype": "application/json",
        "data": default["event_data"],
    }
    assert parse("harbor", body) == [RepositoryEvent("library/api", "harbor.example.com", "v3.1.0", "harbor")]


def test_harbor_without_full_name_uses_namespace_and_name() -> None:
    body = {
        "type": "PUSH_ARTIFACT",
        "event_data": {"resources": [], "repository": {"namespace": "ops", "name": "tool"}},
    }
    assert parse("harbor", body) == [RepositoryEvent("ops/tool", None, None, "harbor")]


def test_quay_older_updated_tags_mapping() -> None:
    body = {**SAMPLES["quay"].body, "updated_tags": {"latest": "b750fe79269d", "1.0": "b750fe79269d"}}
    assert parse("quay", body) == [
        RepositoryEvent("acme/worker", "quay.io", "latest", "quay"),
        RepositoryEvent("acme/worker", "quay.io", "1.0", "quay"),
    ]


def test_ghcr_legacy_registry_package_event() -> None:
    package = SAMPLES["ghcr"].body["package"]
    body = {"action": "published", "registry_package": {**package, "package_type": "docker", "registry": None}}
    assert parse("ghcr", body, {"x-github-event": "registry_package"}) == [
        RepositoryEvent("acme-org/operator", "ghcr.io", "v1.2.3", "ghcr")
    ]


def test_acr_accepts_an_events_envelope_too() -> None:
    body = {"events": [SAMPLES["acr"].body]}
    assert parse("acr", body) == [RepositoryEvent("hello-world", "myregistry.azurecr.io", "v1", "acr")]


def test_distribution_host_falls_back_to_the_target_url() -> None:
    event = distribution_event("team/web", "1.0", host="10.0.0.5:5000")
    del event["request"]
    assert parse("distribution", {"events": [event]}) == [
        RepositoryEvent("team/web", "10.0.0.5:5000", "1.0", "distribution")
    ]


@pytest.mark.parametrize("tag", ["", "-bad", "x" * 200, 7])
def test_invalid_tags_are_dropped_not_trusted(tag: object) -> None:
    body = {**SAMPLES["dockerhub"].body, "push_data": {"tag": tag}}
    assert parse("dockerhub", body) == [RepositoryEvent("acme/web", "docker.io", None, "dockerhub")]
