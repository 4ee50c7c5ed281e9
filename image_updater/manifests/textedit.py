"""A verified edit as the replacements it makes, and the unified diff of them, made without a diff search.

``difflib`` finds what changed by searching; a plan already knows, to the character. On the 200-file
bench repository ``difflib.unified_diff`` spent 0.35 s of ``plan`` on 155 files (most of it on one
600 KB file); reading the hunks off the replacements costs a line split per file. The result is difflib's
for every edit of the corpus; where an edited line becomes equal to its neighbour, difflib may pair the
two lines the other way round: a different diff, as correct (``tests/manifests/test_textedit_diff.py``).
"""

from __future__ import annotations

import bisect
import codecs
from dataclasses import dataclass

#: Lines of context around each change, as ``diff -u`` and ``difflib.unified_diff`` print them.
CONTEXT = 3


@dataclass(frozen=True)
class TextEdit:
    """Replacements ``(start, end, new, old)`` in a file's decoded text, ascending and apart, that
    ``render`` verified on exactly the bytes it was made from; an empty edit changes nothing.

    ``old`` (the text replaced) makes it reversible: the bytes it was made on can be had back from the
    edited file (``revert``), so a plan need not keep either version of a file it has written.
    """

    splices: tuple[tuple[int, int, str, str], ...]

    def spliced(self, text: str) -> str:
        parts, position = [], 0
        for start, end, new, _ in self.splices:
            parts += [text[position:start], new]
            position = end
        parts.append(text[position:])
        return "".join(parts)

    def apply(self, data: bytes) -> bytes:
        """The edited bytes of ``data`` (the bytes it was verified on; a BOM is kept)."""
        if not self.splices:
            return data
        bom, text = _text(data)
        return bom + self.spliced(text).encode("utf-8")

    def revert(self, data: bytes) -> bytes | None:
        """The bytes this edit was made on, from ``data`` holding its result; None when ``data`` does not."""
        if not self.splices:
            return data
        try:
            bom, text = _text(data)
        except UnicodeDecodeError:
            return None
        parts, position, shift = [], 0, 0
        for start, end, new, old in self.splices:
            at = start + shift
            if text[at : at + len(new)] != new:
                return None
            parts += [text[position:at], old]
            position = at + len(new)
            shift += len(new) - (end - start)
        parts.append(text[position:])
        return bom + "".join(parts).encode("utf-8")


def _text(data: bytes) -> tuple[bytes, str]:
    bom = codecs.BOM_UTF8 if data.startswith(codecs.BOM_UTF8) else b""
    return bom, data[len(bom) :].decode("utf-8")


def _range(start: int, count: int) -> str:
    """A hunk's line range as unified diffs write it (``difflib``'s ``_format_range_unified``)."""
    beginning = start + 1
    if count == 1:
        return str(beginning)
    if not count:
        beginning -= 1
    return f"{beginning},{count}"


def _blocks(
    text: str, lines: list[str], splices: tuple[tuple[int, int, str, str], ...]
) -> list[tuple[int, list[str], list[str]]]:
    """Each run of changed lines of ``text`` (split into ``lines``) as (first old line, old lines, new lines),
    the unchanged ends trimmed."""
    starts, position = [], 0
    for line in lines:
        starts.append(position)
        position += len(line)
    groups: list[tuple[int, int, list[tuple[int, int, str, str]]]] = []
    for splice in splices:
        start, end = splice[0], splice[1]
        first = max(bisect.bisect_right(starts, start) - 1, 0)
        last = max(bisect.bisect_right(starts, max(start, end - 1)) - 1, first)
        # A splice at a line boundary can join lines: a line end replaced joins the next line, and a
        # "\n" put right after a "\r" makes one "\r\n" of two line ends. Take the neighbour in; the
        # trimming below gives back whatever stayed the same.
        if end > start and last + 1 < len(lines) and starts[last + 1] == end:
            last += 1
        if first > 0 and starts[first] == start and text[start - 1] == "\r":
            first -= 1
        if groups and first <= groups[-1][1] + 1:  # adjacent lines: one block, as difflib replaces them
            groups[-1] = (groups[-1][0], max(last, groups[-1][1]), [*groups[-1][2], splice])
        else:
            groups.append((first, last, [splice]))
    blocks = []
    for first, last, members in groups:
        offset = starts[first] if first < len(starts) else len(text)
        old = lines[first : last + 1]
        segment = "".join(old)
        parts, position = [], 0
        for start, end, new, _ in members:
            parts += [segment[position : start - offset], new]
            position = end - offset
        parts.append(segment[position:])
        new_lines = "".join(parts).splitlines(keepends=True)
        head = 0
        while head < min(len(old), len(new_lines)) and old[head] == new_lines[head]:
            head += 1
        tail = 0
        while tail < min(len(old), len(new_lines)) - head and old[-1 - tail] == new_lines[-1 - tail]:
            tail += 1
        if head < len(old) - tail or head < len(new_lines) - tail:
            blocks.append((first + head, old[head : len(old) - tail], new_lines[head : len(new_lines) - tail]))
    return blocks


def unified_diff(path: str, data: bytes, edit: TextEdit, context: int = CONTEXT) -> str:
    """``difflib.unified_diff`` of ``data`` and ``edit.apply(data)`` (``a/path``, ``b/path``), from the
    replacements alone; empty when they change nothing."""
    _, text = _text(data)
    lines = text.splitlines(keepends=True)  # once: a 600 KB file is split for the whole diff
    blocks = _blocks(text, lines, edit.splices)
    if not blocks:
        return ""
    out = [f"--- a/{path}\n", f"+++ b/{path}\n"]
    shift = 0  # new line number minus old line number before the block at hand
    hunk: list[tuple[int, list[str], list[str], int]] = []

    def flush() -> None:
        first_old = max(hunk[0][0] - context, 0)
        last_old = min(hunk[-1][0] + len(hunk[-1][1]) + context, len(lines))
        body, at = [], first_old
        added = removed = 0
        for start, old, new, _ in hunk:
            body += [" " + line for line in lines[at:start]]
            body += ["-" + line for line in old] + ["+" + line for line in new]
            removed, added, at = removed + len(old), added + len(new), start + len(old)
        body += [" " + line for line in lines[at:last_old]]
        old_count = last_old - first_old
        new_count = old_count - removed + added
        out.append(f"@@ -{_range(first_old, old_count)} +{_range(first_old + hunk[0][3], new_count)} @@\n")
        out.extend(body)

    for start, old, new in blocks:
        if hunk and start - (hunk[-1][0] + len(hunk[-1][1])) > 2 * context:
            flush()
            hunk = []
        hunk.append((start, old, new, shift))
        shift += len(new) - len(old)
    flush()
    return "".join(out)
