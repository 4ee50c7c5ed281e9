"""One parser per sender: payload in, the repositories it names out.

Parsers are pure and strict about shape (a malformed payload raises :class:`WebhookPayloadError`,
answered 400) but quiet about relevance (pulls, deletes, blob uploads, builds, pings give ``[]``,
answered 202 so senders do not retry them).  Tags found in payloads are kept for the logs only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from image_updater.errors import InvalidReferenceError, WebhookError
from image_updater.reference import ImageReference, is_valid_tag, split_name
from image_updater.service.events import RepositoryEvent

Headers = Mapping[str, str]
Parser = Callable[[Any, Headers, str], list[RepositoryEvent]]


class WebhookPayloadError(WebhookError):
    """The body is JSON but not the shape its sender type documents; names the receiver and the field."""


def _object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise WebhookPayloadError(f"{where}: expected a JSON object")
    return value


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise WebhookPayloadError(f"{where}: expected a JSON array")
    return value


def _string(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise WebhookPayloadError(f"{where}: expected a non-empty string")
    return value


def _optional_string(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _repository(value: Any, where: str) -> str:
    """A repository path checked against the OCI grammar (``team/web``), so junk never reaches a scan."""
    path = _string(value, where)
    try:
        ImageReference.parse(f"registry.invalid/{path}")
    except InvalidReferenceError:
        raise WebhookPayloadError(f"{where}: {path[:200]!r} is not a repository name") from None
    return path


def _tag(value: Any) -> str | None:
    return value if isinstance(value, str) and is_valid_tag(value) else None


def _host_of(reference: Any) -> str | None:
    """``quay.io`` from ``quay.io/ns/name`` or ``https://ghcr.io/owner``; ``None`` when there is none."""
    text = _optional_string(reference)
    if text is None:
        return None
    host = urlsplit(text).netloc if "://" in text else text.partition("/")[0]
    return host or None


def _is_manifest(media_type: Any) -> bool:
    """Manifests, lists and indexes move tags; blobs (``application/octet-stream``, layers) never do."""
    return isinstance(media_type, str) and ("manifest" in media_type or media_type.endswith(".index.v1+json"))


def _distribution_event(event: Any, where: str, receiver: str) -> RepositoryEvent | None:
    """A Distribution-style event (the registry's own, ACR's, GitLab's registry): pushes of tagged manifests.

    A manifest pushed by digest alone (the children of a multi-arch image, pushed before their index)
    changes no tag and no tag's digest, so it triggers nothing: the index's own tagged push follows.
    That lets a push become a cycle at once instead of after a debounce that waits for the index.
    """
    event = _object(event, where)
    if event.get("action") != "push":
        return None
    target = _object(event.get("target"), f"{where}.target")
    if not _is_manifest(target.get("mediaType")):
        return None
    repository = _repository(target.get("repository"), f"{where}.target.repository")
    tag = _tag(target.get("tag"))
    if tag is None:
        return None
    request = event.get("request")
    host = _optional_string(request.get("host")) if isinstance(request, dict) else None
    return RepositoryEvent(repository, host or _host_of(target.get("url")), tag, receiver)


def parse_distribution(payload: Any, headers: Headers, receiver: str) -> list[RepositoryEvent]:
    envelope = _object(payload, "body")
    events = _list(envelope.get("events"), "events")
    found = (_distribution_event(e, f"events[{i}]", receiver) for i, e in enumerate(events))
    return [e for e in found if e is not None]


def parse_acr(payload: Any, headers: Headers, receiver: str) -> list[RepositoryEvent]:
    """Azure sends one Distribution-style event per request, without the ``events`` envelope."""
    body = _object(payload, "body")
    if "events" in body:
        return parse_distribution(body, headers, receiver)
    event = _distribution_event(body, "body", receiver)
    return [event] if event is not None else []


def parse_gitlab(payload: Any, headers: Headers, receiver: str) -> list[RepositoryEvent]:
    """GitLab's container registry notifies in the Distribution format; project hooks carry no images."""
    body = _object(payload, "body")
    if "object_kind" in body or headers.get("x-gitlab-event"):
        return []
    return parse_distribution(body, headers, receiver)


def parse_dockerhub(payload: Any, headers: Headers, receiver: str) -> list[RepositoryEvent]:
    body = _object(payload, "body")
    repository = _object(body.get("repository"), "repository")
    push_data = body.get("push_data")
    tag = _tag(push_data.get("tag")) if isinstance(push_data, dict) else None
    return [RepositoryEvent(_repository(repository.get("repo_name"), "repository.repo_name"), "docker.io",
                            tag, receiver)]


_HARBOR_PUSH_TYPES = frozenset({"PUSH_ARTIFACT", "pushImage", "harbor.artifact.pushed"})


