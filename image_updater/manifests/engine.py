"""The one edit engine: parse once, let the managers locate scalars, replace exactly their characters.

``render`` never trusts its own arithmetic: it re-parses the new text and compares every node
(kind, position, value, resolved type) with the original, shifted by the edits; anything else that
moved or changed meaning is a ``ManifestEditError`` and no bytes are produced.
"""

from __future__ import annotations

import bisect
import codecs
import itertools
import posixpath
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from image_updater.errors import InvalidReferenceError, ManifestEditError, ManifestParseError
from image_updater.manifests.locate import FileContext
from image_updater.manifests.managers import Manager, for_file
from image_updater.manifests.model import FoundImage, ImageEdit, Slot
from image_updater.manifests.scalars import render_scalar
from image_updater.manifests.settings import ManagerOptions
from image_updater.manifests.textedit import TextEdit
from image_updater.manifests.tree import UNLIMITED, Budget, ComposedText, Scalar, YamlSyntaxError
from image_updater.manifests.tree import compose as compose_text
from image_updater.reference import ImageReference, validate_digest, validate_tag

_STR = "tag:yaml.org,2002:str"
DEFAULT_OPTIONS = ManagerOptions()


@dataclass(frozen=True)
class _Change:
    start: int
    end: int  # == start for an insertion
    text: str
    line: int
    expected: tuple[tuple[int, str], ...]  # (offset in text, value) of the scalars this text holds
    insertion: bool = False


def decode(path: str, data: bytes) -> tuple[str, bool]:
    bom = data.startswith(codecs.BOM_UTF8)
    try:
        return data[3:].decode("utf-8") if bom else data.decode("utf-8"), bom
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ManifestParseError("not UTF-8 text", path=path, line=line) from exc


def _compose(
    path: str,
    text: str,
    error: type[ManifestParseError] | type[ManifestEditError],
    prefix: str = "",
    nodes: bool = True,
    budget: Budget = UNLIMITED,
) -> ComposedText:
    try:
        return compose_text(text, nodes=nodes, budget=budget)
    except YamlSyntaxError as exc:
        raise error(f"{prefix}{exc}", path=path, line=exc.line) from exc


