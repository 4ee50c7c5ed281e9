"""Read the settings file and turn every mistake into one message naming the file, line and key."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError

from image_updater.config.settings import Settings
from image_updater.errors import ConfigError


def _line_of(node: Any, loc: tuple[int | str, ...]) -> int | None:
    """Best line for a validation error location, walking ruamel's line/column records."""
    line: int | None = None
    for part in loc:
        lc = getattr(node, "lc", None)
        try:
            if lc is not None:
                if isinstance(part, int) and hasattr(lc, "item"):
                    line = lc.item(part)[0] + 1
                elif isinstance(part, str) and hasattr(lc, "key"):
                    line = lc.key(part)[0] + 1
            node = node[part]
        except (KeyError, IndexError, TypeError, AttributeError):
            break
    return line


def _plain(node: Any) -> Any:
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node


def load_settings(path: str | os.PathLike[str] | None = None) -> Settings:
    """Load ``path`` (default ``./config.yaml``) plus environment overrides."""
    source = Path(path or "config.yaml")
    try:
        text = source.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read the settings file: {exc.strerror}", source=str(source)) from None
    yaml = YAML(typ="rt")
    try:
        document = yaml.load(text) or {}
    except MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"{source}:{mark.line + 1}" if mark is not None else str(source)
        raise ConfigError(f"not valid YAML: {exc.problem}", source=where) from None
    if not isinstance(document, dict):
        raise ConfigError("the top level must be a mapping", source=str(source))
    try:
        return Settings(**_plain(document))
    except ValidationError as exc:
        raise _config_error(exc, document, source) from None


def _config_error(exc: ValidationError, document: Any, source: Path) -> ConfigError:
    problems = []
    first_key: str | None = None
    for error in exc.errors(include_url=False, include_input=False):
        loc = tuple(error["loc"])
        key = ".".join(str(p) for p in loc) or "(top level)"
        first_key = first_key or key
        line = _line_of(document, loc)
        where = f"line {line}, " if line else ""
        kind = error["type"]
        msg = "unknown key" if kind == "extra_forbidden" else error["msg"]
        problems.append(f"{where}{key}: {msg}")
    message = "; ".join(problems)
    return ConfigError(message, source=str(source))
