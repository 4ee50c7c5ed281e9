"""Go values as the templates see them from Python: the missing-key value, Stringers, truth, printing and
map-key order. The built-in functions and the evaluator must agree on each of these, so they live here once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from image_updater.delivery.gotemplate.errors import GoTemplateError


class NoValue:
    """What Go yields for a missing map key; printed as ``<no value>``, false in ``if``."""

    def __repr__(self) -> str:
        return "<no value>"


NO_VALUE = NoValue()


class Stringer:
    """A struct Go prints through its ``String()`` method (Flux's ``.AutomationObject``)."""

    def go_string(self) -> str:
        raise NotImplementedError


def sort_key(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return tuple(sort_key(getattr(value, f.name)) for f in dataclasses.fields(value))
    return value


def truth(value: Any) -> bool:
    if value is None or isinstance(value, NoValue):
        return False
    if isinstance(value, (bool, int, float, str, list, tuple, dict)):
        return bool(value)
    return True  # a struct


def is_basic(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool))


def printed(value: Any, line: int) -> str:
    """Go's ``fmt.Sprint`` of one value, for the types we reproduce exactly."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int)):
        return str(value)
    if isinstance(value, float):
        return _go_float(value)
    if isinstance(value, NoValue):
        return "<no value>"
    if value is None:
        return "<nil>"
    if isinstance(value, Stringer):
        return value.go_string()
    kind = "a map" if isinstance(value, Mapping) else "a list" if isinstance(value, (list, tuple)) else "a struct"
    raise GoTemplateError(f"printing {kind} is not supported (Go's %v formatting is not reproduced)", line)


def _go_float(value: float) -> str:
    if value == int(value) and abs(value) < 1e21:
        return str(int(value))
    text = repr(value)
    return text.replace("e+0", "e+").replace("e-0", "e-")
