"""Reading a checkout: the files the managers name, what they find in them, and which image governs each.

Nothing here talks to a registry or to git. ``index_repo`` reads the work tree once (reusing the parse
of every file whose bytes did not change, ``ParseCache``) and binds each reference to a configured
image by place and name; ``plan.py`` decides and renders from the index.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from image_updater.cycle.facts import FileFacts, digest_of, facts_of, known_facts, read_bytes
from image_updater.cycle.model import Binding, Finding
from image_updater.cycle.settings import ImageSettings, Target
from image_updater.errors import ImageUpdaterError, ManifestError
from image_updater.manifests import (
    FoundImage,
    ManagerOptions,
    ManifestFile,
    ManifestSettings,
    TextEdit,
    file_name_matcher,
)
from image_updater.reference import canonical_name


@dataclass
class RepoIndex:
    """One checkout's references bound to configured images, and the facts of the files that hold them.

    ``created``: files the sources will create, indexed from their bytes as if they were there.
    """

    root: Path
    options: ManagerOptions = field(default_factory=ManagerOptions)
    files: dict[str, FileFacts] = field(default_factory=dict)  # only files with a binding: the ones edits render
    bindings: list[Binding] = field(default_factory=list)
    skipped: list[FoundImage] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    created: dict[str, bytes] = field(default_factory=dict)
    #: Verified edits by (path, file digest, edits): ``ParseCache.renders``, shared across cycles.
    renders: dict[tuple[str, bytes, tuple[object, ...]], TextEdit | str] = field(default_factory=dict)
    #: Trees this index parsed, kept (up to ``KEPT_TREE_BYTES`` of YAML) for the plan made from it to
    #: render without parsing again; ``parse`` hands each out once and the plan drops the rest.
    trees: dict[str, ManifestFile] = field(default_factory=dict)

    def add(self, rel: str, facts: FileFacts, binder: Binder) -> bool:
        """Take in one file's facts; True when it holds a reference some image governs."""
        bindings = _bind_all(facts.found, binder, self.findings)
        if facts.error is not None:
            self.errors.append(facts.error)
        self.skipped.extend(f for f in facts.found if f.skipped)
        self.bindings.extend(bindings)
        if bindings:
            self.files[rel] = facts
        return bool(bindings)

    def read(self, rel: str, written: TextEdit | None = None) -> bytes:
        """The bytes ``rel`` was indexed from, also once it holds ``written`` (the plan printed after its
        delivery); a file that changed otherwise since is an error, never edited."""
        facts = self.files[rel]
        data = self.created[rel] if rel in self.created else read_bytes(os.path.join(self.root, rel))
        if digest_of(data) == facts.digest:
            return data
        original = written.revert(data) if written is not None else None
        if original is None or digest_of(original) != facts.digest:
            raise ManifestError("changed since this cycle read it; left for the next cycle", path=rel)
        return original

    def parse(self, rel: str) -> tuple[ManifestFile, dict[int, FoundImage]]:
        """``rel`` parsed again from the same bytes (or the tree indexing kept), and each indexed reference's
        twin in that parse."""
        data = self.read(rel)
        found = self.files[rel].found
        kept = self.trees.pop(rel, None)
        if kept is not None and kept.data == data:
            return kept, {id(image): image for image in found}
        parsed = ManifestFile.parse(rel, data, self.options)
        if tuple(parsed.images) != found:
            raise ManifestError("read differently a second time; left for the next cycle", path=rel)
        return parsed, {id(old): new for old, new in zip(found, parsed.images, strict=True)}

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


@dataclass
class ParseCache:
    """What the last index learnt per file, reused for every file whose bytes have not changed since.

    Parsing (compose plus every manager) is nearly all of an index's time, and between two cycles a
    config repo usually changes in a file or two; so a long-lived ``Updater`` keeps one of these.
    Entries are valid for the manager options they were parsed with; files gone from the tree are
    dropped at each index. ``renders`` keeps each verified edit by (file digest, edits) for the plan.
    """

    options: ManagerOptions | None = None
    entries: dict[str, FileFacts] = field(default_factory=dict)
    renders: dict[tuple[str, bytes, tuple[object, ...]], TextEdit | str] = field(default_factory=dict)
    #: The last index and what it was made for (the images, the files to create).
    last: RepoIndex | None = None
    last_key: tuple[object, ...] | None = None
    #: The commit whose tree ``entries`` describe, but for the files ``written`` since (the runner keeps
    #: both): an index of that tree need not walk or stat (``index_repo(tree_known=True)``).
    described: str | None = None
    written: set[str] = field(default_factory=set)
    #: What the last walk of the paths found (a path that holds nothing, a glob), reported again unwalked.
    path_findings: list[Finding] = field(default_factory=list)
    #: Facts learnt since the entries were last stored (``store.FactsStore``): a file parsed, one gone.
    dirty: bool = False


