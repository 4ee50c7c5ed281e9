"""One cycle's tag scan: each repository listed once however many images, targets or callers name it.

``scan`` runs, per registry, as many workers as that registry's ``max_concurrency`` over a queue of the
repositories not listed yet: no task per image and no crowd of coroutines queueing on a semaphore, which
on a CPU-bound machine was a measurable share of the client's cost per request (bench/README.md).
"""

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
        repo = self._client.repository(image)
        listing = self._listings.get(repo.key)
        if listing is None:
            listing = asyncio.ensure_future(self._client.list_repository_tags(repo))
            self._listings[repo.key] = listing
        return list(await asyncio.shield(listing))

    async def scan(self, images: Iterable[str]) -> dict[str, list[str] | RegistryError]:
        """Tags per image string as passed in; a failing registry or image is its entry's error, not ours."""
        resolved: dict[str, Repository | RegistryError] = {}
        for image in images:
            if image not in resolved:
                try:
                    resolved[image] = self._client.repository(image)
                except Exception as exc:  # an invalid name is that image's failure only
                    resolved[image] = describe_failure(exc, None, image)
        queues: dict[str, list[Repository]] = {}
        loop = asyncio.get_running_loop()
        for repo in resolved.values():
            if isinstance(repo, Repository) and repo.key not in self._listings:
                self._listings[repo.key] = loop.create_future()
                queues.setdefault(repo.registry.name, []).append(repo)
        try:
            await asyncio.gather(*(self._drain(queue) for queue in queues.values()))
        finally:
            for queue in queues.values():  # cancelled midway: never leave a listing pending forever
                for repo in queue:
                    self._listings[repo.key].cancel()
        return {image: await self._outcome(repo) for image, repo in resolved.items()}

    async def _drain(self, queue: list[Repository]) -> None:
        pending = iter(queue)

        async def worker() -> None:
            for repo in pending:
                listing = self._listings[repo.key]
                try:
                    listing.set_result(await self._client.list_repository_tags(repo))
                except Exception as exc:  # isolation is the point: one image never stops the others
                    listing.set_exception(exc)

        workers = min(queue[0].registry.max_concurrency, len(queue))
        await asyncio.gather(*(worker() for _ in range(workers)))

    async def _outcome(self, repo: Repository | RegistryError) -> list[str] | RegistryError:
        if isinstance(repo, RegistryError):
            return repo
        listing = self._listings[repo.key]
        try:
            # after the drain our listings are done; only one started by a concurrent list_tags may still run
            return list(listing.result() if listing.done() else await asyncio.shield(listing))
        except Exception as exc:
            return describe_failure(exc, repo, repo.image)
