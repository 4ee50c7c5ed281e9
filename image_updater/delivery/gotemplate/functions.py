"""Go's template builtins and the sprig functions Flux's commit templates use, behind one table: the parser
refuses any name not in it, the evaluator calls only what is in it."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from image_updater.delivery.gotemplate.errors import GoTemplateError
from image_updater.delivery.gotemplate.values import NO_VALUE, is_basic, printed, truth


def _sprint(args: Sequence[Any], line: int) -> str:
    out: list[str] = []
    for index, arg in enumerate(args):
        if index and not isinstance(arg, str) and not isinstance(args[index - 1], str):
            out.append(" ")
        out.append(printed(arg, line))
    return "".join(out)


_VERB = re.compile(r"%(%|[-+# 0]*\d*(?:\.\d+)?[svdq])")


def _printf(line: int, fmt: str, *args: Any) -> str:
    values = iter(args)

    def one(match: re.Match[str]) -> str:
        spec = match.group(1)
        if spec == "%":
            return "%"
        verb, flags = spec[-1], spec[:-1]
        try:
            value = next(values)
        except StopIteration:
            return f"%!{verb}(MISSING)"
        if verb == "q":
            text = '"' + printed(value, line).replace("\\", "\\\\").replace('"', '\\"') + '"'
        elif verb == "d":
            if not isinstance(value, int) or isinstance(value, bool):
                raise GoTemplateError(f"printf %d of {printed(value, line)!r}: not an integer", line)
            text = str(value)
        else:
            text = printed(value, line)
        width = re.match(r"-?0?(\d*)", flags)
        size = int(width.group(1)) if width and width.group(1) else 0
        return text.ljust(size) if flags.startswith("-") else text.rjust(size)

    result = _VERB.sub(one, fmt)
    extra = list(values)
    if extra:
        result += "%!(EXTRA " + ", ".join(printed(v, line) for v in extra) + ")"
    return result


def _compare(name: str, line: int, a: Any, b: Any) -> int:
    if not (is_basic(a) and is_basic(b)) or isinstance(a, bool) != isinstance(b, bool):
        raise GoTemplateError(f"{name}: comparing {type(a).__name__} with {type(b).__name__} is not supported", line)
    if isinstance(a, str) != isinstance(b, str):
        raise GoTemplateError(f"{name}: incompatible types for comparison", line)
    return int(a > b) - int(a < b)


def _trunc(length: int, text: str) -> str:
    return text[:length] if length >= 0 else text[length:]


def _index(line: int, item: Any, *keys: Any) -> Any:
    for key in keys:
        try:
            item = item[key]
        except (KeyError, IndexError, TypeError):
            if isinstance(item, Mapping):
                return NO_VALUE
            raise GoTemplateError(f"index {key!r}: out of range or not indexable", line) from None
    return item


def _length(line: int, item: Any) -> int:
    if isinstance(item, (str, list, tuple, Mapping)):
        return len(item)
    raise GoTemplateError(f"len of {type(item).__name__} is not supported", line)


#: Go's builtins and the sprig functions Flux's templates use; each receives the template line first.
FUNCTIONS: Mapping[str, Callable[..., Any]] = {
    "print": lambda line, *a: _sprint(a, line),
    "println": lambda line, *a: " ".join(printed(v, line) for v in a) + "\n",
    "printf": _printf,
    "len": _length,
    "index": _index,
    "eq": lambda line, a, *b: any(_compare("eq", line, a, x) == 0 for x in b),
    "ne": lambda line, a, b: _compare("ne", line, a, b) != 0,
    "lt": lambda line, a, b: _compare("lt", line, a, b) < 0,
    "le": lambda line, a, b: _compare("le", line, a, b) <= 0,
    "gt": lambda line, a, b: _compare("gt", line, a, b) > 0,
    "ge": lambda line, a, b: _compare("ge", line, a, b) >= 0,
    "not": lambda line, a: not truth(a),
    "and": lambda line, *a: next((v for v in a if not truth(v)), a[-1]),
    "or": lambda line, *a: next((v for v in a if truth(v)), a[-1]),
    "lower": lambda line, s: printed(s, line).lower(),
    "upper": lambda line, s: printed(s, line).upper(),
    "title": lambda line, s: re.sub(r"(^|\s)(\S)", lambda m: m.group(1) + m.group(2).upper(), printed(s, line)),
    "trim": lambda line, s: printed(s, line).strip(),
    "trimPrefix": lambda line, p, s: printed(s, line).removeprefix(p),
    "trimSuffix": lambda line, p, s: printed(s, line).removesuffix(p),
    "replace": lambda line, old, new, s: printed(s, line).replace(old, new),
    "contains": lambda line, sub, s: sub in printed(s, line),
    "hasPrefix": lambda line, p, s: printed(s, line).startswith(p),
    "hasSuffix": lambda line, p, s: printed(s, line).endswith(p),
    "trunc": lambda line, n, s: _trunc(n, printed(s, line)),
    "join": lambda line, sep, items: sep.join(printed(v, line) for v in items),
    "quote": lambda line, *a: " ".join(_printf(line, "%q", v) for v in a if v is not None),
}
