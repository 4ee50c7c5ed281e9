"""Writing a scalar back in its original quoting style, quoting only when plain would not be a string.

A plain value must read as a string under both YAML 1.1 (go-yaml v2, PyYAML: ``yes``, ``on``,
``1_000``, ``1:20``) and YAML 1.2 (ruamel): a tag like ``1.10`` written plain becomes the float 1.1.
When quoting is needed we choose double quotes (the style ``kubectl``/``helm`` output uses).
"""

from __future__ import annotations

import re

import yaml
from ruamel.yaml.nodes import ScalarNode as RuamelScalarNode
from ruamel.yaml.resolver import VersionedResolver

_PLAIN_SAFE = re.compile(r"^[A-Za-z0-9_./][A-Za-z0-9_./@:+=-]*$")
_YAML11 = yaml.resolver.Resolver()
_YAML12 = VersionedResolver(version=(1, 2))
_STR = "tag:yaml.org,2002:str"


def reads_as_string_when_plain(value: str) -> bool:
    if not _PLAIN_SAFE.match(value) or value.endswith(":"):
        return False
    yaml11 = _YAML11.resolve(yaml.ScalarNode, value, (True, False))  # type: ignore[no-untyped-call]
    yaml12 = _YAML12.resolve(RuamelScalarNode, value, (True, False))
    return bool(yaml11 == _STR and yaml12 == _STR)


def render_scalar(value: str, style: str) -> str:
    """The source text of ``value`` in ``style`` ("" plain, "'" single, '"' double)."""
    if style == "'":
        return "'" + value.replace("'", "''") + "'"
    if style == "" and reads_as_string_when_plain(value):
        return value
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'
