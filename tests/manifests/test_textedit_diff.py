"""The diff read off a ``TextEdit``'s replacements is ``difflib.unified_diff`` of the bytes before and after,
in the cases the corpus does not reach: far and near edits, insertions, a BOM, CRLF and no final newline."""

from __future__ import annotations

import difflib

import pytest

from image_updater.manifests import TextEdit, unified_diff

LINES = "".join(f"line{n}: {n}\n" for n in range(1, 31))


def _difflib(before: bytes, after: bytes) -> str:
    old = before.decode("utf-8-sig").splitlines(keepends=True)
    new = after.decode("utf-8-sig").splitlines(keepends=True)
    return "".join(difflib.unified_diff(old, new, "a/f.yaml", "b/f.yaml"))


CASES = [
    # (what it shows, the text, the replacements as (old, new) found left to right)
    ("one value on the first line", LINES, [("1\n", "one\n")]),
    ("one value on the last line", LINES, [("30\n", "thirty\n")]),
    ("two values far apart: two hunks", LINES, [("3\n", "c\n"), ("25\n", "y\n")]),
    ("two values six lines apart: one hunk (context 3 + 3)", LINES, [("5\n", "e\n"), ("12\n", "l\n")]),
    ("two values seven lines apart: two hunks", LINES, [("5\n", "e\n"), ("13\n", "m\n")]),
    ("adjacent lines: one block of removals, then one of additions", LINES, [("7\n", "g\n"), ("8\n", "h\n")]),
    ("a line inserted after a value", LINES, [("line9: 9", "line9: 9\n  newTag: '2'")]),
    ("a file without a final newline", "a: 1\nb: 2", [("2", "3")]),
    ("CRLF line ends", "a: 1\r\nb: 2\r\nc: 3\r\n", [("2", "9")]),
    ("a file that is one line", "image: x:1\n", [("1", "2")]),
]


@pytest.mark.parametrize(("text", "replacements"), [(t, r) for _, t, r in CASES], ids=[c[0] for c in CASES])
def test_the_diff_of_the_replacements_is_difflibs(text: str, replacements: list[tuple[str, str]]) -> None:
    splices, searched = [], 0
    for old, new in replacements:
        start = text.index(old, searched)
        splices.append((start, start + len(old), new, old))
        searched = start + len(old)
    edit = TextEdit(tuple(splices))
    for data in (text.encode(), b"\xef\xbb\xbf" + text.encode()):  # and with a byte-order mark
        assert unified_diff("f.yaml", data, edit) == _difflib(data, edit.apply(data))


def test_an_edit_that_changes_nothing_has_no_diff() -> None:
    assert unified_diff("f.yaml", LINES.encode(), TextEdit(())) == ""


def _patched(before: str, diff: str) -> str:
    """``before`` with ``diff``'s hunks applied (a small ``patch``): what the diff says the file becomes."""
    old = before.splitlines(keepends=True)
    out: list[str] = []
    at = 0
    body = diff.splitlines(keepends=True)[2:]
    for line in body:
        if line.startswith("@@"):
            start = int(line.split()[1].split(",")[0].lstrip("-"))
            count = line.split()[1].split(",")
            begin = start - 1 if len(count) == 1 or count[1] != "0" else start
            out += old[at:begin]
            at = begin
        elif line[0] in " -":
            assert old[at] == line[1:], (old[at], line)
            if line[0] == " ":
                out.append(line[1:])
            at += 1
        else:
            out.append(line[1:])
    return "".join(out + old[at:])


EDGES = [
    # (what it shows, the text, a splice (start, end, new))
    ("a line end replaced joins two lines", "a: 1\nb: 2\nc: 3\n", (3, 5, "9")),
    ("a newline after a lone CR makes one CRLF", "a: 1\rb: 2\r", (5, 5, "\nq")),
    ("an edited line that becomes its neighbour", "x: 1\nx: 2\ny: 3\n", (3, 4, "2")),
    ("an insertion at the very start", "a: 1\n", (0, 0, "b: 2\n")),
    ("an insertion at the very end", "a: 1\n", (5, 5, "b: 2\n")),
]


@pytest.mark.parametrize(("text", "splice"), [(t, s) for _, t, s in EDGES], ids=[c[0] for c in EDGES])
def test_the_diff_applied_to_the_old_text_gives_the_new_one(text: str, splice: tuple[int, int, str]) -> None:
    start, end, new = splice
    edit = TextEdit(((start, end, new, text[start:end]),))
    after = edit.spliced(text)
    assert _patched(text, unified_diff("f.yaml", text.encode(), edit)) == after
