"""``plan``'s report is written a line (or one file's diff) at a time, and reads exactly as the lines joined."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from image_updater.cycle.report import joined

CASES = [
    # (what it shows, the lines)
    ("nothing at all", []),
    ("one line", ["a"]),
    ("blank lines between are kept", ["a", "", "", "b"]),
    ("trailing blank lines are dropped", ["a", "b", "", ""]),
    ("leading blank lines are kept", ["", "a"]),
    ("a line of newlines only counts as blank", ["a", "\n\n", "b", "\n"]),
    ("a diff ending in a newline loses it at the very end only", ["a", "--- x\n+++ y\n", "b", "tail\n\n"]),
    ("only blank lines", ["", "", ""]),
]


@pytest.mark.parametrize("lines", [c[1] for c in CASES], ids=[c[0] for c in CASES])
def test_the_pieces_written_are_the_lines_joined_without_trailing_blank_lines(lines: list[str]) -> None:
    pieces: list[str] = []
    joined(iter(lines), pieces.append)
    assert "".join(pieces) == "\n".join(lines).rstrip("\n") + "\n"


def test_a_line_is_written_before_the_next_one_is_made() -> None:
    pieces: list[str] = []

    def lines() -> Iterator[str]:
        yield "first"
        assert pieces == ["first"]  # written already: a plan's diffs are never all held at once
        yield "second"

    joined(lines(), pieces.append)
    assert pieces == ["first", "\nsecond", "\n"]