class ManifestFile:
    """One config-repo file: the images found in it, and ``render`` to rewrite exactly their values."""

    def __init__(
        self,
        path: str,
        data: bytes,
        text: str,
        bom: bool,
        composed: ComposedText,
        image_aliases: set[int],
        images: list[FoundImage],
    ) -> None:
        self.path = path
        self.data = data
        self.text = text
        self.bom = bom
        self.images = images
        self._composed = composed
        self._image_aliases = image_aliases

    @classmethod
    def parse(cls, path: str, data: bytes, options: ManagerOptions = DEFAULT_OPTIONS) -> ManifestFile:
        """Parse and locate every image; a file over its budget (``options.max_nodes``, ``parse_timeout``)
        or nested too deeply is a ``ManifestParseError`` naming it, never a stall or a traceback."""
        deadline = time.monotonic() + options.parse_timeout
        text, bom = decode(path, data)
        budget = Budget(nodes=options.max_nodes, seconds=options.parse_timeout)
        try:
            ctx = FileContext(path, text, _compose(path, text, ManifestParseError, budget=budget), options)
            managers = for_file(posixpath.basename(path), options)
            images = _deduplicate(_within(deadline, options, path, managers, ctx))
        except RecursionError:
            raise ManifestParseError(
                "nested too deeply to read (RecursionError); not read further", path=path
            ) from None
        return cls(path, data, text, bom, ctx.composed, ctx.image_aliases, images)

    def render(self, edits: Sequence[ImageEdit]) -> bytes:
        return self.edit(edits).apply(self.data)

    def edit(self, edits: Sequence[ImageEdit]) -> TextEdit:
        """The verified character replacements ``edits`` make: kept instead of the new bytes, it is a few
        strings per file, and ``apply`` rebuilds the bytes from the file when they are needed."""
        changes = self._merge([change for edit in edits for change in self._plan(edit)])
        if not changes:
            return TextEdit(())
        self._check_anchors(changes)
        result = TextEdit(tuple((c.start, c.end, c.text, self.text[c.start : c.end]) for c in changes))
        self._verify(result.spliced(self.text), changes)
        return result

    # -- planning -------------------------------------------------------------------------------

    def _error(self, line: int, message: str) -> ManifestEditError:
        return ManifestEditError(message, path=self.path, line=line)

    def _plan(self, edit: ImageEdit) -> list[_Change]:
        found, locator = edit.found, edit.found.locator
        if not any(found is mine for mine in self.images):
            raise self._error(
                found.line, f"this {found.manager} image was found in another parse of {found.path}, not in this one"
            )
        if found.reference is None:
            raise self._error(found.line, f"cannot edit this image: {found.skipped}")
        ref = found.reference
        try:
            tag = validate_tag(edit.tag) if edit.tag is not None else None
            unchanged_digest = edit.digest is not None and edit.digest == ref.digest
            digest = validate_digest(edit.digest) if edit.digest and not unchanged_digest else edit.digest
            name = _bare_name(edit.name) if edit.name is not None else None
        except InvalidReferenceError as exc:
            raise self._error(found.line, f"refusing to write {ref.name}: {exc}") from exc
        tag_changed = tag is not None and tag != ref.tag
        if locator.full is not None:
            new_digest = digest if digest is not None else (None if tag_changed else ref.digest)
            reference = ImageReference(name or ref.name, tag if tag is not None else ref.tag, new_digest)
            return [self._replace(locator.full, locator.prefix + str(reference))]
        changes: list[_Change] = []
        if name is not None and name != ref.name:
            changes += self._set(found, "name", self._name_value(found, name))
        if tag is not None:
            changes += self._set(found, "tag", tag)
        if digest is not None:
            changes += self._set(found, "digest", digest)
        elif tag_changed and not locator.partial and locator.digest is not None and locator.digest.value:
            changes.append(self._replace(locator.digest, ""))  # blank, never delete: see docs
        return changes

    def _name_value(self, found: FoundImage, name: str) -> str:
        registry = found.locator.registry
        if registry is None or not registry.value:
            return name
        prefix = registry.value.rstrip("/") + "/"
        if not name.startswith(prefix):
            raise self._error(
                found.line,
                f"cannot write {name}: the registry is set separately to {registry.value!r} at line {registry.line}",
            )
        return name[len(prefix) :]

    def _set(self, found: FoundImage, role: str, value: str) -> list[_Change]:
        locator = found.locator
        existing: Slot | None = getattr(locator, role)
        if existing is not None:
            return [self._replace(existing, value)]
        key = locator.insertion.key_for(role) if locator.insertion is not None else None
        if locator.insertion is not None and key:
            point = locator.insertion
            head = f"{point.newline}{point.indent}{key}: "
            line = self.text.count("\n", 0, point.offset) + 2
            return [
                _Change(
                    point.offset,
                    point.offset,
                    head + render_scalar(value, ""),
                    line,
                    ((len(point.newline) + len(point.indent), key), (len(head), value)),
                    True,
                )
            ]
        if locator.partial:
            return []
        raise self._error(found.line, f"no {role} field to write {value!r} into, and none can be added here")

    def _replace(self, slot: Slot, value: str) -> _Change:
        text = render_scalar(value, slot.style)
        if slot.start == slot.end:  # an empty value right after ``key:`` needs its separating space
            text = " " + text
        return _Change(slot.start, slot.end, text, slot.line, ((len(text) - len(text.lstrip(" ")), value),))

    def _merge(self, changes: Iterable[_Change]) -> list[_Change]:
        """Drop no-op replacements, join insertions at one point, refuse two different writes to one value."""
        by_span: dict[tuple[int, int], _Change] = {}
        for change in changes:
            if not change.insertion and self.text[change.start : change.end] == change.text:
                continue
            span = (change.start, change.end)
            other = by_span.get(span)
            if other is None or other.text == change.text:
                by_span[span] = change
            elif change.insertion and other.insertion and change.text not in other.text:
                shifted = tuple((offset + len(other.text), value) for offset, value in change.expected)
                by_span[span] = _Change(
                    other.start, other.end, other.text + change.text, other.line, other.expected + shifted, True
                )
            else:
                raise self._error(change.line, f"two edits disagree on this value: {other.text!r} vs {change.text!r}")
        merged = sorted(by_span.values(), key=lambda c: (c.start, c.end))
        for before, after in itertools.pairwise(merged):
            if after.start < before.end:
                raise self._error(after.line, "overlapping edits")
        return merged

    # -- safety checks --------------------------------------------------------------------------

    def _check_anchors(self, changes: list[_Change]) -> None:
        """An anchored value is shared: refuse when an alias of it sits outside an image field."""
        anchored = {
            aliases[0].target.start: aliases
            for aliases in self._composed.aliases.values()
            if isinstance(aliases[0].target, Scalar)
        }
        for change in changes:
            aliases = anchored.get(change.start, [])
            for alias in aliases:
                if alias.start not in self._image_aliases:
                    raise self._error(
                        change.line,
                        f"the value is anchored (&{alias.anchor}) and alias "
                        f"*{alias.anchor} at line {alias.line} is not an image "
                        f"field: editing the anchor would change it too",
                    )

    def _verify(self, text: str, changes: list[_Change]) -> None:
        """Re-parse and compare every node with the original, shifted by the edits."""
        composed = _compose(self.path, text, ManifestEditError, "the edited file does not parse: ", nodes=False)
        old = self._composed.events
        starts = [event[1] for event in old]
        expected: list[tuple[str, int, str, str]] = []
        shift, position = 0, 0
        for change in sorted(changes, key=lambda c: c.start):
            cut = bisect.bisect_left(starts, change.start)
            if not change.insertion:  # the replaced scalar is the first scalar event at change.start
                while old[cut][0] != "=" or old[cut][1] != change.start:
                    cut += 1
            expected += [(kind, start + shift, value, tag) for kind, start, value, tag in old[position:cut]]
            expected += [("=", change.start + shift + at, value, _STR) for at, value in change.expected]
            position = cut if change.insertion else cut + 1
            shift += len(change.text) - (change.end - change.start)
        expected += [(kind, start + shift, value, tag) for kind, start, value, tag in old[position:]]
        actual = composed.events
        if expected == actual:
            return
        for want, got in zip(expected, actual, strict=False):
            if want != got:
                line = text.count("\n", 0, got[1]) + 1
                raise self._error(
                    line, f"edit did not read back: expected {want[2]!r} ({want[3]}), read {got[2]!r} ({got[3]})"
                )
        raise self._error(changes[0].line, "edit changed the structure of the file")


