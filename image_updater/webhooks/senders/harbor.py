"""Harbor webhooks, default and CloudEvents formats."""

from __future__ import annotations

from typing import Any

from image_updater.webhooks.events import RepositoryEvent
from image_updater.webhooks.payload import (
    Headers,
    WebhookPayloadError,
    host_of,
    list_at,
    object_at,
    repository_at,
    tag_or_none,
)

_HARBOR_PUSH_TYPES = frozenset({"PUSH_ARTIFACT", "pushImage", "harbor.artifact.pushed"})


def parse(payload: Any, headers: Headers, receiver: str) -> list[RepositoryEvent]:
    """Harbor's default format (``event_data``) and its CloudEvents format (``data``)."""
    body = object_at(payload, "body")
    kind = body.get("type")
    if kind is not None and not isinstance(kind, str):
        raise WebhookPayloadError("type: expected a string")
    if kind not in _HARBOR_PUSH_TYPES:
        return []
    data_key = "data" if "specversion" in body else "event_data"
    data = object_at(body.get(data_key), data_key)
    repo_info = object_at(data.get("repository"), f"{data_key}.repository")
    full_name = repo_info.get("repo_full_name")
    if full_name is None and repo_info.get("namespace") and repo_info.get("name"):
        full_name = f"{repo_info['namespace']}/{repo_info['name']}"
    repository = repository_at(full_name, f"{data_key}.repository.repo_full_name")
    resources = list_at(data.get("resources", []), f"{data_key}.resources")
    if not resources:
        return [RepositoryEvent(repository, None, None, receiver)]
    events = []
    for i, resource in enumerate(resources):
        item = object_at(resource, f"{data_key}.resources[{i}]")
        events.append(
            RepositoryEvent(repository, host_of(item.get("resource_url")), tag_or_none(item.get("tag")), receiver)
        )
    return events
