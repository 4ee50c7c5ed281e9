"""The one template language for commit messages, pull-request titles, bodies and branch names.

Deliberately tiny: ``str.format`` would let a config author write ``{count.__class__}`` or
``{table:>99999999}``; this only substitutes ``{name}`` from a fixed list (``{{``/``}}`` for literal
braces), so a template is checked completely when settings load and can never do more than paste
strings. The field lists below are the whole of what each template may name.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_TOKEN = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}|[{}]")

COMMIT_FIELDS = frozenset({"count", "plural", "changes", "images"})
BRANCH_FIELDS = frozenset({"group"})
TITLE_FIELDS = frozenset({"group", "summary", "count", "images", "changes"})
BODY_FIELDS = TITLE_FIELDS | {"table", "title"}


def _parts(template: str) -> list[tuple[str, str | None]]:
    """Split into (literal, field) pieces; raises ValueError on a stray brace."""
    out: list[tuple[str, str | None]] = []
    pos = 0
    for match in _TOKEN.finditer(template):
        literal = template[pos : match.start()]
        token = match.group(0)
        pos = match.end()
        if token in ("{{", "}}"):
            out.append((literal + token[0], None))
        elif match.group(1) is not None:
            out.append((literal, match.group(1)))
        else:
            raise ValueError(f"stray {token!r} at offset {match.start()}: write {token * 2} for a literal brace")
    out.append((template[pos:], None))
    return out


def check_template(template: str, allowed: frozenset[str]) -> None:
    """Raise ValueError naming an unknown placeholder and the allowed ones."""
    for _, field in _parts(template):
        if field is not None and field not in allowed:
            raise ValueError(
                f"unknown placeholder {{{field}}}; allowed: " + ", ".join(f"{{{name}}}" for name in sorted(allowed))
            )


def fill_template(template: str, values: Mapping[str, str]) -> str:
    """Substitute placeholders; values are pasted verbatim, never re-parsed."""
    pieces: list[str] = []
    for literal, field in _parts(template):
        pieces.append(literal)
        if field is not None:
            pieces.append(values[field])
    return "".join(pieces)
