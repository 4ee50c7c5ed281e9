"""Small checks shared by the settings models of several packages."""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import TypeVar

T = TypeVar("T", bound=Hashable)


def first_repeat(values: Iterable[T]) -> T | None:
    """The first value seen a second time (names that must be unique: images, registries, receivers)."""
    seen: set[T] = set()
    for value in values:
        if value in seen:
            return value
        seen.add(value)
    return None
