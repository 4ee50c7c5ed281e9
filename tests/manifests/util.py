"""Helpers the manifests tests share: edits by image name or policy, and the byte-span check."""

from __future__ import annotations

from image_updater.manifests import FoundImage, ImageEdit, ManagerOptions, ManifestFile
from image_updater.reference import canonical_name


def parse(text: str | bytes, path: str = "deploy.yaml", options: ManagerOptions | None = None) -> ManifestFile:
    data = text.encode() if isinstance(text, str) else text
    return ManifestFile.parse(path, data, options or ManagerOptions())


def only(manifest: ManifestFile, name: str | None = None, policy: str | None = None) -> FoundImage:
    """The single image found with this name (canonical) or policy."""
    matches = [
        f
        for f in manifest.images
        if (
            name is not None
            and f.reference is not None
            and f.reference.name
            and canonical_name(f.reference.name) == canonical_name(name)
        )
        or (policy is not None and f.policy == policy)
    ]
    assert len(matches) == 1, f"expected one image {name or policy}, found {manifest.images}"
    return matches[0]


def set_tag(text: str | bytes, name: str, tag: str, path: str = "deploy.yaml", **edit: str) -> bytes:
    manifest = parse(text, path)
    return manifest.render([ImageEdit(only(manifest, name=name), tag, **edit)])


def char_to_byte(text: str, index: int, bom: bool) -> int:
    return len(text[:index].encode("utf-8")) + (3 if bom else 0)


def allowed_spans(manifest: ManifestFile, found: FoundImage) -> list[tuple[int, int]]:
    """Byte spans a tag edit of ``found`` may rewrite: its scalars, or the point where a key may be added."""
    spans = [(s.start, s.end) for s in found.locator.slots()]
    if found.locator.insertion is not None:
        spans.append((found.locator.insertion.offset, found.locator.insertion.offset))
    return [
        (char_to_byte(manifest.text, a, manifest.bom), char_to_byte(manifest.text, b, manifest.bom)) for a, b in spans
    ]


def changed_only_within(old: bytes, new: bytes, spans: list[tuple[int, int]]) -> bool:
    """``new`` is ``old`` with the bytes of one span replaced (prefix and suffix byte-identical)."""
    if old == new:
        return True
    return any(new.startswith(old[:a]) and new.endswith(old[b:]) and len(new) >= a + len(old) - b for a, b in spans)
