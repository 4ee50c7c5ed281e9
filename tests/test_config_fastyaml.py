"""The settings file's libyaml fast path reads exactly what ruamel's YAML 1.2 load reads, or leaves it to ruamel."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from image_updater.config import fastyaml, load_settings
from image_updater.config.loader import _item_lines, _plain
from tests.conftest import ROOT


def ruamel(text: str) -> Any:
    return YAML(typ="rt").load(text)


def typed(value: Any) -> Any:
    """A value with its exact base type next to it, so 1 == 1.0 == True cannot pass for each other."""
    if isinstance(value, dict):
        return {typed(k): typed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [typed(v) for v in value]
    for base in (bool, int, float, str):
        if isinstance(value, base):
            return (base.__name__, base(value))
    return (type(value).__name__, value)


# Each scalar as written plain after `key: `, and whether the fast path may read it itself (True) or must
# leave the file to ruamel (False) because YAML 1.1 and 1.2, or libyaml and ruamel, could disagree on it.
SCALARS = [
    ("web", True),  # a plain string
    ("1.2.3", True),  # a version is a string in both
    ("127.0.0.1:5000", True),  # a host and port too
    ("2024.03.02", True),  # a CalVer tag
    ("300", True),  # decimal int
    ("-5", True),
    ("0", True),
    ("1.5", True),  # plain fraction
    ("true", True),
    ("False", True),
    ("~", True),  # null
    ("null", True),
    ("", True),  # empty: null
    ("yes", True),  # YAML 1.1's boolean is 1.2's string: typed by ruamel's 1.2 resolver, so a string here
    ("on", True),
    ("1:20", True),  # 1.1's sexagesimal, 1.2's string
    ("017", False),  # 1.2 int with a leading zero: left to ruamel
    ("0o17", False),  # octal
    ("0x1F", False),  # hex
    ("1_000", False),  # underscores
    ("1e3", False),  # exponent float
    (".5", False),
    (".inf", False),
    ("2001-12-14", False),  # timestamp
    ("=", False),
]


@pytest.mark.parametrize(("scalar", "fast"), SCALARS)
def test_a_plain_scalar_reads_as_ruamel_reads_it_or_is_left_to_ruamel(scalar: str, fast: bool) -> None:
    text = f"key: {scalar}\nother: [a, {scalar}]\n"
    got = fastyaml.load(text)
    assert (got is not None) == fast
    if got is not None:
        assert typed(got[0]) == typed(_plain(ruamel(text)))


@pytest.mark.parametrize(
    "text",
    [
        "a: 1\na: 2\n",  # a duplicate key: ruamel refuses it, libyaml would keep the last
        "base: &b {x: 1}\nderived:\n  <<: *b\n  y: 2\n",  # a merge key
        "a: !secret x\n",  # a tag of its own
        "a: !!str 1\n",  # ruamel keeps an explicitly tagged scalar as a TaggedScalar
        "%YAML 1.1\n---\na: yes\n",  # a version directive
        "a: [1, 2\n",  # not YAML at all: ruamel's message names the line
    ],
)
def test_what_only_ruamel_reads_alike_is_left_to_it(text: str) -> None:
    assert fastyaml.load(text) is None


def settings_files() -> list[Path]:
    return [ROOT / "config.example.yaml", *sorted((ROOT / "tests" / "sources" / "testdata").glob("*/config.yaml"))]


@pytest.mark.parametrize("path", settings_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_settings_file_here_reads_the_same_both_ways_with_the_same_entry_lines(path: Path) -> None:
    text = path.read_text()
    got = fastyaml.load(text)
    assert got is not None, "these files hold nothing ambiguous: the fast path should read them"
    document = ruamel(text)
    assert typed(_plain(got[0])) == typed(_plain(document))
    assert got[1] == _item_lines(document.get("images"))


def test_the_settings_loaded_fast_equal_the_settings_loaded_by_ruamel(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    example = ROOT / "config.example.yaml"
    fast = load_settings(example, environ={})
    monkeypatch.setattr(fastyaml, "load", lambda text: None)
    slow = load_settings(example, environ={})
    assert fast.model_dump() == slow.model_dump()
    assert [i.defined_at for i in fast.images] == [i.defined_at for i in slow.images]