#: YAML bytes whose trees an index keeps for its plan to render from. A cold ``plan`` renders nearly every
#: file it indexed, and parsing each again took a third of its time (0.45 of 1.6 s at 200 files, 1.2 MB);
#: a tree costs some 25 times its YAML, so 1 MiB of YAML is about 25 MB, whatever the repository's size.
KEPT_TREE_BYTES = 1 << 20


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


def index_repo(
    root: Path,
    target: Target,
    manifests: ManifestSettings,
    cache: ParseCache | None = None,
    created: Mapping[str, bytes] | None = None,
    *,
    tree_known: bool = False,
) -> RepoIndex:
    """Parse every candidate file of ``target``'s paths once (or take its facts from ``cache``) and bind what
    the managers find to the target's images.

    ``created``: files the sources will create, indexed from these bytes while the work tree has none.
    When every file's facts and the settings are the ones of the last index, that index is returned as it
    is: a cycle in which nothing changed binds nothing again (20,000 references at 10,000 files).
    ``tree_known``: the work tree is the one ``cache`` describes but for the files written since
    (``ParseCache.described``): only those are looked at, with no walk and no ``stat`` of the rest (a
    webhook's cycle on 1,000 files: 16 ms less, ``bench/webhook_latency.py``).
    """
    options = manager_options(target.images, manifests)
    usable = cache is not None and cache.options == options
    previous = cache.entries if cache is not None and usable else {}
    current: dict[str, FileFacts] = {}
    walked: list[Finding] = []
    top = str(root)
    now = time.time()
    same = usable
    trees: dict[str, ManifestFile] = {}
    room = KEPT_TREE_BYTES
    recheck = cache.written if tree_known and cache is not None and usable else None  # None: walk
    files = list(previous) if recheck is not None else iter_files(root, target.git.paths, options, walked)
    for rel in files:
        last = previous.get(rel)
        if recheck is not None and last is not None and rel not in recheck:
            current[rel] = last
            continue
        facts, parsed = known_facts(os.path.join(top, rel), rel, last, options, now)
        current[rel] = facts
        if parsed is not None and len(parsed.data) <= room:
            trees[rel] = parsed
            room -= len(parsed.data)
        same = same and last is not None and facts.digest == last.digest  # a new signature is the same file
    if cache is not None:
        if cache.last is not None:
            cache.last.trees.clear()  # a plan that was never made leaves none behind
        if recheck is None:
            cache.path_findings = list(walked)
    findings = list(cache.path_findings) if cache is not None and recheck is not None else walked
    key = (tuple(target.images), dict(created or {}))
    if cache is not None and same and len(current) == len(previous) and cache.last_key == key:
        assert cache.last is not None
        cache.entries = current
        cache.written.clear()  # read again above: the entries now say what they hold
        return cache.last
    if cache is not None and not (same and len(current) == len(previous)):
        cache.dirty = True
    binder = Binder(target.images)
    index = RepoIndex(root=root, options=options, findings=findings)
    for rel, facts in current.items():
        if index.add(rel, facts, binder) and rel in trees:
            index.trees[rel] = trees[rel]
    del trees
    for rel, data in sorted((created or {}).items()):
        # A file the repository already has is read from it instead; a parse error in our own writer's
        # output would be a bug, reported like a broken file.
        absent = rel not in current and not os.path.lexists(os.path.join(top, rel))
        if absent and index.add(rel, facts_of(rel, data, options), binder):
            index.created[rel] = data
    index.findings.sort(key=lambda f: (f.path is not None, f.path or "", f.line or 0))  # the paths' own first
    if cache is None:
        return index
    index.renders = cache.renders
    cache.options, cache.entries, cache.last, cache.last_key = options, current, index, key
    cache.written.clear()
    # Verified edits of bytes no file holds any more are of no use again.
    held = {rel: facts.digest for rel, facts in current.items()}
    held.update((rel, index.files[rel].digest) for rel in index.created)
    stale = [k for k in cache.renders if held.get(k[0]) != k[1]]
    for k in stale:
        del cache.renders[k]
    return index
