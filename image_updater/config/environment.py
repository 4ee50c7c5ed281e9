"""``IMAGE_UPDATER_*`` environment overrides, merged into the settings document before validation.

pydantic-settings replaced a whole list when one entry was overridden (``IMAGE_UPDATER_REGISTRIES__0__URL``
turned ``registries`` into a mapping), let an undecodable JSON value escape as its own exception type, and
left errors pointing at the file line of a value the environment had replaced. Resolving each variable
against the settings model here fixes all three: list entries are addressed by index, complex values must
be JSON and say so by variable name, and every override remembers which variable it came from.
"""

from __future__ import annotations

import difflib
import json
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from image_updater.errors import ConfigError

ENV_PREFIX = "IMAGE_UPDATER_"
NESTING = "__"

Location = tuple[str | int, ...]


@dataclass(frozen=True)
class EnvOverride:
    """One variable resolved to the settings key it sets."""

    variable: str
    location: Location
    value: Any

    @property
    def key(self) -> str:
        return ".".join(str(part) for part in self.location)


def _without_none(annotation: Any) -> Any:
    """``X | None`` → ``X``; other unions and plain types unchanged."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(members) == 1:
            return members[0]
    return annotation


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _is_structured(annotation: Any) -> bool:
    """Whether a value of this type is a mapping or a list, so the variable must hold JSON."""
    origin = typing.get_origin(annotation)
    return _is_model(annotation) or origin in (list, dict, tuple, set, frozenset) or annotation in (list, dict)


def _step(annotation: Any, part: str, parent: Location) -> tuple[str | int, Any] | str:
    """One step down the model: the location part and the annotation below it, or why there is none."""
    annotation = _without_none(annotation)
    where = ".".join(str(p) for p in parent)
    if _is_model(annotation):
        fields = annotation.model_fields
        if part not in fields:
            close = difflib.get_close_matches(part, list(fields), n=1)
            hint = f" (did you mean {close[0].upper()}?)" if close else ""
            return f"{where + '.' if where else ''}{part} is not a settings key{hint}"
        return part, fields[part].annotation
    if typing.get_origin(annotation) is list:
        if not part.isdigit():
            return f"{where} is a list: address an entry by its index (0, 1, …), not {part!r}"
        return int(part), typing.get_args(annotation)[0]
    return f"{where} has no keys below it"


def _model_at(model: type[BaseModel], location: Location) -> type[BaseModel] | None:
    """The settings model at ``location``; None when the location is not a mapping of settings."""
    annotation: Any = model
    for depth, part in enumerate(location):
        step = _step(annotation, str(part), location[:depth])
        if isinstance(step, str):
            return None
        annotation = step[1]
    annotation = _without_none(annotation)
    return annotation if _is_model(annotation) else None


def keys_at(model: type[BaseModel], location: Location) -> list[str]:
    """The settings keys allowed at ``location`` (empty when it is not a mapping), for "did you mean"."""
    found = _model_at(model, location)
    return list(found.model_fields) if found is not None else []


def owners_of(model: type[BaseModel], location: Location, key: str) -> list[str]:
    """The mappings below ``location`` that have ``key``: where a key written one level too high belongs.

    ``images.0`` has no ``semver``, but its ``policy`` does, so ``semver:`` there means ``policy: {semver: …}``.
    """
    annotation = _model_at(model, location)
    if annotation is None:
        return []
    owners = []
    for name, field in annotation.model_fields.items():
        below = _without_none(field.annotation)
        if _is_model(below) and key in below.model_fields:
            owners.append(name)
    return owners


def _resolve(model: type[BaseModel], variable: str, parts: list[str]) -> tuple[Location, Any]:
    """Walk ``parts`` through the model's fields; the location and the annotation of the key they name."""
    location: list[str | int] = []
    annotation: Any = model
    for part in parts:
        step = _step(annotation, part, tuple(location))
        if isinstance(step, str):
            raise ConfigError(step, source=f"environment variable {variable}")
        location.append(step[0])
        annotation = step[1]
    return tuple(location), _without_none(annotation)


def env_overrides(model: type[BaseModel], environ: Mapping[str, str]) -> list[EnvOverride]:
    """Every ``IMAGE_UPDATER_SECTION__KEY`` variable whose section is a settings key, shortest key first.

    Names are matched case-insensitively. A variable whose first part is not a top-level key is left
    alone (the prefix is shared with tools around us, e.g. test helpers), but below a known section an
    unknown key is an error, so a typo such as ``IMAGE_UPDATER_GIT__BRNACH`` cannot pass unnoticed.
    """
    found: list[EnvOverride] = []
    for variable, text in environ.items():
        if not variable.upper().startswith(ENV_PREFIX):
            continue
        parts = variable[len(ENV_PREFIX) :].lower().split(NESTING)
        if parts[0] not in model.model_fields or not all(parts):
            continue
        location, annotation = _resolve(model, variable, parts)
        value: Any = text
        if _is_structured(annotation):
            try:
                value = json.loads(text)
            except json.JSONDecodeError as exc:
                raise ConfigError(
                    f"{'.'.join(map(str, location))} takes a JSON value here ({exc.msg} at character {exc.pos})",
                    source=f"environment variable {variable}",
                ) from None
        found.append(EnvOverride(variable, location, value))
    return sorted(found, key=lambda o: (len(o.location), o.variable))


def apply_overrides(document: dict[str, Any], overrides: list[EnvOverride]) -> dict[str, Any]:
    """Set each override in the plain settings document (in place); a list entry must already exist.

    Overrides arrive shortest key first, so a whole list given as JSON is in place before a variable
    that changes one of its entries.
    """
    for override in overrides:
        node: Any = document
        *parents, last = override.location
        for depth, part in enumerate(parents):
            nxt = override.location[depth + 1]
            node = _child(node, part, [] if isinstance(nxt, int) else {}, override)
        _check_container(node, last, override)
        node[last] = override.value
    return document


def _child(node: Any, part: str | int, empty: Any, override: EnvOverride) -> Any:
    _check_container(node, part, override)
    if isinstance(part, int):
        child = node[part]
    else:
        child = node.setdefault(part, empty)
        if child is None:
            child = node[part] = empty
    return child


def _check_container(node: Any, part: str | int, override: EnvOverride) -> None:
    where = f"environment variable {override.variable}"
    if isinstance(part, int):
        if not isinstance(node, list):
            raise ConfigError(f"{override.key}: the settings hold no list here to index", source=where)
        if part >= len(node):
            raise ConfigError(
                f"{override.key}: the list has {len(node)} entr{'y' if len(node) == 1 else 'ies'}; "
                "an override changes an entry, it cannot add one (set the whole list as JSON)",
                source=where,
            )
    elif not isinstance(node, dict):
        raise ConfigError(f"{override.key}: the settings hold no mapping here", source=where)
