"""Read the settings file and turn every mistake into one message naming the file, line and key."""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError

from image_updater.config import fastyaml
from image_updater.config.environment import EnvOverride, env_overrides, keys_at, owners_of
from image_updater.config.settings import ENVIRON_KEY, Settings
from image_updater.errors import ConfigError, ImageUpdaterError
from image_updater.validation import Located

# pydantic's prefixes for errors raised by our validators; the rest of the message is ours
_VALIDATOR_PREFIXES = ("Value error, ", "Assertion failed, ")


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


def load_settings(path: str | os.PathLike[str] | None = None, *, environ: Mapping[str, str] | None = None) -> Settings:
    """Load ``path`` (default ``./config.yaml``) plus ``IMAGE_UPDATER_*`` overrides from ``environ``.

    ``environ`` defaults to the process environment.
    """
    source = Path(path or "config.yaml")
    try:
        text = source.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(
            f"cannot read the settings file: {exc.strerror} (choose another with --config PATH)", source=str(source)
        ) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"not UTF-8 text (byte {exc.start})", source=str(source)) from None
    environ = os.environ if environ is None else environ
    fast = fastyaml.load(text)
    if fast is not None and isinstance(fast[0] or {}, dict):
        try:
            settings = Settings(**{**_plain(fast[0] or {}), ENVIRON_KEY: environ})
        except (ValidationError, ImageUpdaterError):
            pass  # read again below, with ruamel's line records, for a message naming the line and key
        else:
            settings.locate_images(str(source), fast[1])
            return settings
    yaml = YAML(typ="rt")
    try:
        document = yaml.load(text) or {}
    except MarkedYAMLError as exc:
        raise _yaml_error(exc, source) from None
    if not isinstance(document, dict):
        raise ConfigError("the top level must be a mapping (registries:, git:, images:, …)", source=str(source))
    overrides = env_overrides(Settings, environ)  # kept to say which variable a bad value came from
    try:
        values: dict[str, Any] = {**_plain(document), ENVIRON_KEY: environ}
        settings = Settings(**values)
    except ValidationError as exc:
        raise _config_error(exc, document, source, overrides) from None
    except ImageUpdaterError as exc:  # a validator that raised our own error instead of ValueError
        raise ConfigError(str(exc), source=str(source)) from None
    settings.locate_images(str(source), _item_lines(document.get("images")))
    return settings


def _item_lines(node: Any) -> dict[int, int]:
    """Index → 1-based line of each entry of a list in the file (ruamel's line records)."""
    lc = getattr(node, "lc", None)
    if lc is None or not isinstance(node, list):
        return {}
    lines = {}
    for index in range(len(node)):
        try:
            lines[index] = lc.item(index)[0] + 1
        except (KeyError, IndexError, TypeError):
            continue
    return lines


def _yaml_error(exc: MarkedYAMLError, source: Path) -> ConfigError:
    mark = exc.problem_mark
    where = f"{source}:{mark.line + 1}" if mark is not None else str(source)
    problem = exc.problem or "cannot parse"
    context = exc.context_mark
    if exc.context and context is not None and mark is not None and context.line != mark.line:
        problem += f" ({exc.context} started on line {context.line + 1})"
    if "unknown escape character" in problem:
        # `allow: "^v\d+"`: in double quotes YAML reads backslashes as escapes; in single quotes it keeps them
        problem += "; write regular expressions in single quotes (allow: '^v\\d+'), where backslashes stay as written"
    return ConfigError(f"not valid YAML: {problem}", source=where)


def _origin(loc: tuple[int | str, ...], document: Any, overrides: list[EnvOverride]) -> tuple[str, int | None]:
    """Where a value at ``loc`` came from: an environment variable, or a file line (plus variables below)."""
    setting = [o for o in overrides if loc[: len(o.location)] == o.location]
    if setting:
        return f"environment variable {max(setting, key=lambda o: len(o.location)).variable}, ", None
    line = _line_of(document, loc)
    below = [o.variable for o in overrides if o.location[: len(loc)] == loc]
    parts = ([f"line {line}"] if line else []) + ([f"with {', '.join(below)}"] if below else [])
    return "".join(f"{part}, " for part in parts), line


def _value_at(document: Any, loc: tuple[int | str, ...]) -> Any:
    node = document
    for part in loc:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return None
    return node


def _as_yaml(value: Any) -> str:
    """A scalar as one would write it in the file (strings single-quoted), for "write it like this" hints."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return "…"


def _message(error: Any, document: Any) -> str:
    kind, loc, msg = error["type"], tuple(error["loc"]), str(error["msg"])
    if kind == "extra_forbidden":
        key = str(loc[-1])
        owners = owners_of(Settings, loc[:-1], key)
        if owners:
            shown = _as_yaml(_value_at(document, loc))
            return f"unknown key here; {key} is a key of {owners[0]}: write {owners[0]}: {{{key}: {shown}}}"
        known = keys_at(Settings, loc[:-1])
        close = difflib.get_close_matches(str(loc[-1]), known, n=1)
        return "unknown key" + (f" (did you mean {close[0]}?)" if close else "")
    if kind == "missing":
        return "required key is missing"
    for prefix in _VALIDATOR_PREFIXES:
        msg = msg.removeprefix(prefix)
    return msg


def _config_error(exc: ValidationError, document: Any, source: Path, overrides: list[EnvOverride]) -> ConfigError:
    problems: list[tuple[int, str]] = []
    for error in exc.errors(include_url=False, include_input=False):
        raised = (error.get("ctx") or {}).get("error")
        loc = tuple(error["loc"]) + (raised.location if isinstance(raised, Located) else ())
        key = ".".join(str(p) for p in loc) or "(top level)"
        where, line = _origin(loc, document, overrides)
        problems.append((line or 0, f"{where}{key}: {_message(error, document)}"))
    message = "; ".join(text for _, text in sorted(problems, key=lambda p: p[0]))
    return ConfigError(message, source=str(source))
