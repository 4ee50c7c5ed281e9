"""From files and registry answers to new file bytes: pure, so it can be re-run on a moved head.

Nothing here talks to a registry or to git. ``index_repo`` reads the work tree once; ``plan_edits``
decides every reference with the policies and renders the new bytes in memory; ``write_edits`` is the
only function that touches the disk, and it writes only files whose every edit succeeded.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from image_updater.cycle.model import Binding, CyclePlan, FileEdit, ImageScan
from image_updater.cycle.settings import CycleSettings, ImageSettings
from image_updater.delivery import Change
from image_updater.errors import ImageUpdaterError, ManifestError
from image_updater.manifests import (
    FoundImage,
    ImageEdit,
    ManagerOptions,
    ManifestFile,
    could_hold_images,
    file_name_matcher,
)
from image_updater.policy import Decision, select
from image_updater.reference import canonical_name, is_valid_tag


@dataclass
class RepoIndex:
    """One checkout's references bound to configured images, and the parsed files that hold them."""

    root: Path
    files: dict[str, ManifestFile] = field(default_factory=dict)  # only files with a binding: the ones edits render
    bindings: list[Binding] = field(default_factory=list)
    skipped: list[FoundImage] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def images_in_use(self) -> dict[str, set[tuple[str | None, str | None]]]:
        """Configured image name → the (tag, digest) pairs the repo currently holds for it."""
        out: dict[str, set[tuple[str | None, str | None]]] = {}
        for b in self.bindings:
            ref = b.found.reference
            out.setdefault(b.image.name, set()).add((ref.tag, ref.digest) if ref else (None, None))
        return out


def manager_options(settings: CycleSettings) -> ManagerOptions:
    managers = settings.manifests.managers
    return ManagerOptions(
        key_paths=tuple((image.name, kp) for image in settings.images for kp in image.key_paths),
        custom_resources=tuple(settings.manifests.custom_resources),
        managers=frozenset(managers) if managers is not None else None,
        max_nodes=settings.manifests.max_nodes,
        parse_timeout=settings.manifests.parse_timeout,
    )


def iter_files(root: Path, paths: Sequence[str], options: ManagerOptions) -> Iterator[str]:
    """Relative paths of the files some enabled manager reads, under the configured paths, sorted, never
    inside ``.git`` (the managers' file patterns decide, as they decide the prefilter)."""
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


def bind(found: FoundImage, images: Sequence[ImageSettings]) -> ImageSettings | None:
    """Markers and key paths bind by name (``ns:name`` or ``name``); everything else by repository."""
    if found.policy is not None:
        wanted = found.policy
        exact = next((image for image in images if image.name == wanted), None)
        return exact or next((image for image in images if wanted.rpartition(":")[2] == image.name), None)
    if found.reference is None or not found.reference.name:
        return None
    name = canonical_name(found.reference.name)
    for image in images:
        if canonical_name(image.image) == name:
            return image
    return None


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


def _bind_all(found: Sequence[FoundImage], images: Sequence[ImageSettings]) -> list[Binding]:
    bindings = []
    for image_found in found:
        if not image_found.skipped and (image := bind(image_found, images)) is not None:
            bindings.append(Binding(image_found, image))
    return bindings


def index_repo(root: Path, settings: CycleSettings, cache: ParseCache | None = None) -> RepoIndex:
    """Parse every candidate file once (or take it from ``cache``) and bind what the managers find."""
    options = manager_options(settings)
    index = RepoIndex(root=root)
    previous = cache.entries if cache is not None and cache.options == options else {}
    current: dict[str, CachedFile] = {}
    top = str(root)
    for rel in iter_files(root, settings.git.paths, options):
        data = _read(os.path.join(top, rel))
        entry = previous.get(rel)
        if entry is None or entry.data != data:
            entry = _parse(rel, data, options)
        bindings = _bind_all(entry.found, settings.images)
        if bindings and entry.manifest is None:  # cached while it held no configured image: other settings
            entry = _parse(rel, data, options)
            bindings = _bind_all(entry.found, settings.images)
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
    return index


def _version(tag: str | None, digest: str | None) -> str:
    return (tag or "") + (f"@{digest}" if digest else "") or "(none)"


def decide(image: ImageSettings, scan: ImageScan, tag: str | None, digest: str | None) -> Decision:
    return select(image.policy, image, scan.tags or [], tag, scan.metadata, current_digest=digest)


def _name_edit(found: FoundImage, image: ImageSettings) -> str | None:
    """Flux markers write the policy's repository into whole-reference and ``:name`` fields; elsewhere
    the repository already is the image's (that is how it was bound) and is never rewritten."""
    if found.manager != "marker" or found.marker_field not in ("", "name"):
        return None
    current = found.reference.name if found.reference else ""
    if current and canonical_name(current) == canonical_name(image.image):
        return None
    return image.image


