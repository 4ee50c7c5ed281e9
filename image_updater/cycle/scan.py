"""Ask the registries about the images the repo uses: one tag listing per repository per cycle."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence

from image_updater.cycle.model import ImageScan
from image_updater.cycle.settings import ImageSettings
from image_updater.errors import ImageUpdaterError, RegistryError
from image_updater.policy import metadata_needed
from image_updater.registry import RegistryClient, TagMetadata, TagScanner


async def scan_images(
    client: RegistryClient,
    images: Sequence[ImageSettings],
    in_use: Mapping[str, set[tuple[str | None, str | None]]],
) -> dict[str, ImageScan]:
    """Tags for every image (shared listing per repository), then only the metadata policies ask for.

    A failing registry or image is recorded on its own scan and never stops the others.
    """
    scanner = TagScanner(client)
    listings = await scanner.scan([image.image for image in images])
    scans: dict[str, ImageScan] = {}
    for image in images:
        result = listings.get(image.image)
        if isinstance(result, RegistryError) or result is None:
            scans[image.name] = ImageScan(image, error=str(result or "not scanned"))
        else:
            scans[image.name] = ImageScan(image, tags=list(result))
    await asyncio.gather(
        *(
            _fill_metadata(client, scans[i.name], in_use.get(i.name, {(None, None)}))
            for i in images
            if scans[i.name].tags is not None
        )
    )
    return scans


async def _fill_metadata(client: RegistryClient, scan: ImageScan, currents: set[tuple[str | None, str | None]]) -> None:
    image = scan.image
    wanted: list[str] = []
    for tag, _digest in sorted(currents, key=lambda c: (c[0] or "", c[1] or "")):
        for needed in metadata_needed(image.policy, image, scan.tags or [], tag):
            if needed not in wanted:
                wanted.append(needed)
    if not wanted:
        return

    async def fetch(tag: str) -> tuple[str, TagMetadata | ImageUpdaterError]:
        try:
            return tag, await client.tag_metadata(image.image, tag, image.platforms)
        except ImageUpdaterError as exc:
            return tag, exc

    for tag, result in await asyncio.gather(*(fetch(t) for t in wanted)):
        if isinstance(result, ImageUpdaterError):
            # Without its metadata a tag cannot be judged; the whole image waits for the next cycle
            # rather than choosing among a partial set.
            scan.tags, scan.error = None, f"metadata for tag {tag}: {result}"
            return
        scan.metadata[tag] = result
