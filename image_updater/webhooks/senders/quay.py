"""Quay repository-push notifications."""

from __future__ import annotations

from typing import Any

from image_updater.webhooks.events import RepositoryEvent
from image_updater.webhooks.payload import (
    Headers,
    WebhookPayloadError,
    host_of,
    object_at,
    repository_at,
    tag_or_none,
)


def parse(payload: Any, headers: Headers, receiver: str) -> list[RepositoryEvent]:
    """Quay's "repository push" notification; build notifications share fields, not ``updated_tags``."""
    body = object_at(payload, "body")
    if "updated_tags" not in body:
        return []
    repository = repository_at(body.get("repository"), "repository")
    host = host_of(body.get("docker_url")) or "quay.io"
    updated = body["updated_tags"]
    if not isinstance(updated, (list, dict)):  # a list of tags, or (older Quay) tag -> image id
        raise WebhookPayloadError("updated_tags: expected a JSON array")
    tags = [tag_or_none(t) for t in updated] or [None]
    return [RepositoryEvent(repository, host, tag, receiver) for tag in tags]