def plan_edits(index: RepoIndex, scans: Mapping[str, ImageScan]) -> CyclePlan:
    """Decide each bound reference and render every touched file in memory.

    An image with any error this cycle (its policy could not decide, a tag it chose is not valid, an
    edit of it failed to render) is withheld from every file, so a change is never half-applied.
    """
    plan = CyclePlan(bindings=list(index.bindings), skipped=list(index.skipped), errors=list(index.errors))
    per_file: dict[str, list[tuple[ImageEdit, Change]]] = {}
    for binding in index.bindings:
        image, found = binding.image, binding.found
        scan = scans.get(image.name)
        if scan is None or scan.tags is None:
            continue
        ref = found.reference
        tag, digest = (ref.tag, ref.digest) if ref else (None, None)
        name = _name_edit(found, image)
        if found.marker_field == "name":  # a name field holds no version: only a rename can change it
            if name is not None:
                change = Change(
                    image.name,
                    ref.name if ref else "(none)",
                    name,
                    found.path,
                    found.line,
                    image.policy.describe(),
                    "marker names the policy's repository",
                )
                per_file.setdefault(found.path, []).append((ImageEdit(found=found, tag=None, name=name), change))
            continue
        key = (image.name, _version(tag, digest))
        try:
            decision = plan.decisions.get(key) or decide(image, scan, tag, digest)
        except ImageUpdaterError as exc:
            plan.errors.append(f"image {image.name}: {exc}")
            plan.failed_images.add(image.name)
            continue
        plan.decisions[key] = decision
        if not decision.changed or decision.chosen is None:
            continue
        if not is_valid_tag(decision.chosen):
            plan.errors.append(f"image {image.name}: refusing to write {decision.chosen!r}: not a valid OCI tag")
            plan.failed_images.add(image.name)
            continue
        change = Change(
            image=image.name,
            old=_version(tag, digest),
            new=_version(decision.chosen, decision.digest),
            path=found.path,
            line=found.line,
            policy=image.policy.describe(),
            reason=decision.reason,
        )
        per_file.setdefault(found.path, []).append(
            (ImageEdit(found=found, tag=decision.chosen, digest=decision.digest, name=name), change)
        )
    plan.files = _render_all(index, per_file, plan)
    return plan


def _render_all(
    index: RepoIndex, per_file: Mapping[str, list[tuple[ImageEdit, Change]]], plan: CyclePlan
) -> list[FileEdit]:
    """Render every file; an image whose edit fails anywhere is withheld everywhere.

    A change is all or nothing per image: pushing the files that rendered while another file that
    holds the same image failed would leave the repo half-updated. Each file's first failure is
    reported, even when a later pass renders it without the withheld image.
    """
    withheld = set(plan.failed_images)
    first_error: dict[str, str] = {}
    while True:
        files: list[FileEdit] = []
        failed: set[str] = set()
        for rel, edits in sorted(per_file.items()):
            kept = [(e, c) for e, c in edits if c.image not in withheld]
            before = index.files[rel].data  # the bytes it was parsed from: no second read
            try:
                after = index.files[rel].render([e for e, _ in kept]) if kept else before
            except ImageUpdaterError as exc:
                failed.update(_culprits(index.files[rel], kept))
                first_error.setdefault(rel, str(exc))
                files.append(FileEdit(rel, before, None, tuple(c for _, c in kept), error=str(exc)))
                continue
            files.append(FileEdit(rel, before, after, tuple(c for _, c in kept)))
        if not failed - withheld:
            break
        withheld |= failed
    plan.errors.extend(first_error[rel] for rel in sorted(first_error))
    for image in sorted(withheld - plan.failed_images):
        plan.errors.append(f"image {image}: not updated anywhere because an edit of it failed (see above)")
    plan.failed_images |= withheld
    return files


def _culprits(parsed: ManifestFile, kept: Sequence[tuple[ImageEdit, Change]]) -> set[str]:
    """The images whose own edits fail in this file: one broken reference must not hold back its
    neighbours. If every image renders alone, the failure is in how their edits meet: all are held."""
    images = sorted({c.image for _, c in kept})
    if len(images) > 1:
        failing = set()
        for image in images:
            try:
                parsed.render([e for e, c in kept if c.image == image])
            except ImageUpdaterError:
                failing.add(image)
        if failing:
            return failing
    return set(images)


def write_edits(root: Path, plan: CyclePlan) -> list[Change]:
    """Write each fully rendered file atomically (same mode); return the changes written."""
    written: list[Change] = []
    for edit in plan.changed_files:
        assert edit.after is not None
        target = root / edit.path
        mode = target.stat().st_mode
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(edit.after)
            os.chmod(tmp, mode)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        written.extend(edit.changes)
    return written
