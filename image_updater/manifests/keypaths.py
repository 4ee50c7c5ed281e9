"""User-configured key paths (``backend.image.tag``, ``containers[0].image``), bound to one image.

A path applies to every document of every file its ``files`` globs match (``fnmatch``, where ``*``
also crosses ``/``); a path that does not resolve in a document finds nothing there.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator

from image_updater.manifests.locate import FileContext, Parts, full_reference, split_reference
from image_updater.manifests.model import FoundImage
from image_updater.manifests.paths import parse_path, resolve
from image_updater.manifests.settings import KeyPathSettings, ManagerOptions
from image_updater.manifests.tree import Node, deref, get

NAME = "keypath"
FILE_PATTERNS = ("*.yaml", "*.yml")
TOKENS: tuple[bytes, ...] = ()  # the configured paths' last keys: see option_tokens


def option_tokens(options: ManagerOptions) -> list[bytes]:
    """The last key of every configured path: a file holding none of them holds no key-path image."""
    return [
        text.rsplit(".", 1)[-1].split("[", 1)[0].encode()
        for _, key_path in options.key_paths
        for text in (key_path.tag, key_path.repository, key_path.digest)
        if text
    ]


def applies(key_path: KeyPathSettings, path: str) -> bool:
    return not key_path.files or any(fnmatch.fnmatchcase(path, glob) for glob in key_path.files)


def _one(document: Node, path: str | None) -> Node | None:
    """The raw node at ``path`` (an alias stays an alias so ctx.value can record it)."""
    if path is None:
        return None
    steps = parse_path(path)
    parents = list(resolve(document, steps[:-1]))
    if len(parents) != 1:
        return None
    last = steps[-1]
    if isinstance(last, str):
        return get(parents[0], last)
    items = getattr(deref(parents[0]), "items", None)
    if isinstance(last, int) and items is not None and last < len(items):
        node: Node = items[last]
        return node
    return None


def is_tag_key(path: str) -> bool:
    return path.rsplit(".", 1)[-1].lower().endswith("tag")


def find(ctx: FileContext) -> Iterator[FoundImage]:
    for image, key_path in ctx.options.key_paths:
        if not applies(key_path, ctx.path) or key_path.tag is None:
            continue
        for document in ctx.documents:
            tag = _one(document, key_path.tag)
            if tag is None:
                continue
            if key_path.repository is None and not is_tag_key(key_path.tag):
                found = full_reference(ctx, NAME, tag, policy=image)
                if found is not None:
                    yield found
                continue
            repository = _one(document, key_path.repository)
            parts = Parts(
                name=repository,
                tag=tag,
                digest=_one(document, key_path.digest),
                name_text=None if repository is not None else image,
                keys={"name": key_path.repository or "", "tag": key_path.tag, "digest": key_path.digest or ""},
            )
            yield split_reference(ctx, NAME, parts, deref(tag).line, policy=image)  # type: ignore[union-attr]
