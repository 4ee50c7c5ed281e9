"""Reading a checkout: the files the managers name, what they find in them, and which image governs each.

Nothing here talks to a registry or to git. ``index_repo`` reads the work tree once (reusing the parse
of every file whose bytes did not change, ``ParseCache``) and binds each reference to a configured
image by place and name; ``plan.py`` decides and renders from the index.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from image_updater.cycle.model import Binding, Finding
from image_updater.cycle.settings import ImageSettings, Target
from image_updater.errors import ImageUpdaterError, ManifestError
from image_updater.manifests import (
    FoundImage,
    ManagerOptions,
    ManifestFile,
    ManifestSettings,
    could_hold_images,
    file_name_matcher,
)
from image_updater.reference import canonical_name


@dataclass
class RepoIndex:
    """One checkout's references bound to configured images, and the parsed files that hold them."""

    root: Path
    files: dict[str, ManifestFile] = field(default_factory=dict)  # only files with a binding: the ones edits render
    bindings: list[Binding] = field(default_factory=list)
    skipped: list[FoundImage] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    def images_in_use(self) -> dict[str, set[tuple[str | None, str | None]]]:
        """Configured image name → the (tag, digest) pairs the repo currently holds for it."""
        out: dict[str, set[tuple[str | None, str | None]]] = {}
        for b in self.bindings:
            ref = b.found.reference
            out.setdefault(b.image.name, set()).add((ref.tag, ref.digest) if ref else (None, None))
        return out


def manager_options(images: Sequence[ImageSettings], manifests: ManifestSettings) -> ManagerOptions:
    managers = manifests.managers
    return ManagerOptions(
        key_paths=tuple((image.name, kp) for image in images for kp in image.key_paths),
        custom_resources=tuple(manifests.custom_resources),
        managers=frozenset(managers) if managers is not None else None,
        max_nodes=manifests.max_nodes,
        parse_timeout=manifests.parse_timeout,
    )


_GLOB = re.compile(r"[*?\[]")


def iter_files(
    root: Path, paths: Sequence[str], options: ManagerOptions, findings: list[Finding] | None = None
) -> Iterator[str]:
    """Relative paths of the files some enabled manager reads, under the configured paths, sorted, never
    inside ``.git`` (the managers' file patterns decide, as they decide the prefilter).

    A path that holds no such file, or is written as a glob (paths are folders or files, not patterns),
    is a ``Finding``: it would otherwise have no effect, silently."""
    reads = file_name_matcher(options)
    seen: set[str] = set()
    top = root.resolve()
    for base in paths:
        start = (top / base).resolve()
        if not start.is_relative_to(top):
            raise ImageUpdaterError(f"git.paths entry {base!r} points outside the repository")
        prefix = start.relative_to(top).parts
        single = start.is_file()
        found = ([prefix] if reads(start.name) else []) if single else sorted(_files(start, prefix, reads))
        if not found and findings is not None:
            if _GLOB.search(base):
                findings.append(
                    Finding(
                        "glob_path",
                        f"git.paths entry {base!r} is a glob: paths are folders or "
                        "files of the repository, not patterns; list the folders instead",
                    )
                )
            else:
                what = "does not exist" if not start.exists() else "holds no file a manager reads"
                findings.append(Finding("empty_path", f"git.paths entry {base!r} {what} in the checkout"))
        for parts in found:
            rel = "/".join(parts)
            if ".git" in parts or rel in seen:
                continue
            seen.add(rel)
            yield rel


def _files(folder: Path | str, parts: tuple[str, ...], reads: Callable[[str], bool]) -> Iterator[tuple[str, ...]]:
    """Path parts of the files below ``folder`` a manager reads, never descending into ``.git`` (its loose objects can
    outnumber a config repo's own files; ``os.scandir`` answers the file-or-folder question without a stat).

    Symlinks are neither followed nor edited: writing through one would turn it into a copy in the
    commit, or edit a file outside the repository.
    """
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        if entry.name == ".git":
            continue
        here = (*parts, entry.name)
        if entry.is_symlink():
            continue
        if entry.is_dir():
            yield from _files(entry.path, here, reads)
        elif reads(entry.name) and entry.is_file():
            yield here


