"""Writing a scalar back in its original quoting style, quoting only when plain would not be a string.

A plain value must read as a string under YAML 1.1 (PyYAML: ``yes``, ``on``, ``1_000``, ``1:20``),
YAML 1.2 (ruamel: ``1e3``, ``0o17``) and Go's yaml (``go-yaml`` v2, through ``sigs.k8s.io/yaml`` in
kubectl, kustomize and Helm, and v3): a tag like ``1.10`` written plain becomes the float 1.1, ``y``
the boolean true, ``0X1F`` the integer 31. When quoting is needed we choose double quotes (the style
``kubectl``/``helm`` output uses).
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

# What go-yaml (v2 and v3, resolve.go) reads as anything but a string: YAML 1.1's booleans (which PyYAML
# leaves out the one-letter ones of), null, the special floats, the merge key; then, for values starting
# with a sign, a digit or a dot, whatever Go's strconv parses once underscores are dropped: ints with any
# base prefix in either case (``0x1F``, ``0X1F``, ``0O17``, ``0B101``), floats, and dates.
_GO_WORDS = frozenset(
    [
        "y",
        "Y",
        "yes",
        "Yes",
        "YES",
        "n",
        "N",
        "no",
        "No",
        "NO",
        "true",
        "True",
        "TRUE",
        "false",
        "False",
        "FALSE",
        "on",
        "On",
        "ON",
        "off",
        "Off",
        "OFF",
        "~",
        "null",
        "Null",
        "NULL",
        ".nan",
        ".NaN",
        ".NAN",
        ".inf",
        ".Inf",
        ".INF",
        "+.inf",
        "+.Inf",
        "+.INF",
        "-.inf",
        "-.Inf",
        "-.INF",
        "<<",
    ]
)
_GO_NUMBER = re.compile(r"[-+]?(?:0[bBoOxX][0-9a-fA-F]+|[0-9]+|(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?)")
_GO_DATE = re.compile(r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt ].*)?")


def _go_reads_as_string(value: str) -> bool:
    if value == "" or value in _GO_WORDS:
        return False
    if value[0] not in "+-.0123456789":
        return True
    plain = value.replace("_", "")
    return not (_GO_NUMBER.fullmatch(plain) or _GO_DATE.fullmatch(value))


def reads_as_string_when_plain(value: str) -> bool:
    """True when ``value`` written plain is the same string to YAML 1.1, YAML 1.2 and Go's yaml."""
    if not _PLAIN_SAFE.match(value) or value.endswith(":"):
        return False
    yaml11 = _YAML11.resolve(yaml.ScalarNode, value, (True, False))  # type: ignore[no-untyped-call]
    yaml12 = _YAML12.resolve(RuamelScalarNode, value, (True, False))
    return bool(yaml11 == _STR and yaml12 == _STR and _go_reads_as_string(value))


def render_scalar(value: str, style: str) -> str:
    """The source text of ``value`` in ``style`` ("" plain, "'" single, '"' double)."""
    if style == "'":
        return "'" + value.replace("'", "''") + "'"
    if style == "" and reads_as_string_when_plain(value):
        return value
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'
