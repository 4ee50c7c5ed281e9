"""Ask the registries about the images the targets use: once per repository and tag per cycle, for all of them.

A cycle makes one :class:`CycleScanner`, and every target's scan goes through it: the tag listing of a
repository is fetched once (``TagScanner`` keeps the listing in flight or done), and a tag's metadata
once per (repository, tag, platforms), however many targets and entries name that image. A failing
registry or image is recorded on its own scan and never stops the others.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence

from image_updater.cycle.model import ImageScan
from image_updater.cycle.settings import ImageSettings
from image_updater.errors import ImageUpdaterError, RegistryError
from image_updater.policy import metadata_needed
from image_updater.registry import RegistryClient, TagMetadata, TagScanner

MetadataKey = tuple[str, str, str, tuple[str, ...]]


class CycleScanner:
    def __init__(self, client: RegistryClient) -> None:
        self.client = client
        self._tags = TagScanner(client)
        self._metadata: dict[MetadataKey, asyncio.Future[TagMetadata]] = {}
        self._digests: dict[tuple[str, str, str], asyncio.Future[str]] = {}

    async def scan(
        self, images: Sequence[ImageSettings], in_use: Mapping[str, set[tuple[str | None, str | None]]]
    ) -> dict[str, ImageScan]:
        """Tags for every image (shared listing per repository), then only the metadata policies ask for."""
        listings = await self._tags.scan([image.image for image in images])
        scans: dict[str, ImageScan] = {}
        for image in images:
            result = listings.get(image.image)
            if isinstance(result, RegistryError) or result is None:
                scans[image.name] = ImageScan(image, error=str(result or "not scanned"))
            else:
                scans[image.name] = ImageScan(image, tags=list(result))
        await asyncio.gather(
            *(
                self._fill_metadata(scans[i.name], in_use.get(i.name, {(None, None)}))
                for i in images
                if scans[i.name].tags is not None
            )
        )
        return scans

    def _tag_metadata(self, image: ImageSettings, tag: str) -> asyncio.Future[TagMetadata]:
        key = (*self.client.repository(image.image).key, tag, tuple(image.platforms))
        known = self._metadata.get(key)
        if known is None:
            known = asyncio.ensure_future(self.client.tag_metadata(image.image, tag, image.platforms))
            self._metadata[key] = known
        return known

    async def _fill_metadata(self, scan: ImageScan, currents: set[tuple[str | None, str | None]]) -> None:
        image = scan.image
        wanted: list[str] = []
        for tag, _digest in sorted(currents, key=lambda c: (c[0] or "", c[1] or "")):
            for needed in metadata_needed(image.policy, image, scan.tags or [], tag):
                if needed not in wanted:
                    wanted.append(needed)
        if not wanted:
            return
        results = await asyncio.gather(
            *(asyncio.shield(self._tag_metadata(image, t)) for t in wanted), return_exceptions=True
        )
        for tag, result in zip(wanted, results, strict=True):
            if isinstance(result, ImageUpdaterError):
                # Without its metadata a tag cannot be judged; the whole image waits for the next cycle
                # rather than choosing among a partial set.
                scan.tags, scan.error = None, f"metadata for tag {tag}: {result}"
                return
            if isinstance(result, BaseException):
                raise result
            scan.metadata[tag] = result

    async def digests(
        self, wanted: Mapping[str, set[str]], scans: Mapping[str, ImageScan]
    ) -> dict[tuple[str, str], str]:
        """The digest each (image, tag) points at now, for pinned references: taken from the metadata the
        scan already read when it has it, else one ``HEAD`` per (repository, tag) this cycle. A tag whose
        digest cannot be had is left out (the plan withholds that image and says why)."""
        jobs: dict[tuple[str, str], asyncio.Future[str]] = {}
        found: dict[tuple[str, str], str] = {}
        for name, tags in wanted.items():
            scan = scans[name]
            for tag in tags:
                known = scan.metadata.get(tag)
                if known is not None and known.digest is not None:
                    found[(name, tag)] = known.digest
                    continue
                repo_tag = (*self.client.repository(scan.image.image).key, tag)
                if repo_tag not in self._digests:
                    fetch = self.client.resolve_digest(scan.image.image, tag)
                    self._digests[repo_tag] = asyncio.ensure_future(fetch)
                jobs[(name, tag)] = self._digests[repo_tag]
        results = await asyncio.gather(*(asyncio.shield(j) for j in jobs.values()), return_exceptions=True)
        for wanted_key, result in zip(jobs, results, strict=True):
            if isinstance(result, str):
                found[wanted_key] = result
            elif not isinstance(result, ImageUpdaterError):
                raise result
        return found


async def scan_images(
    client: RegistryClient, images: Sequence[ImageSettings], in_use: Mapping[str, set[tuple[str | None, str | None]]]
) -> dict[str, ImageScan]:
    """One scan outside a cycle (``image-updater test``)."""
    return await CycleScanner(client).scan(images, in_use)
