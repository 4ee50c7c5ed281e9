"""Read a tag's :class:`TagMetadata` from a real registry, synchronously, for the policy tests.

A stand-in for the registry client (written in parallel) that does the same three requests the policy
relies on: the tag's manifest (index, list or single manifest), the chosen platform's child manifest,
and its config blob for ``created``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import httpx

from image_updater.policy import TagMetadata
from tests.support.registry import MT_DOCKER_LIST, MT_DOCKER_MANIFEST, MT_OCI_INDEX, MT_OCI_MANIFEST

ACCEPT = ", ".join((MT_OCI_INDEX, MT_DOCKER_LIST, MT_OCI_MANIFEST, MT_DOCKER_MANIFEST))
INDEX_TYPES = (MT_OCI_INDEX, MT_DOCKER_LIST)


def _platform_names(os_name: str, arch: str, variant: str | None) -> set[str]:
    names = {f"{os_name}/{arch}"}
    if variant:
        names.add(f"{os_name}/{arch}/{variant}")
    return names


def _matches(entry: dict[str, Any], wanted: str) -> bool:
    plat = entry.get("platform") or {}
    os_name, arch, *variant = wanted.split("/")
    if plat.get("os") != os_name or plat.get("architecture") != arch:
        return False
    return not variant or plat.get("variant") == variant[0]


def _get_manifest(client: httpx.Client, repo: str, reference: str) -> tuple[dict[str, Any], str, str]:
    resp = client.get(f"/v2/{repo}/manifests/{reference}", headers={"Accept": ACCEPT})
    resp.raise_for_status()
    body = resp.json()
    media_type = body.get("mediaType") or resp.headers.get("Content-Type", "").split(";")[0]
    digest = resp.headers.get("Docker-Content-Digest") or "sha256:" + hashlib.sha256(resp.content).hexdigest()
    return body, media_type, digest


def _created(client: httpx.Client, repo: str, manifest: dict[str, Any]) -> tuple[datetime | None, set[str]]:
    resp = client.get(f"/v2/{repo}/blobs/{manifest['config']['digest']}")
    resp.raise_for_status()
    config = resp.json()
    created = datetime.fromisoformat(config["created"]) if config.get("created") else None
    platforms = _platform_names(config.get("os", ""), config.get("architecture", ""), config.get("variant"))
    return created, platforms


def fetch_tag_metadata(base_url: str, repo: str, tag: str, *, platform: str = "linux/amd64",
                       auth: tuple[str, str] | None = None) -> TagMetadata:
    """Digest of the tag's manifest, every platform it offers, and ``created`` of ``platform``'s image."""
    with httpx.Client(base_url=base_url, auth=auth, timeout=10.0) as client:
        body, media_type, digest = _get_manifest(client, repo, tag)
        if media_type not in INDEX_TYPES:
            created, platforms = _created(client, repo, body)
            return TagMetadata(digest=digest, created=created, platforms=frozenset(platforms))
        offered: set[str] = set()
        for entry in body.get("manifests", []):
            plat = entry.get("platform") or {}
            if plat.get("os") and plat.get("os") != "unknown":  # skip attestation manifests
                offered |= _platform_names(plat["os"], plat["architecture"], plat.get("variant"))
        child = next((e for e in body.get("manifests", []) if _matches(e, platform)), None)
        created = None
        if child is not None:
            child_body, _, _ = _get_manifest(client, repo, child["digest"])
            created, _ = _created(client, repo, child_body)
        return TagMetadata(digest=digest, created=created, platforms=frozenset(offered))


def fetch_metadata(base_url: str, repo: str, tags: Iterable[str], *, platform: str = "linux/amd64",
                   auth: tuple[str, str] | None = None) -> dict[str, TagMetadata]:
    return {tag: fetch_tag_metadata(base_url, repo, tag, platform=platform, auth=auth) for tag in tags}


def list_tags(base_url: str, repo: str, *, auth: tuple[str, str] | None = None) -> list[str]:
    resp = httpx.get(f"{base_url}/v2/{repo}/tags/list", auth=auth, timeout=10.0)
    resp.raise_for_status()
    return list(resp.json().get("tags") or [])