class Binder:
    """Which configured image governs a reference: markers and key paths by name (``ns:name`` or ``name``),
    everything else by repository, each a dictionary lookup built once per target.

    Two entries of one target on the same repository are refused at load unless they decide alike, so
    which of them the lookup keeps (the first) changes nothing but the name the reports use.
    """

    def __init__(self, images: Sequence[ImageSettings]) -> None:
        self._by_name = {image.name: image for image in images}
        self._by_repository: dict[str, ImageSettings] = {}
        self._scoped: dict[str, list[ImageSettings]] = {}  # images that bind by repository in their scope only
        for image in images:
            if image.scope:
                self._scoped.setdefault(canonical_name(image.image), []).append(image)
            elif image.bind_by == "repository":
                self._by_repository.setdefault(canonical_name(image.image), image)

    def bind(self, found: FoundImage) -> ImageSettings | None:
        if found.policy is not None:
            wanted = found.policy
            return self._by_name.get(wanted) or self._by_name.get(wanted.rpartition(":")[2])
        if found.reference is None or not found.reference.name:
            return None
        repository = canonical_name(found.reference.name)
        for image in self._scoped.get(repository, ()):
            if image.in_scope(found.path):
                return image
        return self._by_repository.get(repository)


@dataclass(frozen=True)
class CachedFile:
    """What indexing learnt from one file's exact bytes.

    ``manifest`` (the parsed tree, some 25 kB per small file) is kept only while the file holds a
    configured image, the only case an edit renders it; the rest of a large repo costs its bytes.
    """

    data: bytes
    found: tuple[FoundImage, ...] = ()
    manifest: ManifestFile | None = None
    error: str | None = None


@dataclass
class ParseCache:
    """What the last index learnt per file, reused for every file whose bytes have not changed since.

    Parsing (compose plus every manager) is nearly all of an index's time, and between two cycles a
    config repo usually changes in a file or two; so a long-lived ``Updater`` keeps one of these.
    Entries are compared on their exact bytes and are valid for the manager options they were
    parsed with; files gone from the tree are dropped at each index.
    """

    options: ManagerOptions | None = None
    entries: dict[str, CachedFile] = field(default_factory=dict)


def _read(path: str) -> bytes:
    """``Path(path).read_bytes()`` without the ``Path`` and buffered file objects, a third of the cost:
    every cycle reads every candidate file of the config repo to know which ones changed."""
    fd = os.open(path, os.O_RDONLY)
    try:
        chunks = []
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def _parse(rel: str, data: bytes, options: ManagerOptions) -> CachedFile:
    if not could_hold_images(rel, data, options):
        return CachedFile(data)
    try:
        parsed = ManifestFile.parse(rel, data, options)
    except ManifestError as exc:
        return CachedFile(data, error=str(exc))
    return CachedFile(data, tuple(parsed.images), parsed)


def _bind_all(found: Sequence[FoundImage], binder: Binder, findings: list[Finding] | None = None) -> list[Binding]:
    """The references an image governs; a marker or key path naming no image entry is a finding."""
    bindings = []
    for image_found in found:
        if image_found.skipped:
            continue
        image = binder.bind(image_found)
        if image is not None:
            bindings.append(Binding(image_found, image))
        elif image_found.policy is not None and findings is not None:
            findings.append(
                Finding(
                    "unknown_policy",
                    f"{image_found.manager} names {image_found.policy!r}, which no image entry of this target is named",
                    image_found.path,
                    image_found.line,
                )
            )
    return bindings


def index_repo(root: Path, target: Target, manifests: ManifestSettings, cache: ParseCache | None = None) -> RepoIndex:
    """Parse every candidate file of ``target``'s paths once (or take it from ``cache``) and bind what the
    managers find to the target's images."""
    options = manager_options(target.images, manifests)
    binder = Binder(target.images)
    index = RepoIndex(root=root)
    previous = cache.entries if cache is not None and cache.options == options else {}
    current: dict[str, CachedFile] = {}
    top = str(root)
    for rel in iter_files(root, target.git.paths, options, index.findings):
        data = _read(os.path.join(top, rel))
        entry = previous.get(rel)
        if entry is None or entry.data != data:
            entry = _parse(rel, data, options)
        bindings = _bind_all(entry.found, binder, index.findings)
        if bindings and entry.manifest is None:  # cached while it held no configured image: other settings
            entry = _parse(rel, data, options)
            bindings = _bind_all(entry.found, binder)
        current[rel] = entry if bindings else replace(entry, manifest=None)
        if entry.error is not None:
            index.errors.append(entry.error)
        index.skipped.extend(f for f in entry.found if f.skipped)
        index.bindings.extend(bindings)
        if bindings:
            assert entry.manifest is not None
            index.files[rel] = entry.manifest
    if cache is not None:
        cache.options, cache.entries = options, current
    index.findings.sort(key=lambda f: (f.path is not None, f.path or "", f.line or 0))  # the paths' own first
    return index
