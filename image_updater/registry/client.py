"""The registry datasource: tag listings, digests and per-tag metadata over the OCI distribution API.

A ``RegistryClient`` lives as long as the process, so its caches pay off across cycles: listing pages are
revalidated with ``If-None-Match`` when the registry sends ETags, and anything addressed by digest
(manifests, configs, the metadata built from them) is immutable and kept in bounded caches.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urljoin

from image_updater.errors import (
    RegistryAuthError,
    RegistryError,
    RegistryNotFoundError,
    RegistryProtocolError,
    RegistryStatusError,
)
from image_updater.reference import (
    ImageReference,
    canonical_name,
    registry_api_host,
    split_name,
    validate_tag,
)
from image_updater.registry import oci
from image_updater.registry.cache import BoundedCache
from image_updater.registry.credentials import credential_source
from image_updater.registry.metadata import TagMetadata
from image_updater.registry.origins import describe, origin
from image_updater.registry.settings import RegistrySettings
from image_updater.registry.transport import Kind, RegistryConnection, Reply, RequestObserver

_LINK_RE = re.compile(r"<([^>]*)>\s*((?:;\s*[^;,]*)*)")
_REL_NEXT_RE = re.compile(r';\s*rel\s*=\s*"?([^";]*)"?')


@dataclass(frozen=True)
class Repository:
    """An image name resolved to the registry that serves it and its path there."""

    image: str  # as the caller wrote it, for messages
    registry: RegistrySettings
    path: str

    @cached_property
    def key(self) -> tuple[str, str]:
        return (self.registry.name, self.path)

    @property
    def scope(self) -> str:
        return f"repository:{self.path}:pull"

    def url(self, suffix: str) -> str:
        return f"{self.registry.url}/v2/{self.path}/{suffix}"


@dataclass(frozen=True)
class _Page:
    etag: str
    tags: tuple[str, ...]
    next_url: str | None


def next_link(header: str | None, current_url: str) -> str | None:
    """The ``rel="next"`` target of a ``Link`` header, resolved against the page it came with."""
    for target, params in _LINK_RE.findall(header or ""):
        rels = [rel.lower() for match in _REL_NEXT_RE.findall(params) for rel in match.split()]
        if "next" in rels:
            return urljoin(current_url, str(target).strip())
    return None


class RegistryClient:
    """Long-lived client for every configured registry plus implicit anonymous HTTPS ones.

    Use it from one event loop for its whole life (its connection pools and locks belong to that loop);
    ``aclose`` releases the pools, and the caches and counters stay.
    """

    def __init__(
        self,
        registries: Sequence[RegistrySettings],
        *,
        docker_config: str | Path | None = None,
        on_request: RequestObserver | None = None,
        cache_size: int = 20_000,
    ) -> None:
        self._configured = list(registries)
        self._derived: dict[str, tuple[RegistrySettings, ...]] = {}
        self._registries = self._ordered()
        self._docker_config = Path(docker_config) if docker_config else None
        self._on_request = on_request
        self._connections: dict[str, RegistryConnection] = {}
        self._implicit: dict[str, RegistrySettings] = {}
        self._pages: BoundedCache[str, _Page] = BoundedCache(cache_size)
        self._documents: BoundedCache[tuple[str, str], dict[str, Any]] = BoundedCache(cache_size)
        self._metadata: BoundedCache[tuple[str, str, tuple[str, ...]], TagMetadata] = BoundedCache(cache_size)
        self._without_page_size: set[str] = set()
        self._resolved: BoundedCache[str, Repository] = BoundedCache(cache_size)
        self._cache_size = cache_size
        self._stale: list[RegistryConnection] = []

    def _ordered(self) -> list[RegistrySettings]:
        """Configured entries, then derived ones: the longest matching prefix wins, a configured one on a tie."""
        derived = [r for group in self._derived.values() for r in group]
        configured = {r.prefix for r in self._configured}
        return sorted(
            self._configured + [r for r in derived if r.prefix not in configured],
            key=lambda r: len(r.prefix),
            reverse=True,
        )

    def use_derived(self, owner: str, registries: Sequence[RegistrySettings]) -> None:
        """Registry entries read from somewhere else than the settings (a Flux ImageRepository's
        ``secretRef``, an argocd ``pull-secret``), replacing those ``owner`` gave before.

        A configured entry with the same prefix wins; an entry whose settings changed gets a new connection.
        """
        registries = tuple(registries)
        if self._derived.get(owner, ()) == registries:
            return
        for old in self._derived.get(owner, ()):
            if old not in registries:
                self._stale.extend(c for name, c in self._connections.items() if name == old.name)
                self._connections.pop(old.name, None)
        self._derived[owner] = registries
        self._registries = self._ordered()
        self._resolved = BoundedCache(self._cache_size)

    def __repr__(self) -> str:
        return f"RegistryClient({[r.name for r in self._registries]})"

    async def __aenter__(self) -> RegistryClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        for connection in [*self._connections.values(), *self._stale]:
            await connection.close()  # counters and auth state stay; a later call reopens the pool
        self._stale.clear()

    async def close_stale(self) -> None:
        """Close the pools of derived entries ``use_derived`` replaced. Not at once: the cycle that replaced
        them may still have requests in flight on them; cycles run one at a time, so the next one closes
        them (a service whose sources change entries kept every old pool open until it stopped)."""
        stale, self._stale = self._stale, []
        for connection in stale:
            await connection.close()

    @property
    def requests_made(self) -> int:
        """HTTP attempts so far across registries (retries and token fetches included)."""
        return sum(c.requests for c in self._connections.values())

    def repository(self, image: str) -> Repository:
        """Resolve an image name: the configured registry with the longest matching prefix, else HTTPS.

        An invalid name raises :class:`InvalidReferenceError` before any request is made.
        """
        known = self._resolved.get(image)
        if known is None:
            known = self._resolve(image)
            self._resolved.put(image, known)
        return known

    def _resolve(self, image: str) -> Repository:
        written = ImageReference.parse(image).name  # a tag or digest, if given, is not part of the name
        name = canonical_name(written)
        domain, path = split_name(written)
        for registry in self._registries:
            if name == registry.prefix or name.startswith(registry.prefix + "/"):
                return Repository(image, registry, path)
        implicit = self._implicit.get(domain)
        if implicit is None:
            api = f"https://{registry_api_host(domain)}"
            implicit = RegistrySettings(name=domain, url=api, prefix=domain)
            self._implicit[domain] = implicit
        return Repository(image, implicit, path)

    def _connection(self, registry: RegistrySettings) -> RegistryConnection:
        connection = self._connections.get(registry.name)
        if connection is None:
            credentials = credential_source(registry, self._docker_config)
            connection = RegistryConnection(registry, credentials, self._on_request)
            self._connections[registry.name] = connection
        return connection

    async def _get(
        self,
        repo: Repository,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        method: str = "GET",
        parse_json: bool = False,
        what: str,
        kind: Kind,
    ) -> Reply:
        reply = await self._connection(repo.registry).send(
            method, url, scope=repo.scope, image=repo.image, headers=headers, parse_json=parse_json, kind=kind
        )
        if reply.status in (200, 304):
            return reply
        where = {"registry": repo.registry.name, "image": repo.image}
        if reply.status == 404:
            raise RegistryNotFoundError(f"{what} not found (HTTP 404)", **where)
        if reply.status == 403:
            raise RegistryAuthError(f"access to {what} denied (HTTP 403)", **where)
        raise RegistryStatusError(f"{what}: unexpected HTTP {reply.status}", status=reply.status, **where)

    async def list_tags(self, image: str) -> list[str]:
        """Every tag of the repository, following ``Link: rel="next"`` pages to the end."""
        return await self.list_repository_tags(self.repository(image))

    async def list_repository_tags(self, repo: Repository) -> list[str]:
        """``list_tags`` for an already resolved repository (the scanner resolves each image once)."""
        url = repo.url("tags/list")
        if repo.registry.page_size and repo.registry.name not in self._without_page_size:
            url = f"{url}?n={repo.registry.page_size}"
        registry = repo.registry
        page = await self._tag_page(repo, url, first=True)
        self._check_tag_count(repo, len(page.tags))
        if page.next_url is None:
            return list(page.tags)  # the common case: one page, nothing to merge
        tags = list(page.tags)
        seen_urls = {url}
        next_url: str | None = page.next_url
        while next_url is not None:
            if next_url in seen_urls:
                raise RegistryProtocolError(
                    f"tag pages loop back to {next_url}", registry=registry.name, image=repo.image
                )
            if len(seen_urls) >= registry.max_pages:
                raise RegistryProtocolError(
                    f"tag list goes on past {registry.max_pages} pages (max_pages); not followed further",
                    registry=registry.name,
                    image=repo.image,
                )
            seen_urls.add(next_url)
            page = await self._tag_page(repo, next_url, first=False)
            tags.extend(page.tags)
            self._check_tag_count(repo, len(tags))
            next_url = page.next_url
        return list(dict.fromkeys(tags))  # pages of a moving listing may overlap

    @staticmethod
    def _check_tag_count(repo: Repository, count: int) -> None:
        if count > repo.registry.max_tags:
            raise RegistryProtocolError(
                f"tag list holds more than {repo.registry.max_tags} tags (max_tags); not read further",
                registry=repo.registry.name,
                image=repo.image,
            )

    async def _tag_page(self, repo: Repository, url: str, *, first: bool) -> _Page:
        cached = self._pages.get(url)
        headers = {"If-None-Match": cached.etag} if cached is not None else None
        try:
            reply = await self._get(repo, url, headers=headers, parse_json=True, what="tag list", kind="tags")
        except RegistryStatusError as exc:
            # Only a refusal of the request itself: an oversized or hostile answer (also a protocol error)
            # is that image's failure, never a reason to page without ``n`` for the whole registry.
            refused = 400 <= exc.status < 500
            if refused and first and "?n=" in url and repo.registry.name not in self._without_page_size:
                # a registry that rejects our page size: ask with its default from now on
                self._without_page_size.add(repo.registry.name)
                return await self._tag_page(repo, repo.url("tags/list"), first=True)
            raise
        if reply.status == 304 and cached is not None:
            return cached
        if reply.status != 200:
            raise RegistryProtocolError(
                f"tag list: HTTP {reply.status} without a cached page", registry=repo.registry.name, image=repo.image
            )
        data = reply.data
        raw_tags = data.get("tags", ...) if isinstance(data, dict) else ...
        if raw_tags is None:
            raw_tags = []  # a repository whose tags were all deleted answers "tags": null
        if not isinstance(raw_tags, list) or not set(map(type, raw_tags)) <= {str}:
            raise RegistryProtocolError(
                'tag list is not {"tags": [string, ...]}', registry=repo.registry.name, image=repo.image
            )
        next_url = next_link(reply.headers.get("Link"), url)
        if next_url is not None and origin(next_url) != origin(repo.registry.url):
            # the next request would carry this registry's Authorization header to whoever the link names
            raise RegistryProtocolError(
                f"tag list links to another origin ({describe(origin(next_url))}); not followed",
                registry=repo.registry.name,
                image=repo.image,
            )
        page = _Page(reply.headers.get("ETag", ""), tuple(raw_tags), next_url)
        if page.etag:
            self._pages.put(url, page)
        return page

    async def resolve_digest(self, image: str, tag: str) -> str:
        """The digest of what ``tag`` points to now (an index digest for multi-arch images)."""
        repo = self.repository(image)
        url = repo.url(f"manifests/{validate_tag(tag)}")
        accept = {"Accept": oci.MANIFEST_ACCEPT}
        reply = await self._get(repo, url, method="HEAD", headers=accept, what=f"tag {tag}", kind="manifest")
        digest = reply.headers.get("Docker-Content-Digest")
        if digest:
            return digest
        reply = await self._get(repo, url, headers=accept, what=f"tag {tag}", kind="manifest")
        return oci.sha256_digest(reply.body)

    async def _document(self, repo: Repository, kind: str, digest: str) -> dict[str, Any]:
        """A manifest or config blob by digest: immutable, so cached, and checked against its digest."""
        key = (repo.registry.name, digest)
        cached = self._documents.get(key)
        if cached is not None:
            return cached
        headers = {"Accept": oci.MANIFEST_ACCEPT} if kind == "manifests" else None
        reply = await self._get(
            repo,
            repo.url(f"{kind}/{digest}"),
            headers=headers,
            what=f"{kind[:-1]} {digest}",
            kind="manifest" if kind == "manifests" else "config",
        )
        where = {"registry": repo.registry.name, "image": repo.image}
        if digest.startswith("sha256:") and oci.sha256_digest(reply.body) != digest:
            raise RegistryProtocolError(f"{kind[:-1]} {digest} does not match its content", **where)
        try:
            document = json.loads(reply.body)
        except ValueError:
            raise RegistryProtocolError(f"{kind[:-1]} {digest} is not JSON", **where) from None
        if not isinstance(document, dict):
            raise RegistryProtocolError(f"{kind[:-1]} {digest} is not a JSON object", **where)
        self._documents.put(key, document)
        return document

    async def tag_metadata(self, image: str, tag: str, platforms: Sequence[str] = ()) -> TagMetadata:
        """Digest, creation time (from the config of the wanted platform) and the platforms offered.

        One HEAD per call while the tag still points at a digest seen before; otherwise the manifest,
        for an index the chosen child, and the config blob, each fetched once per digest.
        """
        repo = self.repository(image)
        digest = await self.resolve_digest(image, tag)
        wanted = tuple(platforms)
        key = (repo.registry.name, digest, wanted)
        cached = self._metadata.get(key)
        if cached is not None:
            return cached
        manifest = await self._document(repo, "manifests", digest)
        offered: frozenset[str] = frozenset()
        if oci.media_type_of(manifest, None) in oci.INDEX_TYPES:
            children = oci.index_children(manifest)
            offered = oci.platforms_with_parents([name for name, _ in children])
            child = oci.choose_child(children, wanted)
            manifest = await self._document(repo, "manifests", child) if child else {}
        created = None
        config_digest = oci.config_digest(manifest)
        if config_digest is not None:
            config = await self._document(repo, "blobs", config_digest)
            created = oci.parse_created(config.get("created"))
            if not offered:
                platform = oci.config_platform(config)
                offered = oci.platforms_with_parents([platform] if platform else [])
        metadata = TagMetadata(digest=digest, created=created, platforms=offered)
        self._metadata.put(key, metadata)
        return metadata


def describe_failure(exc: BaseException, repo: Repository | None, image: str) -> RegistryError:
    """Any failure of one image as a RegistryError naming it, so a scan can report and carry on."""
    if isinstance(exc, RegistryError):
        return exc
    registry = repo.registry.name if repo is not None else None
    return RegistryError(f"{type(exc).__name__}: {exc}", registry=registry, image=image)
