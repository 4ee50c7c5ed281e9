"""A small Dockerfile reader for checks that need no Docker engine.

It follows the Dockerfile grammar as far as the checks need: comments and parser directives,
line continuations, instructions split by stage, JSON (exec) form versus shell form. Anything
more (variable expansion, heredocs) is deliberately left out; the project's Dockerfile uses none.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Instruction:
    keyword: str  # upper-cased: FROM, RUN, COPY, ...
    arguments: str  # continuation lines joined, comment lines inside removed
    line: int  # 1-based line of the keyword

    def exec_form(self) -> list[str] | None:
        """The JSON array of an exec-form instruction, None for shell form."""
        text = self.arguments.strip()
        if not text.startswith("["):
            return None
        parsed = json.loads(text)
        assert isinstance(parsed, list) and all(isinstance(item, str) for item in parsed), self
        return parsed


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[Instruction] = field(default_factory=list)

    def of(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]


@dataclass
class Dockerfile:
    global_args: list[Instruction]  # ARGs before the first FROM
    stages: list[Stage]
    comments: list[str]

    @property
    def final(self) -> Stage:
        return self.stages[-1]

    def stage(self, name: str) -> Stage:
        return next(s for s in self.stages if s.name == name)


_FROM = re.compile(r"^(?:--platform=\S+\s+)?(?P<base>\S+)(?:\s+AS\s+(?P<name>\S+))?\s*$", re.IGNORECASE)


def parse(path: Path) -> Dockerfile:
    instructions: list[Instruction] = []
    comments: list[str] = []
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        stripped = raw.strip()
        if stripped.startswith("#"):
            comments.append(stripped)
            continue  # also inside a continuation: Docker drops such lines
        if not pending and not stripped:
            continue
        if not pending:
            start = number
        if stripped.endswith("\\"):
            pending.append(stripped[:-1])
            continue
        pending.append(stripped)
        keyword, _, rest = " ".join(pending).partition(" ")
        instructions.append(Instruction(keyword.upper(), " ".join(rest.split()), start))
        pending = []
    assert not pending, f"{path}: line continuation runs past the end of the file"

    global_args: list[Instruction] = []
    stages: list[Stage] = []
    for instruction in instructions:
        if instruction.keyword == "FROM":
            match = _FROM.match(instruction.arguments)
            assert match, f"{path}:{instruction.line}: unreadable FROM {instruction.arguments!r}"
            stages.append(Stage(match["base"], match["name"]))
        elif not stages:
            assert instruction.keyword == "ARG", f"{path}:{instruction.line}: {instruction.keyword} before FROM"
            global_args.append(instruction)
        else:
            stages[-1].instructions.append(instruction)
    return Dockerfile(global_args, stages, comments)
