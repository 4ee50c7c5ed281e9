"""GitHub package events for container packages (GHCR)."""

from __future__ import annotations

from typing import Any

from image_updater.webhooks.events import RepositoryEvent
from image_updater.webhooks.payload import (
    Headers,
    host_of,
    object_at,
    repository_at,
    string_at,
    tag_or_none,
)


def parse(payload: Any, headers: Headers, receiver: str) -> list[RepositoryEvent]:
    """GitHub ``package`` (and legacy ``registry_package``) events for container packages."""
    kind = headers.get("x-github-event")
    if kind is not None and kind not in ("package", "registry_package"):
        return []  # ping and every other event the hook may be subscribed to
    body = object_at(payload, "body")
    key = "package" if "package" in body else "registry_package"
    package = object_at(body.get(key), key)
    if body.get("action") not in ("published", "updated"):
        return []
    if str(package.get("package_type", "")).lower() not in ("container", "docker"):
        return []
    namespace = package.get("namespace")
    if not namespace and isinstance(package.get("owner"), dict):
        namespace = package["owner"].get("login")
    name = string_at(package.get("name"), f"{key}.name")
    repository = repository_at(f"{string_at(namespace, f'{key}.namespace')}/{name}".lower(), f"{key}.name")
    registry = package.get("registry")
    host = (host_of(registry.get("url")) if isinstance(registry, dict) else None) or "ghcr.io"
    tag = None
    version = package.get("package_version")
    if isinstance(version, dict) and isinstance(version.get("container_metadata"), dict):
        tag_info = version["container_metadata"].get("tag")
        tag = tag_or_none(tag_info.get("name")) if isinstance(tag_info, dict) else None
    return [RepositoryEvent(repository, host, tag, receiver)]
