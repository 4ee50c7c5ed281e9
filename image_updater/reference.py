"""Image references as the OCI distribution grammar defines them.

One place decides what a valid tag is and how names are normalised, because the registry client,
the policies and the YAML editors must agree on it: a tag that is not valid OCI syntax must never be
written into a config repo, and ``nginx``, ``docker.io/library/nginx`` and ``index.docker.io/nginx``
must match the same configured image.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from image_updater.errors import InvalidReferenceError

TAG_PATTERN = r"[A-Za-z0-9_][A-Za-z0-9._-]{0,127}"
DIGEST_PATTERN = r"[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}"
_TAG_RE = re.compile(rf"^{TAG_PATTERN}$")
_DIGEST_RE = re.compile(rf"^{DIGEST_PATTERN}$")
_PATH_COMPONENT = r"[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*"
_PATH_RE = re.compile(rf"^{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*$")
_DOMAIN_RE = re.compile(
    r"^(?:\[[0-9a-fA-F:]+\]|[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*)(?::[0-9]+)?$"
)

DOCKER_HUB = "docker.io"
DOCKER_HUB_API = "registry-1.docker.io"
_DOCKER_HUB_ALIASES = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com"})


def is_valid_tag(tag: str) -> bool:
    return bool(_TAG_RE.match(tag))


def validate_tag(tag: str) -> str:
    """Return ``tag`` or raise: the last gate before a tag reaches a file."""
    if not is_valid_tag(tag):
        raise InvalidReferenceError(f"{tag!r} is not a valid OCI tag (must match {TAG_PATTERN})")
    return tag


def is_valid_digest(digest: str) -> bool:
    return bool(_DIGEST_RE.match(digest))


def validate_digest(digest: str) -> str:
    if not is_valid_digest(digest):
        raise InvalidReferenceError(f"{digest!r} is not a valid digest (algorithm:hex)")
    return digest


def _looks_like_domain(component: str) -> bool:
    return "." in component or ":" in component or component == "localhost" or component.startswith("[")


@dataclass(frozen=True)
class ImageReference:
    """``name[:tag][@digest]`` with ``name`` kept exactly as written, so edits can write it back."""

    name: str
    tag: str | None = None
    digest: str | None = None

    @classmethod
    def parse(cls, text: str) -> ImageReference:
        """Parse a reference; raise :class:`InvalidReferenceError` naming the text when it is not one."""
        value = text.strip()
        if not value or value != text:
            raise InvalidReferenceError(f"{text!r} is not an image reference")
        scheme, sep, without = value.partition("://")
        if sep:
            raise InvalidReferenceError(
                f"{text!r} is not a valid image name: image names have no scheme ({scheme}://); write {without!r}"
            )
        rest, digest = value, None
        if "@" in rest:
            rest, digest = rest.split("@", 1)
            if not is_valid_digest(digest):
                raise InvalidReferenceError(f"{text!r}: {digest!r} is not a valid digest")
        name, tag = rest, None
        slash = rest.rfind("/")
        colon = rest.rfind(":")
        if colon > slash:
            name, tag = rest[:colon], rest[colon + 1 :]
            if not is_valid_tag(tag):
                raise InvalidReferenceError(f"{text!r}: {tag!r} is not a valid tag")
        ref = cls(name=name, tag=tag, digest=digest)
        domain, path = split_name(name)
        if not _DOMAIN_RE.match(domain) or not _PATH_RE.match(path):
            raise InvalidReferenceError(f"{text!r} is not a valid image name: {_name_problem(domain, path)}")
        return ref

    @property
    def domain(self) -> str:
        """Canonical registry host (``docker.io`` for every Docker Hub alias)."""
        return split_name(self.name)[0]

    @property
    def path(self) -> str:
        """Repository path inside the registry (``library/nginx`` for ``nginx``)."""
        return split_name(self.name)[1]

    @property
    def canonical_name(self) -> str:
        return canonical_name(self.name)

    def __str__(self) -> str:
        out = self.name
        if self.tag is not None:
            out += f":{self.tag}"
        if self.digest is not None:
            out += f"@{self.digest}"
        return out


def _name_problem(domain: str, path: str) -> str:
    """Why ``domain/path`` is no repository name, in the words of the rule it breaks."""
    if not _DOMAIN_RE.match(domain):
        return f"{domain!r} is not a registry host (host[:port])"
    if any(char.isspace() for char in path):
        return "it contains white space"
    if path != path.lower():
        return f"repository paths are lower case ({path.lower()!r}; only the registry host may have capitals)"
    if any(not component for component in path.split("/")):
        return "it has an empty path component (// or a / at an end)"
    return "path components are lower-case letters and digits, joined by '.', '_', '__' or '-' (not at either end)"


def split_name(name: str) -> tuple[str, str]:
    """Split a repository name into (canonical domain, path), applying Docker Hub's rules."""
    first, sep, remainder = name.partition("/")
    if sep and _looks_like_domain(first):
        domain, path = first.lower() if first.lower() in _DOCKER_HUB_ALIASES else first, remainder
    else:
        domain, path = DOCKER_HUB, name
    if domain in _DOCKER_HUB_ALIASES:
        domain = DOCKER_HUB
        if "/" not in path:
            path = f"library/{path}"
    return domain, path


def canonical_name(name: str) -> str:
    """``nginx`` → ``docker.io/library/nginx``; other names only lose Docker Hub aliases."""
    domain, path = split_name(name)
    return f"{domain}/{path}"


def registry_api_host(domain: str) -> str:
    """The host that serves the distribution API for a canonical domain."""
    return DOCKER_HUB_API if domain == DOCKER_HUB else domain
