"""A node tree with exact character spans, composed from libyaml parse events.

Why not ruamel's composer: it is pure Python and needs 6 s for the 1.9 MB ``install.yaml`` of the
corpus; libyaml's event parser (through PyYAML) does it in 0.2 s and its marks are character
indices into the text, CRLF counted as two characters. (ruamel.yaml.clib's older bundled libyaml
was tried too: it rejects flow values such as ``{image: nginx:1.0}``.) Composing ourselves also lets us keep
aliases as their own nodes (so we know where each alias sits) and reject duplicate keys.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml

_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_RESOLVER = yaml.resolver.Resolver()
# Node properties before a scalar's value: ``&anchor``, ``!tag``, blanks, comment lines.
_PROPERTIES = re.compile(r"(?:[&!][^ \t\r\n]*|[ \t]+|#[^\r\n]*|\r?\n)*")  # matches "" at worst


class YamlSyntaxError(Exception):
    """Raised with a 1-based line; the engine turns it into ManifestParseError naming the file."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.line = line


@dataclass(eq=False)
class Scalar:
    value: str
    style: str  # "" plain, "'", '"', "|", ">"
    start: int
    end: int
    line: int  # 1-based
    tag: str  # resolved tag, e.g. "tag:yaml.org,2002:str"
    anchor: str | None = None

    @property
    def type_name(self) -> str:
        return self.tag.rsplit(":", 1)[-1]

    @property
    def is_string(self) -> bool:
        return self.tag == "tag:yaml.org,2002:str"

    @property
    def is_null(self) -> bool:
        return self.tag == "tag:yaml.org,2002:null"


@dataclass(eq=False)
class MapNode:
    pairs: list[tuple[Node, Node]]
    start: int
    end: int
    line: int
    flow: bool
    anchor: str | None = None


@dataclass(eq=False)
class SeqNode:
    items: list[Node]
    start: int
    end: int
    line: int
    flow: bool
    anchor: str | None = None


@dataclass(eq=False)
class Alias:
    target: Node
    start: int
    end: int
    line: int
    anchor: str


Node = Scalar | MapNode | SeqNode | Alias


@dataclass
class ComposedText:
    """Documents plus a flat record of every node event, which render compares before and after."""

    documents: list[Node]
    events: list[tuple[str, int, str, str]] = field(default_factory=list)  # (kind, start, value, tag)
    aliases: dict[int, list[Alias]] = field(default_factory=dict)  # id(anchored node) -> its aliases


@functools.lru_cache(maxsize=4096)
def _resolve(value: str, implicit: tuple[bool, bool]) -> str:
    if not implicit[0]:
        return "tag:yaml.org,2002:str"  # quoted or block: always a string
    tag: str = _RESOLVER.resolve(yaml.ScalarNode, value, implicit)  # type: ignore[no-untyped-call]
    return tag


def deref(node: Node | None) -> Node | None:
    return node.target if isinstance(node, Alias) else node


def compose(text: str, *, nodes: bool = True) -> ComposedText:
    """Compose every document; duplicate keys are a syntax error, as for strict Kubernetes parsers.

    ``nodes=False`` records only the flat event list (what ``render`` compares), twice as fast.
    """
    out = ComposedText(documents=[])
    loader = _LOADER(text)
    try:
        _Composer(out, text, nodes).run(loader.get_event)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise YamlSyntaxError(f"not valid YAML: {exc.problem or exc.context}", mark.line + 1 if mark else None) from exc
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(f"not valid YAML: {exc}", None) from exc
    finally:
        loader.dispose()
    return out


class _Frame:
    """An open collection while composing: where the next node goes, and a mapping's keys so far."""

    __slots__ = ("key", "node", "seen")

    def __init__(self, node: MapNode | SeqNode) -> None:
        self.node = node
        self.key: Node | None = None
        self.seen: dict[str, int] = {}


