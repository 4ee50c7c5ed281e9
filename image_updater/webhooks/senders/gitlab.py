"""GitLab's container registry notifications (Distribution format); project hooks carry no images."""

from __future__ import annotations

from typing import Any

from image_updater.webhooks.events import RepositoryEvent
from image_updater.webhooks.payload import (
    Headers,
    object_at,
)
from image_updater.webhooks.senders import distribution


def parse(payload: Any, headers: Headers, receiver: str) -> list[RepositoryEvent]:
    """GitLab's container registry notifies in the Distribution format; project hooks carry no images."""
    body = object_at(payload, "body")
    if "object_kind" in body or headers.get("x-gitlab-event"):
        return []
    return distribution.parse(body, headers, receiver)
