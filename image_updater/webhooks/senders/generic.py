"""The generic sender: any CI step that can sign a small JSON body."""

from __future__ import annotations

from typing import Any

from image_updater.errors import InvalidReferenceError
from image_updater.reference import ImageReference, split_name
from image_updater.webhooks.events import RepositoryEvent
from image_updater.webhooks.payload import (
    Headers,
    WebhookPayloadError,
    list_at,
    object_at,
    optional_string,
    repository_at,
    string_at,
    tag_or_none,
)


def _generic_item(item: Any, where: str, receiver: str) -> RepositoryEvent:
    body = object_at(item, where)
    if "image" in body:
        text = string_at(body["image"], f"{where}.image")
        try:
            reference = ImageReference.parse(text)
        except InvalidReferenceError:
            raise WebhookPayloadError(f"{where}.image: {text[:200]!r} is not an image reference") from None
        host, path = split_name(reference.name)
        return RepositoryEvent(path, host, reference.tag or tag_or_none(body.get("tag")), receiver)
    repository = repository_at(body.get("repository"), f"{where}.repository")
    return RepositoryEvent(repository, optional_string(body.get("host")), tag_or_none(body.get("tag")), receiver)


def parse(payload: Any, headers: Headers, receiver: str) -> list[RepositoryEvent]:
    """``{"image": "host/path:tag"}``, ``{"repository", "host"?, "tag"?}``, or ``{"events": [those]}``."""
    if isinstance(payload, dict) and "events" in payload:
        items = list_at(payload["events"], "events")
        return [_generic_item(item, f"events[{i}]", receiver) for i, item in enumerate(items)]
    return [_generic_item(payload, "body", receiver)]