def _within(
    deadline: float, options: ManagerOptions, path: str, managers: Sequence[Manager], ctx: FileContext
) -> Iterator[FoundImage]:
    """What the managers find, as long as the file's time budget lasts (looked at after each finding)."""
    for manager in managers:
        for found in manager.find(ctx):
            if time.monotonic() > deadline:
                raise ManifestParseError(
                    f"reading this file took longer than {options.parse_timeout:g}s (manifests.parse_timeout); "
                    "not read further",
                    path=path,
                    line=found.line,
                )
            yield found


def _bare_name(text: str) -> str:
    reference = ImageReference.parse(text)
    if reference.tag is not None or reference.digest is not None:
        raise InvalidReferenceError(f"{text!r} is not a bare image name (the tag and digest go separately)")
    return reference.name


def _deduplicate(found: Iterable[FoundImage]) -> list[FoundImage]:
    """Keep the first manager's claim on each value (an aliased value counts once); report in file order."""
    claimed_starts: set[int] = set()
    claimed_lines: set[int] = set()
    kept: list[FoundImage] = []
    for item in found:
        slots = item.locator.slots()
        if item.reference is None:
            if item.line in claimed_lines:
                continue
        elif any(s.start in claimed_starts for s in slots):
            continue
        claimed_starts.update(s.start for s in slots)
        claimed_lines.add(item.line)
        claimed_lines.update(s.line for s in slots)
        kept.append(item)
    return sorted(kept, key=lambda f: (f.line, min((s.start for s in f.locator.slots()), default=0)))
