"""Flux commit messages: an ImageUpdateAutomation's ``messageTemplate`` over Flux's own ``TemplateData``.

The data is rebuilt from the files a commit changes, before and after, the way Flux's setters report
them (``internal/update/result.go``): per file (relative to ``update.path``), per object (the document's
apiVersion, kind, name and namespace as written), each changed marked field's old and new text and its
marker. Go ranges over maps in sorted key order; Flux's ``Changes()``/``Objects()`` iterate maps at random,
so their order is defined here: files by name, objects by (APIVersion, Kind, Name, Namespace), changes in
document order, each once.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from image_updater.delivery.gotemplate import GoTemplate, GoTemplateError, Stringer, parse
from image_updater.errors import ImageUpdaterError
from image_updater.manifests import FoundImage
from image_updater.manifests.tree import MapNode, Node, compose, deref, get, string_value
from image_updater.sources.flux.objects import markers

#: ``internal/source/source.go`` defaultMessageTemplate, exactly (no trailing newline).
DEFAULT_MESSAGE = "Update from image update automation"
_REMOVED = {".Updated": "template uses removed '.Updated' field. Please use '.Changed' instead"}


@dataclass(frozen=True)
class NamespacedName(Stringer):
    """``types.NamespacedName``: prints as ``namespace/name``."""

    Namespace: str
    Name: str

    def go_string(self) -> str:
        return f"{self.Namespace}/{self.Name}"


@dataclass(frozen=True, order=True)
class ObjectIdentifier:
    """kyaml's ``ResourceIdentifier``; field order is Go's struct order (what map keys sort by)."""

    APIVersion: str
    Kind: str
    Name: str
    Namespace: str


@dataclass(frozen=True)
class Change:
    OldValue: str
    NewValue: str
    Setter: str


@dataclass
class Result:
    """``update.Result``: ``FileChanges`` is data, ``Changes`` and ``Objects`` are methods."""

    FileChanges: dict[str, dict[ObjectIdentifier, list[Change]]] = field(default_factory=dict)

    def Changes(self) -> list[Change]:  # the Go method's name
        seen: list[Change] = []
        for file in sorted(self.FileChanges):
            for obj in sorted(self.FileChanges[file]):
                for change in self.FileChanges[file][obj]:
                    if change not in seen:
                        seen.append(change)
        return seen

    def Objects(self) -> dict[ObjectIdentifier, list[Change]]:  # the Go method's name
        merged: dict[ObjectIdentifier, list[Change]] = {}
        for file in sorted(self.FileChanges):
            for obj, changes in sorted(self.FileChanges[file].items()):
                merged.setdefault(obj, []).extend(changes)
        return merged


@dataclass(frozen=True)
class TemplateData:
    AutomationObject: NamespacedName
    Changed: Result
    Values: Mapping[str, str]

    @classmethod
    def of(cls, namespace: str, name: str, changed: Result, values: Mapping[str, Any]) -> TemplateData:
        """What Flux hands the template: the automation, the changes, ``messageTemplateValues`` as strings."""
        return cls(NamespacedName(namespace, name), changed, {str(k): str(v) for k, v in values.items()})


def check_template(source: str, namespace: str, name: str, values: Mapping[str, Any]) -> GoTemplate:
    """Parse a messageTemplate and render it once over sample data: every unsupported construct, and every
    value it would print that Go formats with ``%v``, is a :class:`GoTemplateError` now, not at commit time."""
    for text, message in _REMOVED.items():
        if text in source:
            line = source[: source.index(text)].count("\n") + 1
            raise GoTemplateError(message, line)
    template = parse(source)
    sample = Result(
        {
            "deployment.yaml": {
                ObjectIdentifier("apps/v1", "Deployment", "app", ""): [
                    Change("registry.example/app:1.0.0", "registry.example/app:1.0.1", f"{namespace}:{name}")
                ]
            }
        }
    )
    template.render(TemplateData.of(namespace, name, sample, values))
    return template


@dataclass(frozen=True)
class FluxMessage:
    """A derived target's commit message: its template rendered over the changed files' Flux data."""

    template: GoTemplate
    namespace: str
    name: str
    update_path: str
    values: Mapping[str, Any]

    def __call__(self, files: Sequence[tuple[str, bytes, bytes]]) -> str:
        try:
            data = TemplateData.of(self.namespace, self.name, changed(files, self.update_path), self.values)
            return self.template.render(data)
        except GoTemplateError as exc:
            raise ImageUpdaterError(
                f"ImageUpdateAutomation {self.namespace}/{self.name}: messageTemplate line {exc.line}: {exc}"
            ) from None


def changed(files: Sequence[tuple[str, bytes, bytes]], update_path: str) -> Result:
    """What Flux's setters would report for these (path, before, after) files."""
    result = Result()
    for path, before, after in sorted(files):
        old = {_key(f): f for f in markers(path, before)}
        text = after.decode("utf-8-sig")
        documents = compose(text).documents
        per_object: dict[ObjectIdentifier, list[Change]] = {}
        for found in markers(path, after):
            previous = old.get(_key(found))
            if previous is None:
                continue
            was, now = _value(previous), _value(found)
            if was == now:
                continue
            setter = (found.policy or "") + (f":{found.marker_field}" if found.marker_field else "")
            obj = _object(documents, found)
            per_object.setdefault(obj, []).append(Change(was, now, setter))
        if per_object:
            rel = path if update_path in ("", ".") else posixpath.relpath(path, update_path)
            result.FileChanges[rel] = per_object
    return result


def _key(found: FoundImage) -> tuple[int, str | None, str]:
    return (found.line, found.policy, found.marker_field)


def _value(found: FoundImage) -> str:
    locator = found.locator
    slot = locator.full if found.marker_field == "" else getattr(locator, found.marker_field, None)
    return slot.value if slot is not None else ""


def _object(documents: Sequence[Node], found: FoundImage) -> ObjectIdentifier:
    slots = found.locator.slots()
    offset = slots[0].start if slots else 0
    for node in documents:
        document = deref(node)
        if isinstance(document, MapNode) and document.start <= offset <= document.end:
            metadata = get(document, "metadata")
            return ObjectIdentifier(
                string_value(get(document, "apiVersion")) or "",
                string_value(get(document, "kind")) or "",
                string_value(get(metadata, "name")) or "",
                string_value(get(metadata, "namespace")) or "",
            )
    return ObjectIdentifier("", "", "", "")


__all__ = ["DEFAULT_MESSAGE", "FluxMessage", "ObjectIdentifier", "TemplateData", "changed", "check_template"]
