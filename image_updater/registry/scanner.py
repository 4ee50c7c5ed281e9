"""One cycle's tag scan: each repository listed once however many images, targets or callers name it."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from image_updater.errors import RegistryError
from image_updater.registry.client import RegistryClient, Repository, describe_failure


class TagScanner:
    """Create one per cycle; ``list_tags`` and ``scan`` share listings by (registry, repository path)."""

    def __init__(self, client: RegistryClient) -> None:
        self._client = client
        self._listings: dict[tuple[str, str], asyncio.Future[list[str]]] = {}

    def __repr__(self) -> str:
        return f"TagScanner({len(self._listings)} repositories)"

    async def list_tags(self, image: str) -> list[str]:
        """Tags of ``image``'s repository, fetched at most once per scanner; a fresh list per caller."""
        return await self._tags_of(self._client.repository(image))

    async def _tags_of(self, repo: Repository) -> list[str]:
        listing = self._listings.get(repo.key)
        if listing is None:
            listing = asyncio.ensure_future(self._client.list_repository_tags(repo))
            self._listings[repo.key] = listing
        return list(await asyncio.shield(listing))

    async def scan(self, images: Iterable[str]) -> dict[str, list[str] | RegistryError]:
        """Tags per image string as passed in; a failing registry or image is its entry's error, not ours."""
        names = list(dict.fromkeys(images))
        results = await asyncio.gather(*(self._one(image) for image in names))
        return dict(zip(names, results, strict=True))

    async def _one(self, image: str) -> list[str] | RegistryError:
        repo: Repository | None = None
        try:
            repo = self._client.repository(image)
            return await self._tags_of(repo)
        except Exception as exc:  # isolation is the point: one image never stops the others
            return describe_failure(exc, repo, image)
