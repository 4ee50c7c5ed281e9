"""The settings file read with libyaml when that reads it exactly as ruamel.yaml's YAML 1.2 would.

ruamel.yaml's round-trip load of the 200-image settings file of ``bench/renovate.py`` took 0.114 s of
``plan``'s ≈ 1.8 s; libyaml (PyYAML's C parser) composes the same file in 0.007 s. Its resolver is YAML
1.1's, though (``yes``, ``0o17``, ``1_000`` and ``1:20`` read differently), so every plain scalar is
typed here by ruamel's own 1.2 resolver, and the file is left to ruamel (``None``) whenever the two could
differ: a scalar 1.2 reads as anything but a string, null, a boolean, a plain decimal integer or a plain
decimal fraction; an explicit tag; a merge key; a duplicate key; a ``%YAML`` directive; anything libyaml
cannot parse.
ruamel then reads it and names the file, line and key of any mistake, as before.
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from ruamel.yaml.nodes import ScalarNode as RuamelScalarNode
from ruamel.yaml.resolver import VersionedResolver

_YAML12 = VersionedResolver(version=(1, 2))
_TAG = "tag:yaml.org,2002:"
_STR, _NULL, _BOOL, _INT, _FLOAT = (f"{_TAG}{name}" for name in ("str", "null", "bool", "int", "float"))
_MAP, _SEQ = f"{_TAG}map", f"{_TAG}seq"
_DECIMAL = re.compile(r"[-+]?(?:0|[1-9][0-9]*)")
_FRACTION = re.compile(r"[-+]?(?:0|[1-9][0-9]*)\.[0-9]+")
_DIRECTIVE = re.compile(r"^%YAML", re.MULTILINE)
#: A ``!`` where a tag could start (ruamel keeps an explicitly tagged scalar as a ``TaggedScalar``); one
#: inside a quoted string or a comment only sends the file to ruamel.
_TAG_MARK = re.compile(r"(?:^|[\s\[{,])!")


class _Ambiguous(Exception):
    """Something in the file that libyaml and ruamel's YAML 1.2 could read differently."""


class _Loader(yaml.CSafeLoader):
    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        if kind is not yaml.ScalarNode or not implicit[0]:
            return str(super().resolve(kind, value, implicit))  # type: ignore[no-untyped-call]
        tag = _YAML12.resolve(RuamelScalarNode, value, (True, False))
        if tag in (_STR, _NULL, _BOOL):
            return str(tag)
        if (tag == _INT and _DECIMAL.fullmatch(value)) or (tag == _FLOAT and _FRACTION.fullmatch(value)):
            return str(tag)
        raise _Ambiguous(value)


def _check(node: yaml.Node) -> None:
    """Explicit tags, merge keys and duplicate keys are ruamel's to read (it refuses duplicates)."""
    stack = [node]
    while stack:
        here = stack.pop()
        if here.tag not in (_STR, _NULL, _BOOL, _INT, _FLOAT, _MAP, _SEQ):
            raise _Ambiguous(here.tag)
        if isinstance(here, yaml.MappingNode):
            keys = set()
            for key, value in here.value:
                if not isinstance(key, yaml.ScalarNode) or key.value == "<<" or key.value in keys:
                    raise _Ambiguous(key)
                keys.add(key.value)
                stack += (key, value)
        elif isinstance(here, yaml.SequenceNode):
            stack += here.value


def load(text: str) -> tuple[Any, dict[int, int]] | None:
    """(document, line of each ``images:`` entry) as ruamel's YAML 1.2 load gives them, or None for ruamel."""
    if _DIRECTIVE.search(text) or _TAG_MARK.search(text):
        return None
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return {}, {}
        _check(node)
        document = loader.construct_document(node)
    except (_Ambiguous, yaml.YAMLError, RecursionError):
        return None
    finally:
        loader.dispose()
    return document, _image_lines(node)


def _image_lines(root: yaml.Node) -> dict[int, int]:
    if not isinstance(root, yaml.MappingNode):
        return {}
    for key, value in root.value:
        if key.value == "images" and isinstance(value, yaml.SequenceNode):
            return {index: item.start_mark.line + 1 for index, item in enumerate(value.value)}
    return {}
