"""Reading a checkout for Kubernetes objects: every YAML document of the kinds the sources know, with lines.

Every ``*.yaml``/``*.yml``/``Kustomization`` file of the checkout is a candidate (not only ``git.paths``:
Flux reads its objects cluster-wide). A cheap byte scan skips files that cannot hold one; chart templates
(``templates/`` of a folder holding ``Chart.yaml``) are Go templates, not YAML. Parses are kept across
cycles for files whose bytes did not change. Objects are identified by kind, namespace and name; a missing
``metadata.namespace`` is taken from the kustomization listing the file (what kustomize sets), else from
the caller's default.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from image_updater.manifests import kustomize, markers
from image_updater.manifests.settings import DEFAULT_MAX_NODES, DEFAULT_PARSE_TIMEOUT
from image_updater.manifests.tree import (
    Alias,
    Budget,
    ComposedText,
    MapNode,
    Node,
    Scalar,
    SeqNode,
    YamlSyntaxError,
    compose,
    deref,
    get,
    items,
)
from image_updater.sources.model import Location

KUSTOMIZATION_NAMES = kustomize.FILE_NAMES
#: A file holding none of these holds no object the sources read (nor a kustomization that names one), nor a
#: Flux marker (the marker manager's own token).
TOKENS = (
    b"image.toolkit.fluxcd.io",
    b"source.toolkit.fluxcd.io",
    b"argoproj.io",
    b"kind: Namespace",
    *markers.TOKENS,
)
_YAML_SUFFIXES = (".yaml", ".yml")


def child(node: Node | None, *keys: str | int) -> Node | None:
    """The node at ``keys`` (mapping keys and list indices), or None."""
    for key in keys:
        node = deref(node)
        if isinstance(key, int):
            node = node.items[key] if isinstance(node, SeqNode) and key < len(node.items) else None
        elif isinstance(node, MapNode):
            node = get(node, key)  # merge keys (``<<: *defaults``) as the managers and Kubernetes read them
        else:
            return None
    return deref(node)


def key_line(node: Node | None, *keys: str | int) -> int | None:
    """The line of the last key of ``keys`` (of the item for an index), or None when it is absent."""
    parent = child(node, *keys[:-1]) if len(keys) > 1 else deref(node)
    last = keys[-1]
    if isinstance(last, int):
        item = child(parent, last)
        return item.line if item is not None else None
    if isinstance(parent, MapNode):
        for k, _ in parent.pairs:
            if isinstance(k, Scalar) and k.value == last:
                return k.line
    return None


def plain(node: Node | None) -> Any:
    """A node as Python data: mappings (string keys), lists, and scalars by their YAML type."""
    node = deref(node)
    if node is None:
        return None
    if isinstance(node, MapNode):
        # Own keys, then what ``<<`` merges in, keys as written: the managers' one reading of a mapping.
        return {key: plain(value) for key, value in items(node)}
    if isinstance(node, SeqNode):
        return [plain(item) for item in node.items]
    if isinstance(node, Alias):  # an alias of an alias: deref follows one level only
        return plain(node.target)
    kind = node.type_name
    if kind == "null":
        return None
    if kind == "bool":
        return node.value.lower() in ("true", "yes", "on", "y")
    if kind == "int":
        try:
            return int(node.value.replace("_", ""), 0)
        except ValueError:
            return node.value
    if kind == "float":
        try:
            return float(node.value)
        except ValueError:
            return node.value
    return node.value


def mapping(value: Any) -> dict[str, Any]:
    """``value`` when it is a mapping (of plain data), else an empty one: for optional sections."""
    return value if isinstance(value, dict) else {}


def text(node: Node | None) -> str | None:
    """A scalar's text whatever its type (``5m``, ``8.6``, ``true``), or None for a collection or nothing."""
    node = deref(node)
    return node.value if isinstance(node, Scalar) and not node.is_null else None


