"""Docker Hub repository webhooks."""

from __future__ import annotations

from typing import Any

from image_updater.webhooks.events import RepositoryEvent
from image_updater.webhooks.payload import (
    Headers,
    object_at,
    repository_at,
    tag_or_none,
)


def parse(payload: Any, headers: Headers, receiver: str) -> list[RepositoryEvent]:
    body = object_at(payload, "body")
    repository = object_at(body.get("repository"), "repository")
    push_data = body.get("push_data")
    tag = tag_or_none(push_data.get("tag")) if isinstance(push_data, dict) else None
    return [
        RepositoryEvent(repository_at(repository.get("repo_name"), "repository.repo_name"), "docker.io", tag, receiver)
    ]
