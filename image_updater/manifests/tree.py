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
import time
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


class BudgetExceeded(YamlSyntaxError):
    """The file would cost more than its budget to read (nodes once aliases and merge keys are expanded, or
    time): it is reported and skipped, never expanded."""


@dataclass(frozen=True)
class Budget:
    """What reading one file may cost: ``nodes`` counted as if every alias were expanded (Go's yaml.v3 and
    PyYAML do expand them), and ``seconds`` of composing. ``None``: unlimited."""

    nodes: int | None = None
    seconds: float | None = None
    nodes_key: str = "manifests.max_nodes"
    seconds_key: str = "manifests.parse_timeout"


UNLIMITED = Budget()
_CLOCK_EVERY = 4096  # events between two looks at the clock


def compose(text: str, *, nodes: bool = True, budget: Budget = UNLIMITED) -> ComposedText:
    """Compose every document; duplicate keys are a syntax error, as for strict Kubernetes parsers.

    ``nodes=False`` records only the flat event list (what ``render`` compares), twice as fast.
    With nodes, an alias inside the collection it names (``a: &a {<<: *a}``) is an error, as is a file
    over ``budget`` (``BudgetExceeded``): a merge-key or alias bomb is refused before anything walks it.
    """
    out = ComposedText(documents=[])
    loader = _LOADER(text)
    try:
        _Composer(out, text, nodes, budget).run(loader.get_event)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise YamlSyntaxError(f"not valid YAML: {exc.problem or exc.context}", mark.line + 1 if mark else None) from exc
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(f"not valid YAML: {exc}", None) from exc
    finally:
        loader.dispose()
    return out


class _Frame:
    """An open collection while composing: where the next node goes, a mapping's keys so far, and the
    expanded-node count when it started (its own expanded size is the count at its end minus that)."""

    __slots__ = ("key", "node", "seen", "start")

    def __init__(self, node: MapNode | SeqNode, start: int) -> None:
        self.node = node
        self.key: Node | None = None
        self.seen: dict[str, int] = {}
        self.start = start


class _Composer:
    """Iterative (no recursion limit, no generator per level): the 1.9 MB file has 80 000 events."""

    def __init__(self, out: ComposedText, text: str, nodes: bool, budget: Budget) -> None:
        self.out = out
        self.text = text
        self.nodes = nodes
        self.budget = budget
        self.anchors: dict[str, Node] = {}
        self.stack: list[_Frame] = []
        self.open: set[int] = set()  # ids of the collections being composed: an alias to one is a cycle
        self.expanded = 0  # nodes so far, each alias counted as the nodes it stands for
        self.sizes: dict[int, int] = {}  # id(anchored node) -> its expanded size
        self.deadline = time.monotonic() + budget.seconds if budget.seconds is not None else None

    def run(self, get_event: Any) -> None:
        events, stack, nodes = self.out.events, self.stack, self.nodes
        countdown = _CLOCK_EVERY
        while True:
            event = get_event()
            cls = type(event)
            if event is None or cls is yaml.StreamEndEvent:
                self.check_nodes(None)
                return
            countdown -= 1
            if not countdown:
                countdown = _CLOCK_EVERY
                self.check_clock(event)
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
                stack.append(_Frame(collection, self.expanded - 1))
                self.open.add(id(collection))
            elif cls is yaml.MappingEndEvent or cls is yaml.SequenceEndEvent:
                frame = stack.pop()
                frame.node.end = event.end_mark.index
                self.open.discard(id(frame.node))
                if frame.node.anchor:
                    self.sizes[id(frame.node)] = self.expanded - frame.start
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
        if id(target) in self.open:
            raise YamlSyntaxError(
                f"alias *{name} is inside the collection it names (&{name}, line {target.line}): "
                "a recursive structure, which Kubernetes tools refuse",
                line,
            )
        alias = Alias(target, event.start_mark.index, event.end_mark.index, line, name)
        self.out.aliases.setdefault(id(target), []).append(alias)
        self.out.events.append(("*", alias.start, name, ""))
        self.attach(alias, None, self.sizes.get(id(target), 1))
        self.check_nodes(line)

    def check_nodes(self, line: int | None) -> None:
        limit = self.budget.nodes
        if limit is not None and self.expanded > limit:
            raise BudgetExceeded(
                f"aliases and merge keys expand this file to more than {limit} nodes ({self.budget.nodes_key}); "
                "not read further",
                line,
            )

    def check_clock(self, event: Any) -> None:
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise BudgetExceeded(
                f"reading this file took longer than {self.budget.seconds:g}s ({self.budget.seconds_key}); "
                "not read further",
                event.start_mark.line + 1,
            )

    def attach(self, node: Node, anchor: str | None, size: int = 1) -> None:
        self.expanded += size
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
    """(key, value) pairs with string keys; merged keys come after own keys and never override them.

    Merge sources are expanded depth-first in order (YAML 1.1's rule: the first occurrence wins), each
    source once, without recursion: a long chain of merges cannot exhaust the stack.
    """
    root = deref(mapping)
    if not isinstance(root, MapNode):
        return
    seen: set[str] = set()
    expanded: set[int] = set()
    pending: list[Iterator[Node]] = [iter((root,))]
    while pending:
        source = deref(next(pending[-1], None))
        if source is None:
            pending.pop()
            continue
        if not isinstance(source, MapNode) or id(source) in expanded:
            continue
        expanded.add(id(source))
        merges: list[Node] = []
        for key, value in source.pairs:
            if isinstance(key, Scalar):
                if key.value == "<<" and key.style == "":
                    merges.append(value)
                elif key.value not in seen:
                    seen.add(key.value)
                    yield key.value, value
        if merges:
            pending.append(iter([item for merge in merges for item in _merge_sources(merge)]))


def _merge_sources(merge: Node) -> list[Node]:
    """``<<: *a`` merges one mapping, ``<<: [*a, *b]`` several, in order."""
    target = deref(merge)
    return list(target.items) if isinstance(target, SeqNode) else [merge]


def string_value(node: Node | None) -> str | None:
    """The text of a scalar that reads as a string, else None."""
    node = deref(node)
    return node.value if isinstance(node, Scalar) and node.is_string else None


def walk(documents: list[Node]) -> Iterator[MapNode | SeqNode]:
    """Every collection once (aliases not followed twice), in document order.

    No key paths: no caller used them, and building one list per node was a third of the helm manager's
    time (it walks every document that holds the word "image"; 18,400 collections at 200 files).
    """
    seen: set[int] = set()
    stack: list[Node | None] = list(reversed(documents))
    while stack:
        node = deref(stack.pop())
        if not isinstance(node, MapNode | SeqNode) or id(node) in seen:
            continue
        seen.add(id(node))
        yield node
        if isinstance(node, MapNode):
            stack.extend(value for _, value in reversed(node.pairs))
        else:
            stack.extend(reversed(node.items))