class _Composer:
    """Iterative (no recursion limit, no generator per level): the 1.9 MB file has 80 000 events."""

    def __init__(self, out: ComposedText, text: str, nodes: bool) -> None:
        self.out = out
        self.text = text
        self.nodes = nodes
        self.anchors: dict[str, Node] = {}
        self.stack: list[_Frame] = []

    def run(self, get_event: Any) -> None:
        events, stack, nodes = self.out.events, self.stack, self.nodes
        while True:
            event = get_event()
            cls = type(event)
            if event is None or cls is yaml.StreamEndEvent:
                return
            if cls is yaml.ScalarEvent:
                start = event.start_mark.index
                if event.anchor or (event.tag and not event.implicit[0] and not event.implicit[1]):
                    start = _PROPERTIES.match(self.text, start).end()  # type: ignore[union-attr]
                tag = event.tag if event.tag and event.tag != "!" else _resolve(event.value, event.implicit)
                events.append(("=", start, event.value, tag))
                if nodes:
                    self.attach(
                        Scalar(
                            event.value,
                            event.style or "",
                            start,
                            event.end_mark.index,
                            event.start_mark.line + 1,
                            tag,
                            event.anchor,
                        ),
                        event.anchor,
                    )
            elif not nodes:
                if cls is yaml.MappingStartEvent or cls is yaml.SequenceStartEvent:
                    kind = "{" if cls is yaml.MappingStartEvent else "["
                    events.append((kind, event.start_mark.index, "", ""))
                elif cls is yaml.AliasEvent:
                    events.append(("*", event.start_mark.index, event.anchor or "", ""))
            elif cls is yaml.MappingStartEvent or cls is yaml.SequenceStartEvent:
                start, line, flow = event.start_mark.index, event.start_mark.line + 1, bool(event.flow_style)
                collection: MapNode | SeqNode
                if cls is yaml.MappingStartEvent:
                    events.append(("{", start, "", ""))
                    collection = MapNode([], start, start, line, flow, event.anchor)
                else:
                    events.append(("[", start, "", ""))
                    collection = SeqNode([], start, start, line, flow, event.anchor)
                self.attach(collection, event.anchor)
                stack.append(_Frame(collection))
            elif cls is yaml.MappingEndEvent or cls is yaml.SequenceEndEvent:
                stack.pop().node.end = event.end_mark.index
            elif cls is yaml.AliasEvent:
                self.alias(event)
            elif cls is yaml.DocumentStartEvent:
                self.anchors = {}

    def alias(self, event: Any) -> None:
        name: str = event.anchor or ""
        line = event.start_mark.line + 1
        target = self.anchors.get(name)
        if target is None:
            raise YamlSyntaxError(f"alias *{name} names no anchor", line)
        alias = Alias(target, event.start_mark.index, event.end_mark.index, line, name)
        self.out.aliases.setdefault(id(target), []).append(alias)
        self.out.events.append(("*", alias.start, name, ""))
        self.attach(alias, None)

    def attach(self, node: Node, anchor: str | None) -> None:
        if anchor:
            self.anchors[anchor] = node
        if not self.stack:
            self.out.documents.append(node)
            return
        frame = self.stack[-1]
        parent = frame.node
        if isinstance(parent, SeqNode):
            parent.items.append(node)
        elif frame.key is None:
            frame.key = node
            if isinstance(node, Scalar):
                if node.value in frame.seen:
                    first = frame.seen[node.value]
                    raise YamlSyntaxError(f"duplicate key {node.value!r} (first at line {first})", node.line)
                frame.seen[node.value] = node.line
        else:
            parent.pairs.append((frame.key, node))
            frame.key = None


def get(mapping: Node | None, key: str) -> Node | None:
    """The value under ``key``, following aliases and ``<<`` merge keys as YAML 1.1 does."""
    for k, value in items(mapping):
        if k == key:
            return value
    return None


def items(mapping: Node | None) -> Iterator[tuple[str, Node]]:
    """(key, value) pairs with string keys; merged keys come after own keys and never override them."""
    node = deref(mapping)
    if not isinstance(node, MapNode):
        return
    seen: set[str] = set()
    merges: list[Node] = []
    for key, value in node.pairs:
        if isinstance(key, Scalar):
            if key.value == "<<" and key.style == "":
                merges.append(value)
                continue
            seen.add(key.value)
            yield key.value, value
    for merge in merges:
        sources = deref(merge)
        for source in sources.items if isinstance(sources, SeqNode) else [merge]:
            for key_text, value in items(source):
                if key_text not in seen:
                    seen.add(key_text)
                    yield key_text, value


def string_value(node: Node | None) -> str | None:
    """The text of a scalar that reads as a string, else None."""
    node = deref(node)
    return node.value if isinstance(node, Scalar) and node.is_string else None


def walk(documents: list[Node]) -> Iterator[tuple[Node, list[str]]]:
    """Every collection once (aliases not followed twice), with the key path that reached it."""
    seen: set[int] = set()
    stack: list[tuple[Node, list[str]]] = [(doc, []) for doc in reversed(documents)]
    while stack:
        node, path = stack.pop()
        node = deref(node)  # type: ignore[assignment]
        if not isinstance(node, MapNode | SeqNode) or id(node) in seen:
            continue
        seen.add(id(node))
        yield node, path
        if isinstance(node, MapNode):
            for key, value in reversed(node.pairs):
                key_text = key.value if isinstance(key, Scalar) else "?"
                stack.append((value, [*path, key_text]))
        else:
            for index in range(len(node.items) - 1, -1, -1):
                stack.append((node.items[index], [*path, f"[{index}]"]))