def parse_harbor(payload: Any, headers: Headers, receiver: str) -> list[RepositoryEvent]:
    """Harbor's default format (``event_data``) and its CloudEvents format (``data``)."""
    body = _object(payload, "body")
    if body.get("type") not in _HARBOR_PUSH_TYPES:
        return []
    data_key = "data" if "specversion" in body else "event_data"
    data = _object(body.get(data_key), data_key)
    repo_info = _object(data.get("repository"), f"{data_key}.repository")
    full_name = repo_info.get("repo_full_name")
    if full_name is None and repo_info.get("namespace") and repo_info.get("name"):
        full_name = f"{repo_info['namespace']}/{repo_info['name']}"
    repository = _repository(full_name, f"{data_key}.repository.repo_full_name")
    resources = _list(data.get("resources", []), f"{data_key}.resources")
    if not resources:
        return [RepositoryEvent(repository, None, None, receiver)]
    events = []
    for i, resource in enumerate(resources):
        item = _object(resource, f"{data_key}.resources[{i}]")
        events.append(RepositoryEvent(repository, _host_of(item.get("resource_url")), _tag(item.get("tag")),
                                      receiver))
    return events


def parse_quay(payload: Any, headers: Headers, receiver: str) -> list[RepositoryEvent]:
    """Quay's "repository push" notification; build notifications share fields, not ``updated_tags``."""
    body = _object(payload, "body")
    if "updated_tags" not in body:
        return []
    repository = _repository(body.get("repository"), "repository")
    host = _host_of(body.get("docker_url")) or "quay.io"
    updated = body["updated_tags"]
    if not isinstance(updated, (list, dict)):  # a list of tags, or (older Quay) tag -> image id
        raise WebhookPayloadError("updated_tags: expected a JSON array")
    tags = [_tag(t) for t in updated] or [None]
    return [RepositoryEvent(repository, host, tag, receiver) for tag in tags]


def parse_ghcr(payload: Any, headers: Headers, receiver: str) -> list[RepositoryEvent]:
    """GitHub ``package`` (and legacy ``registry_package``) events for container packages."""
    kind = headers.get("x-github-event")
    if kind is not None and kind not in ("package", "registry_package"):
        return []  # ping and every other event the hook may be subscribed to
    body = _object(payload, "body")
    key = "package" if "package" in body else "registry_package"
    package = _object(body.get(key), key)
    if body.get("action") not in ("published", "updated"):
        return []
    if str(package.get("package_type", "")).lower() not in ("container", "docker"):
        return []
    namespace = package.get("namespace")
    if not namespace and isinstance(package.get("owner"), dict):
        namespace = package["owner"].get("login")
    name = _string(package.get("name"), f"{key}.name")
    repository = _repository(f"{_string(namespace, f'{key}.namespace')}/{name}".lower(), f"{key}.name")
    registry = package.get("registry")
    host = (_host_of(registry.get("url")) if isinstance(registry, dict) else None) or "ghcr.io"
    tag = None
    version = package.get("package_version")
    if isinstance(version, dict) and isinstance(version.get("container_metadata"), dict):
        tag_info = version["container_metadata"].get("tag")
        tag = _tag(tag_info.get("name")) if isinstance(tag_info, dict) else None
    return [RepositoryEvent(repository, host, tag, receiver)]


def _generic_item(item: Any, where: str, receiver: str) -> RepositoryEvent:
    body = _object(item, where)
    if "image" in body:
        text = _string(body["image"], f"{where}.image")
        try:
            reference = ImageReference.parse(text)
        except InvalidReferenceError:
            raise WebhookPayloadError(f"{where}.image: {text[:200]!r} is not an image reference") from None
        host, path = split_name(reference.name)
        return RepositoryEvent(path, host, reference.tag or _tag(body.get("tag")), receiver)
    repository = _repository(body.get("repository"), f"{where}.repository")
    return RepositoryEvent(repository, _optional_string(body.get("host")), _tag(body.get("tag")), receiver)


def parse_generic(payload: Any, headers: Headers, receiver: str) -> list[RepositoryEvent]:
    """``{"image": "host/path:tag"}``, ``{"repository", "host"?, "tag"?}``, or ``{"events": [those]}``."""
    if isinstance(payload, dict) and "events" in payload:
        items = _list(payload["events"], "events")
        return [_generic_item(item, f"events[{i}]", receiver) for i, item in enumerate(items)]
    return [_generic_item(payload, "body", receiver)]


PARSERS: Mapping[str, Parser] = {
    "distribution": parse_distribution,
    "dockerhub": parse_dockerhub,
    "harbor": parse_harbor,
    "quay": parse_quay,
    "ghcr": parse_ghcr,
    "gitlab": parse_gitlab,
    "acr": parse_acr,
    "generic": parse_generic,
}