@dataclass
class Document:
    """One YAML document of the checkout that is a Kubernetes object (it has ``apiVersion`` and ``kind``)."""

    file: str
    node: MapNode
    api_version: str
    kind: str
    name: str
    written_namespace: str | None
    namespace: str = ""  # effective: as written, else the listing kustomization's, else the default
    labels: dict[str, str] = field(default_factory=dict)

    @property
    def group(self) -> str:
        return self.api_version.rpartition("/")[0]

    @property
    def version(self) -> str:
        return self.api_version.rpartition("/")[2]

    @property
    def ref(self) -> str:
        return f"{self.namespace}/{self.name}"

    @property
    def title(self) -> str:
        return f"{self.kind} {self.ref}"

    @property
    def location(self) -> Location:
        return Location(self.file, key_line(self.node, "apiVersion") or self.node.line)

    def at(self, *keys: str | int) -> Location:
        """Where ``keys`` are written (the nearest existing parent key when the last is absent)."""
        for depth in range(len(keys), 0, -1):
            line = key_line(self.node, *keys[:depth])
            if line is not None:
                return Location(self.file, line)
        return self.location

    def get(self, *keys: str | int) -> Node | None:
        return child(self.node, *keys)

    def value(self, *keys: str | int) -> Any:
        return plain(child(self.node, *keys))


@dataclass
class _Parsed:
    data: bytes
    composed: ComposedText | None
    error: str | None = None


@dataclass
class Checkout:
    """One read of a work tree: its candidate files parsed once, plus file access relative to its root."""

    root: Path
    documents: list[Document] = field(default_factory=list)
    unreadable: list[tuple[str, int | None, str]] = field(default_factory=list)  # (file, line, why) of objects
    files: set[str] = field(default_factory=set)  # every candidate file, relative
    _parsed: dict[str, _Parsed] = field(default_factory=dict)
    patches: set[str] = field(default_factory=set)

    def exists(self, rel: str) -> bool:
        return (self.root / rel).is_file()

    def read(self, rel: str) -> bytes | None:
        known = self._parsed.get(rel)
        if known is not None:
            return known.data
        try:
            return (self.root / rel).read_bytes()
        except OSError:
            return None

    def composed(self, rel: str) -> ComposedText | None:
        """The parse of any file of the checkout (cached), or None when it is absent or not YAML."""
        known = self._parsed.get(rel)
        if known is None:
            data = self.read(rel)
            if data is None:
                return None
            known = _parse(data)
            self._parsed[rel] = known
        return known.composed

    def kustomization(self, folder: str) -> str | None:
        """The kustomization file of ``folder``: the first of :data:`KUSTOMIZATION_NAMES` there, or None."""
        return next(
            (posixpath.join(folder, n) for n in KUSTOMIZATION_NAMES if self.exists(posixpath.join(folder, n))), None
        )

    def of_kind(self, group: str, kind: str) -> list[Document]:
        return [d for d in self.documents if d.group == group and d.kind == kind]


#: What reading one file may cost, as for the managers (``manifests.max_nodes``, ``parse_timeout``): a merge-key
#: bomb among the files that name Flux or Argo CD is refused by path, never expanded (``plain`` expands aliases).
_BUDGET = Budget(nodes=DEFAULT_MAX_NODES, seconds=DEFAULT_PARSE_TIMEOUT)


def _parse(data: bytes) -> _Parsed:
    try:
        return _Parsed(data, compose(data.decode("utf-8-sig"), budget=_BUDGET))
    except UnicodeDecodeError:
        return _Parsed(data, None, "not UTF-8 text")
    except YamlSyntaxError as exc:
        return _Parsed(data, None, str(exc))


