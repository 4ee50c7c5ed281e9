"""Azure Container Registry webhooks: Distribution-style events, one per request."""

from __future__ import annotations

from typing import Any

from image_updater.webhooks.events import RepositoryEvent
from image_updater.webhooks.payload import (
    Headers,
    object_at,
)
from image_updater.webhooks.senders import distribution


def parse(payload: Any, headers: Headers, receiver: str) -> list[RepositoryEvent]:
    """Azure sends one Distribution-style event per request, without the ``events`` envelope."""
    body = object_at(payload, "body")
    if "events" in body:
        return distribution.parse(body, headers, receiver)
    event = distribution.distribution_event(body, "body", receiver)
    return [event] if event is not None else []
