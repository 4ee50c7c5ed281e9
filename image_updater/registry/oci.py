"""Reading manifests, indexes and image configs: the pure half of ``tag_metadata``."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from typing import Any

MT_DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
MT_DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
MT_OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MT_OCI_INDEX = "application/vnd.oci.image.index.v1+json"
INDEX_TYPES = frozenset({MT_DOCKER_LIST, MT_OCI_INDEX})
MANIFEST_ACCEPT = ", ".join((MT_OCI_INDEX, MT_DOCKER_LIST, MT_OCI_MANIFEST, MT_DOCKER_MANIFEST))

_FRACTION_RE = re.compile(r"(\.\d{6})\d+")


def sha256_digest(body: bytes) -> str:
    return "sha256:" + hashlib.sha256(body).hexdigest()


def media_type_of(document: dict[str, Any], header: str | None) -> str:
    """The manifest's own ``mediaType`` wins; an index without one is recognised by ``manifests``."""
    declared = document.get("mediaType")
    if isinstance(declared, str) and declared:
        return declared
    if isinstance(document.get("manifests"), list):
        return MT_OCI_INDEX
    return (header or MT_OCI_MANIFEST).split(";")[0].strip()


def platform_name(platform: Any) -> str | None:
    """``{"os": "linux", "architecture": "arm", "variant": "v7"}`` → ``linux/arm/v7``; None if unknown."""
    if not isinstance(platform, dict):
        return None
    os_name, arch = platform.get("os"), platform.get("architecture")
    if not isinstance(os_name, str) or not isinstance(arch, str) or "unknown" in (os_name, arch):
        return None
    variant = platform.get("variant")
    return f"{os_name}/{arch}/{variant}" if isinstance(variant, str) and variant else f"{os_name}/{arch}"


def platforms_with_parents(names: list[str]) -> frozenset[str]:
    """Each ``os/arch/variant`` also counts as ``os/arch``: a platform without variant accepts any variant."""
    out = set(names)
    out.update("/".join(n.split("/")[:2]) for n in names)
    return frozenset(out)


def index_children(document: dict[str, Any]) -> list[tuple[str, str]]:
    """(platform, child digest) for each runnable entry of an index, in index order."""
    children = []
    for entry in document.get("manifests") or []:
        name = platform_name(entry.get("platform")) if isinstance(entry, dict) else None
        digest = entry.get("digest") if isinstance(entry, dict) else None
        if name and isinstance(digest, str):
            children.append((name, digest))
    return children


def choose_child(children: list[tuple[str, str]], wanted: tuple[str, ...]) -> str | None:
    """The child for the first wanted platform present (``linux/arm64`` matches any variant);
    with nothing wanted, ``linux/amd64`` when present, else the first entry."""
    for platform in wanted or ("linux/amd64",):
        for name, digest in children:
            if name == platform or name.startswith(platform + "/"):
                return digest
    if wanted:
        return None
    return children[0][1] if children else None


def config_digest(document: dict[str, Any]) -> str | None:
    config = document.get("config")
    digest = config.get("digest") if isinstance(config, dict) else None
    return digest if isinstance(digest, str) else None


def parse_created(value: Any) -> datetime | None:
    """RFC 3339 from an image config (nanoseconds allowed); naive times are taken as UTC."""
    if not isinstance(value, str) or not value:
        return None
    text = _FRACTION_RE.sub(r"\1", value.strip())
    try:
        created = datetime.fromisoformat(text)
    except ValueError:
        return None
    return created if created.tzinfo else created.replace(tzinfo=UTC)


def config_platform(config: dict[str, Any]) -> str | None:
    return platform_name(
        {"os": config.get("os"), "architecture": config.get("architecture"), "variant": config.get("variant")}
    )
