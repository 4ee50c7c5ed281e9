"""What every sender's parser shares: strict shape checks that name the field, and the event they yield.

Parsers are pure and strict about shape (a malformed payload raises :class:`WebhookPayloadError`,
answered 400) but quiet about relevance (pulls, deletes, blob uploads, builds, pings give ``[]``,
answered 202 so senders do not retry them).  Tags found in payloads are kept for the logs only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from image_updater.errors import InvalidReferenceError, WebhookError
from image_updater.reference import ImageReference, is_valid_tag
from image_updater.webhooks.events import RepositoryEvent

Headers = Mapping[str, str]
Parser = Callable[[Any, Headers, str], list[RepositoryEvent]]


class WebhookPayloadError(WebhookError):
    """The body is JSON but not the shape its sender type documents; names the receiver and the field."""


def object_at(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise WebhookPayloadError(f"{where}: expected a JSON object")
    return value


def list_at(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise WebhookPayloadError(f"{where}: expected a JSON array")
    return value


def string_at(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise WebhookPayloadError(f"{where}: expected a non-empty string")
    return value


def optional_string(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def repository_at(value: Any, where: str) -> str:
    """A repository path checked against the OCI grammar (``team/web``), so junk never reaches a scan."""
    path = string_at(value, where)
    try:
        ImageReference.parse(f"registry.invalid/{path}")
    except InvalidReferenceError:
        raise WebhookPayloadError(f"{where}: {path[:200]!r} is not a repository name") from None
    return path


def tag_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and is_valid_tag(value) else None


def host_of(reference: Any) -> str | None:
    """``quay.io`` from ``quay.io/ns/name`` or ``https://ghcr.io/owner``; ``None`` when there is none."""
    text = optional_string(reference)
    if text is None:
        return None
    host = urlsplit(text).netloc if "://" in text else text.partition("/")[0]
    return host or None


def is_manifest(media_type: Any) -> bool:
    """Manifests, lists and indexes move tags; blobs (``application/octet-stream``, layers) never do."""
    return isinstance(media_type, str) and ("manifest" in media_type or media_type.endswith(".index.v1+json"))
