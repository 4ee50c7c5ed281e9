"""docker-compose ``services.*.image``.

A document is a compose file when the file name says so (``compose.yaml``, ``docker-compose.*.yml``)
or when it has a ``services`` map and no ``apiVersion``/``kind``.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator

from image_updater.manifests.locate import FileContext, full_reference
from image_updater.manifests.model import FoundImage
from image_updater.manifests.tree import MapNode, deref, get, items

NAME = "compose"
FILE_PATTERNS = ("*.yaml", "*.yml")
TOKENS = (b"image",)


def find(ctx: FileContext) -> Iterator[FoundImage]:
    named_compose = "compose" in posixpath.basename(ctx.path).lower()
    for document in ctx.documents:
        services = deref(get(document, "services"))
        if not isinstance(services, MapNode):
            continue
        is_kubernetes = get(document, "apiVersion") is not None or get(document, "kind") is not None
        if is_kubernetes and not named_compose:
            continue
        for _, service in items(services):
            found = full_reference(ctx, NAME, get(service, "image"))
            if found is not None:
                yield found
