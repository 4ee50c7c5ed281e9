"""The parsed form of a template: what the parser builds and the evaluator walks, kept apart from both so
neither depends on the other's internals."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Operand:
    kind: str  # dot, field, var, literal, ident, pipeline
    line: int
    name: str = ""  # variable or function name
    chain: tuple[str, ...] = ()
    value: Any = None
    pipeline: Pipeline | None = None


@dataclass
class Pipeline:
    line: int
    declare: tuple[str, ...] = ()
    commands: list[list[Operand]] = field(default_factory=list)


@dataclass
class Text:
    text: str


@dataclass
class Action:
    pipeline: Pipeline


@dataclass
class Control:
    keyword: str  # if, range, with
    pipeline: Pipeline
    body: list[Node] = field(default_factory=list)
    orelse: list[Node] = field(default_factory=list)


Node = Text | Action | Control