class Reader:
    """Reads checkouts, keeping each file's parse while its bytes stay the same (one per target)."""

    def __init__(self) -> None:
        self._cache: dict[str, _Parsed] = {}

    def read(self, root: Path, default_namespace: str = "default") -> Checkout:
        checkout = Checkout(root)
        cache: dict[str, _Parsed] = {}
        for rel in sorted(_candidates(root)):
            checkout.files.add(rel)
            try:
                data = (root / rel).read_bytes()
            except OSError:
                continue
            known = self._cache.get(rel)
            if known is None or known.data != data:
                if not (any(token in data for token in TOKENS) or posixpath.basename(rel) in KUSTOMIZATION_NAMES):
                    continue
                known = _parse(data)
            cache[rel] = known
        self._cache = cache
        checkout._parsed = dict(cache)
        namespaces, patches = _kustomize_namespaces(checkout)
        checkout.patches = patches
        for rel, parsed in cache.items():
            if parsed.composed is None:
                if any(t in parsed.data for t in (b"image.toolkit.fluxcd.io", b"argocd-image-updater.argoproj.io")):
                    checkout.unreadable.append((rel, None, parsed.error or "not YAML"))
                continue
            for node in parsed.composed.documents:
                document = _document(rel, node)
                if document is None:
                    continue
                document.namespace = document.written_namespace or namespaces.get(rel) or default_namespace
                checkout.documents.append(document)
        return checkout


def _document(rel: str, node: Node) -> Document | None:
    node = deref(node)  # type: ignore[assignment]
    if not isinstance(node, MapNode):
        return None
    api_version, kind = text(child(node, "apiVersion")), text(child(node, "kind"))
    if not api_version or not kind:
        return None
    labels = plain(child(node, "metadata", "labels"))
    return Document(
        rel,
        node,
        api_version,
        kind,
        text(child(node, "metadata", "name")) or "",
        text(child(node, "metadata", "namespace")),
        labels={str(k): str(v) for k, v in labels.items()} if isinstance(labels, dict) else {},
    )


def _candidates(root: Path) -> Iterator[str]:
    """Relative paths of the YAML files of the work tree, never in ``.git``, never chart templates."""
    top = str(root)
    for folder, dirs, files in os.walk(top):
        dirs[:] = sorted(d for d in dirs if d != ".git")
        rel_folder = os.path.relpath(folder, top).replace(os.sep, "/")
        rel_folder = "" if rel_folder == "." else rel_folder
        if "Chart.yaml" in files and "templates" in dirs:
            dirs.remove("templates")
        for name in files:
            if name.endswith(_YAML_SUFFIXES) or name == "Kustomization":
                path = os.path.join(folder, name)
                if not os.path.islink(path):
                    yield f"{rel_folder}/{name}" if rel_folder else name


def _kustomize_namespaces(checkout: Checkout) -> tuple[dict[str, str], set[str]]:
    """file → the namespace a kustomization listing it sets (the outermost wins, as kustomize applies it
    last), and the files kustomizations use as patches (their documents are not objects)."""
    found: dict[str, str] = {}
    patches: set[str] = set()
    listing: dict[str, tuple[str | None, list[str]]] = {}
    for rel in sorted(checkout.files):
        if posixpath.basename(rel) not in KUSTOMIZATION_NAMES:
            continue
        composed = checkout.composed(rel)
        if composed is None or not composed.documents:
            continue
        document = composed.documents[0]
        folder = posixpath.dirname(rel)
        resources = [
            posixpath.normpath(posixpath.join(folder, str(item)))
            for key in ("resources", "bases", "components")
            for item in plain(child(document, key)) or []
            if isinstance(item, str) and "://" not in item
        ]
        for key in ("patches", "patchesStrategicMerge", "patchesJson6902"):
            for item in plain(child(document, key)) or []:
                path = item.get("path") if isinstance(item, dict) else item
                if isinstance(path, str):
                    patches.add(posixpath.normpath(posixpath.join(folder, path)))
        listing[folder or "."] = (text(child(document, "namespace")), resources)

    def assign(folder: str, namespace: str, seen: set[str]) -> None:
        if folder in seen:
            return
        seen.add(folder)
        for resource in listing.get(folder, (None, []))[1]:
            if resource.endswith(_YAML_SUFFIXES):
                found.setdefault(resource, namespace)
            else:
                assign(resource, namespace, seen)

    # outermost first: a folder no other kustomization lists
    listed = {r for _, resources in listing.values() for r in resources}
    for folder in sorted(listing, key=lambda f: (f in listed, f)):
        namespace = listing[folder][0]
        if namespace:
            assign(folder, namespace, set())
    return found, patches


__all__ = ["KUSTOMIZATION_NAMES", "Checkout", "Document", "Reader", "child", "key_line", "mapping", "plain", "text"]
