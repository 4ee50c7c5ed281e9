"""CNCF Distribution registry notifications (the registry's ``notifications.endpoints``)."""

from __future__ import annotations

from typing import Any

from image_updater.webhooks.events import RepositoryEvent
from image_updater.webhooks.payload import (
    Headers,
    host_of,
    is_manifest,
    list_at,
    object_at,
    optional_string,
    repository_at,
    tag_or_none,
)


def distribution_event(event: Any, where: str, receiver: str) -> RepositoryEvent | None:
    """A Distribution-style event (the registry's own, ACR's, GitLab's registry): pushes of tagged manifests.

    A manifest pushed by digest alone (the children of a multi-arch image, pushed before their index)
    changes no tag and no tag's digest, so it triggers nothing: the index's own tagged push follows.
    That lets a push become a cycle at once instead of after a debounce that waits for the index.
    """
    event = object_at(event, where)
    if event.get("action") != "push":
        return None
    target = object_at(event.get("target"), f"{where}.target")
    if not is_manifest(target.get("mediaType")):
        return None
    repository = repository_at(target.get("repository"), f"{where}.target.repository")
    tag = tag_or_none(target.get("tag"))
    if tag is None:
        return None
    request = event.get("request")
    host = optional_string(request.get("host")) if isinstance(request, dict) else None
    return RepositoryEvent(repository, host or host_of(target.get("url")), tag, receiver)


def parse(payload: Any, headers: Headers, receiver: str) -> list[RepositoryEvent]:
    envelope = object_at(payload, "body")
    events = list_at(envelope.get("events"), "events")
    found = (distribution_event(e, f"events[{i}]", receiver) for i, e in enumerate(events))
    return [e for e in found if e is not None]
