"""A node tree with exact character spans, composed from libyaml parse events.

Why not ruamel's composer: it is pure Python and needs 6 s for the 1.9 MB ``install.yaml`` of the
corpus; libyaml's event parser (through PyYAML) does it in 0.2 s and its marks are character
indices into the text, CRLF counted as two characters. Composing ourselves also lets us keep
aliases as their own nodes (so we know where each alias sits) and reject duplicate keys.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml

_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_RESOLVER = yaml.resolver.Resolver()


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
class Mapping:
    pairs: list[tuple[Node, Node]]
    start: int
    end: int
    line: int
    flow: bool
    anchor: str | None = None


@dataclass(eq=False)
class Sequence:
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


Node = Scalar | Mapping | Sequence | Alias


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


def compose(text: str) -> ComposedText:
    """Compose every document; duplicate keys are a syntax error, as for strict Kubernetes parsers."""
    out = ComposedText(documents=[])
    try:
        events = iter(yaml.parse(text, Loader=_LOADER))
        _Composer(events, out).run()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise YamlSyntaxError(f"not valid YAML: {exc.problem or exc.context}",
                              mark.line + 1 if mark else None) from exc
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(f"not valid YAML: {exc}", None) from exc
    except RecursionError as exc:
        raise YamlSyntaxError("nesting too deep", None) from exc
    return out


class _Composer:
    def __init__(self, events: Iterator[Any], out: ComposedText) -> None:
        self.events = events
        self.out = out
        self.anchors: dict[str, Node] = {}

    def run(self) -> None:
        for event in self.events:
            if isinstance(event, yaml.DocumentStartEvent):
                self.anchors = {}
                self.out.documents.append(self.node(next(self.events)))
                next(self.events)  # DocumentEndEvent

    def node(self, event: Any) -> Node:
        start, end, line = event.start_mark.index, event.end_mark.index, event.start_mark.line + 1
        if isinstance(event, yaml.AliasEvent):
            name: str = event.anchor or ""
            target = self.anchors.get(name)
            if target is None:
                raise YamlSyntaxError(f"alias *{name} names no anchor", line)
            alias = Alias(target, start, end, line, name)
            self.out.aliases.setdefault(id(target), []).append(alias)
            self.out.events.append(("*", start, name, ""))
            return alias
        result: Node
        if isinstance(event, yaml.ScalarEvent):
            style = event.style or ""
            tag = event.tag if event.tag and event.tag != "!" else _resolve(event.value, event.implicit)
            result = Scalar(event.value, style, start, end, line, tag, event.anchor)
            self.out.events.append(("=", start, event.value, tag))
        elif isinstance(event, yaml.SequenceStartEvent):
            self.out.events.append(("[", start, "", ""))
            seq = Sequence([], start, end, line, bool(event.flow_style), event.anchor)
            self.remember(event.anchor, seq)
            for item in self.children(yaml.SequenceEndEvent):
                seq.items.append(item)
            result = seq
        elif isinstance(event, yaml.MappingStartEvent):
            self.out.events.append(("{", start, "", ""))
            mapping = Mapping([], start, end, line, bool(event.flow_style), event.anchor)
            self.remember(event.anchor, mapping)
            seen: dict[str, int] = {}
            children = self.children(yaml.MappingEndEvent)
            for key in children:
                value = next(children)
                if isinstance(key, Scalar):
                    if key.value in seen:
                        raise YamlSyntaxError(
                            f"duplicate key {key.value!r} (first at line {seen[key.value]})", key.line)
                    seen[key.value] = key.line
                mapping.pairs.append((key, value))
            result = mapping
        else:
            raise YamlSyntaxError(f"unexpected {type(event).__name__}", line)
        self.remember(getattr(event, "anchor", None), result)
        return result

    def children(self, end_type: type) -> Iterator[Node]:
        for event in self.events:
            if isinstance(event, end_type):
                return
            yield self.node(event)

    def remember(self, anchor: str | None, node: Node) -> None:
        if anchor:
            self.anchors[anchor] = node


def get(mapping: Node | None, key: str) -> Node | None:
    """The value under ``key``, following aliases and ``<<`` merge keys as YAML 1.1 does."""
    for k, value in items(mapping):
        if k == key:
            return value
    return None


def items(mapping: Node | None) -> Iterator[tuple[str, Node]]:
    """(key, value) pairs with string keys; merged keys come after own keys and never override them."""
    node = deref(mapping)
    if not isinstance(node, Mapping):
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
        for source in sources.items if isinstance(sources, Sequence) else [merge]:
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
        if not isinstance(node, Mapping | Sequence) or id(node) in seen:
            continue
        seen.add(id(node))
        yield node, path
        if isinstance(node, Mapping):
            for key, value in reversed(node.pairs):
                key_text = key.value if isinstance(key, Scalar) else "?"
                stack.append((value, [*path, key_text]))
        else:
            for index in range(len(node.items) - 1, -1, -1):
                stack.append((node.items[index], [*path, f"[{index}]"]))
