"""kustomization ``images:`` entries, with ``kustomize edit set image`` semantics.

The entry matches on ``name``; the effective image is ``newName`` or else ``name``; a tag goes to
``newTag`` and a digest to ``digest``. A missing ``newTag``/``digest``/``newName`` key is added as a
new line with the sibling keys' indentation, after the entry's last line (block style only).
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator

from image_updater.manifests.locate import FileContext, Parts, insertion_point, key_scalar, split_reference
from image_updater.manifests.model import FoundImage
from image_updater.manifests.tree import MapNode, SeqNode, deref, get, string_value

NAME = "kustomize"
FILE_PATTERNS = ("*.yaml", "*.yml", "Kustomization")
TOKENS = (b"image", b"newTag", b"newName")
KINDS = ("Kustomization", "Component")
FILE_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
INSERT_KEYS = {"name": "newName", "tag": "newTag", "digest": "digest"}


def find(ctx: FileContext) -> Iterator[FoundImage]:
    is_kustomization_file = posixpath.basename(ctx.path) in FILE_NAMES
    for document in ctx.documents:
        kind = string_value(get(document, "kind"))
        if kind not in KINDS and not (kind is None and is_kustomization_file):
            continue
        entries = deref(get(document, "images"))
        if not isinstance(entries, SeqNode):
            continue
        for entry in entries.items:
            entry = deref(entry)  # type: ignore[assignment]
            name = string_value(get(entry, "name"))
            if not isinstance(entry, MapNode) or not name:
                continue
            parts = Parts(
                name=key_scalar(entry, "newName"),
                tag=key_scalar(entry, "newTag"),
                digest=key_scalar(entry, "digest"),
                name_text=name,
                keys={"name": "newName", "tag": "newTag", "digest": "digest"},
            )
            yield split_reference(ctx, NAME, parts, entry.line, insertion=insertion_point(ctx, entry, INSERT_KEYS))
