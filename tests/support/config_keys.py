"""Key paths of the settings model and of config.example.yaml, so the example cannot drift from the model.

A key path ignores list indices: ``registries.name`` is the ``name`` of any registry entry.
"""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

# `key:` at the start of a line, optionally after `- ` (a list entry) or `# ` (a commented-out key)
_KEY_LINE = re.compile(r"^(?P<indent>\s*)(?P<comment>#\s+)?(?P<dash>-\s+)?(?P<key>[a-z_]+):(?:\s|$)")


def _members(annotation: Any) -> list[Any]:
    """The types a field can hold: union members (None dropped) and list item types, unwrapped."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return [m for a in typing.get_args(annotation) if a is not type(None) for m in _members(a)]
    if typing.get_origin(annotation) in (list, tuple, set, frozenset):
        return [m for a in typing.get_args(annotation) if a is not Ellipsis for m in _members(a)]
    return [annotation]


def _models(annotation: Any) -> list[type[BaseModel]]:
    return [m for m in _members(annotation) if isinstance(m, type) and issubclass(m, BaseModel)]


def model_key_paths(model: type[BaseModel]) -> Iterator[str]:
    """Every key of ``model`` and of the models nested in its fields, as dotted paths.

    A model used in several places is documented once, where it is used closest to the top: a target's
    ``targets.git`` is the same model as ``git``, so its keys are those of ``git`` (shown there), and only
    the key ``targets.git`` itself must appear."""
    expanded: set[type[BaseModel]] = set()
    level: list[tuple[str, type[BaseModel]]] = [("", model)]
    while level:
        deeper: list[tuple[str, type[BaseModel]]] = []
        for prefix, current in level:
            if current in expanded:
                continue
            expanded.add(current)
            for name, info in current.model_fields.items():
                path = f"{prefix}{name}"
                yield path
                deeper.extend((f"{path}.", nested) for nested in _models(info.annotation))
        level = deeper


def field_at(model: type[BaseModel], path: tuple[str, ...]) -> FieldInfo:
    """The field a key path names (list indices already dropped)."""
    current: type[BaseModel] = model
    info: FieldInfo | None = None
    for depth, name in enumerate(path):
        info = current.model_fields[name]
        if depth < len(path) - 1:
            (current,) = _models(info.annotation)
    assert info is not None
    return info


def example_key_lines(text: str) -> Iterator[tuple[int, str, bool]]:
    """(line number, key path, commented) for every key line of a block-style YAML file.

    A commented-out key counts at the column of its text minus two (``# ``), so ``# password_env:`` under
    ``username:`` is a sibling of ``username`` and ``#   app_id:`` under ``# github_app:`` is its child.
    """
    stack: list[tuple[int, str]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        match = _KEY_LINE.match(line)
        if not match:
            continue
        column = match.start("key") - (2 if match["comment"] else 0)
        while stack and stack[-1][0] >= column:
            stack.pop()
        stack.append((column, match["key"]))
        yield number, ".".join(key for _, key in stack), bool(match["comment"])


def missing_from_example(model: type[BaseModel], text: str) -> list[str]:
    """Model keys that appear in the example neither as a key nor as a commented-out key."""
    present = {path for _, path, _ in example_key_lines(text)}
    return [path for path in model_key_paths(model) if path not in present]


_DEFAULT = re.compile(r"#.*?\bdefault: (?P<value>.+?)(?:\.\s|\.$|\s\(|$)")


def documented_default(line: str) -> str | None:
    """The value after ``default:`` in a line's comment, e.g. ``300s`` from ``# default: 300s. How …``."""
    match = _DEFAULT.search(line)
    return match["value"].strip() if match else None
