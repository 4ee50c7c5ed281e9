"""Small checks shared by the settings models of several packages (unique names, durations)."""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import TypeVar

T = TypeVar("T", bound=Hashable)
Item = TypeVar("Item")

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


class Located(ValueError):
    """A settings error found by a check across sections, at a key other than the field that raised it:
    the loader reports it at ``location`` (its file line and dotted key) instead of at the top level."""

    def __init__(self, location: Sequence[str | int], message: str) -> None:
        super().__init__(message)
        self.location = tuple(location)


def first_repeat(values: Iterable[T]) -> T | None:
    """The first value seen a second time (names that must be unique: images, registries, receivers)."""
    seen: set[T] = set()
    for value in values:
        if value in seen:
            return value
        seen.add(value)
    return None


def unique_names(items: Sequence[Item], name: Callable[[Item], str], what: str) -> Sequence[Item]:
    """``items`` unchanged, or ValueError naming the first ``what`` name used twice (a settings list's validator)."""
    repeated = first_repeat(name(item) for item in items)
    if repeated is not None:
        raise ValueError(f"{what} name {repeated!r} is used twice")
    return items


def parse_duration(value: float | int | str) -> float:
    """Seconds from a number or a Go-style duration (``"90s"``, ``"5m"``, ``"1h30m"``, ``"250ms"``)."""
    if isinstance(value, bool):
        raise ValueError("a duration is a number of seconds or a string like '5m'")
    if isinstance(value, (int, float)):
        seconds = float(value)
    else:
        text = value.strip().lower()
        try:
            seconds = float(text)
        except ValueError:
            parts = _DURATION_PART.findall(text)
            if not parts or "".join(n + u for n, u in parts) != text:
                raise ValueError(f"{value!r} is not a duration (use seconds or e.g. '30s', '5m', '1h30m')") from None
            seconds = sum(float(n) * _UNIT_SECONDS[u] for n, u in parts)
    if not seconds > 0:
        raise ValueError(f"{value!r}: a duration must be more than zero")
    return seconds
