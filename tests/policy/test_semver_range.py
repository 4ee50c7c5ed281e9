"""Masterminds range syntax, table-driven from the equivalences its README documents."""

from __future__ import annotations

import pytest
import semver
from hypothesis import given
from hypothesis import strategies as st

from image_updater.policy import SemverRange, parse_version
from image_updater.policy.semver_range import Version


def satisfies(range_text: str, version: str) -> bool:
    parsed = parse_version(version)
    assert parsed is not None, version
    return SemverRange.parse(range_text).rejection(parsed) is None


# (range, versions inside, versions outside) — from Masterminds' README equivalences.
TABLE = [
    # caret
    ("^1.2.3", ["1.2.3", "1.9.9"], ["1.2.2", "2.0.0"]),
    ("^1.2.x", ["1.2.0", "1.99.0"], ["1.1.9", "2.0.0"]),
    ("^2.3", ["2.3.0", "2.9.1"], ["2.2.9", "3.0.0"]),
    ("^2.x", ["2.0.0", "2.5.0"], ["1.9.9", "3.0.0"]),
    ("^0.2.3", ["0.2.3", "0.2.9"], ["0.2.2", "0.3.0"]),
    ("^0.2", ["0.2.0", "0.2.9"], ["0.1.9", "0.3.0"]),
    ("^0.0.3", ["0.0.3"], ["0.0.2", "0.0.4"]),
    ("^0.0", ["0.0.0", "0.0.9"], ["0.1.0"]),
    ("^0", ["0.0.0", "0.9.9"], ["1.0.0"]),
    # tilde
    ("~1.2.3", ["1.2.3", "1.2.9"], ["1.2.2", "1.3.0"]),
    ("~1", ["1.0.0", "1.9.0"], ["0.9.9", "2.0.0"]),
    ("~2.3", ["2.3.0", "2.3.7"], ["2.2.9", "2.4.0"]),
    ("~1.2.x", ["1.2.0", "1.2.5"], ["1.3.0"]),
    ("~1.x", ["1.0.0", "1.8.0"], ["2.0.0"]),
    ("~>1.2", ["1.2.0", "1.2.9"], ["1.3.0"]),
    # x-ranges and wildcards
    ("1.2.x", ["1.2.0", "1.2.99"], ["1.1.0", "1.3.0"]),
    ("1.2", ["1.2.0", "1.2.4"], ["1.3.0"]),
    ("=1.x", ["1.0.0", "1.5.5"], ["2.0.0"]),
    (">= 1.2.x", ["1.2.0", "9.0.0"], ["1.1.9"]),
    ("<= 2.x", ["0.1.0", "2.9.9"], ["3.0.0"]),
    ("*", ["0.0.0", "99.0.0"], []),
    ("x", ["1.0.0"], []),
    (">1.2", ["1.3.0"], ["1.2.9", "1.2.0"]),
    (">1", ["2.0.0"], ["1.9.9"]),
    ("<1.2", ["1.1.9"], ["1.2.0"]),
    ("!=1.2.x", ["1.1.9", "1.3.0"], ["1.2.0", "1.2.5"]),
    ("!=1.2.3", ["1.2.4"], ["1.2.3"]),
    # comparators, AND with comma or space, OR
    ("1.2.3", ["1.2.3"], ["1.2.4"]),
    ("=1.2.3", ["1.2.3"], ["1.2.2"]),
    (">= 1.2, < 3.0.0 || >= 4.2.3", ["1.2.0", "2.9.9", "4.2.3"], ["3.0.0", "4.2.2", "1.1.0"]),
    (">=1.0.0 <2.0.0", ["1.0.0", "1.5.0"], ["2.0.0", "0.9.0"]),
    (">1.0.0,<=1.5.0", ["1.0.1", "1.5.0"], ["1.0.0", "1.5.1"]),
    ("=>1.0, =<1.1", ["1.0.0", "1.1.9"], ["1.2.0", "0.9.9"]),  # =<1.1 is <1.2 (x-range)
    ("v1.2.3", ["1.2.3"], []),
    ("^v1.2", ["1.2.0"], ["2.0.0"]),
    # hyphen ranges
    ("1.2 - 1.4.5", ["1.2.0", "1.4.5"], ["1.1.9", "1.4.6"]),
    ("2.3.4 - 4.5", ["2.3.4", "4.5.9"], ["2.3.3", "4.6.0"]),
    ("1 - 2 || 5.x", ["1.0.0", "2.9.0", "5.1.0"], ["3.0.0", "6.0.0"]),
    # pre-releases: only when the AND-set carries one
    (">=1.2.3", ["1.2.3"], ["1.2.4-beta.1", "2.0.0-rc.1"]),
    (">=1.2.3-0", ["1.2.3-alpha", "1.2.4-beta.1", "3.0.0-rc.1", "1.2.3"], ["1.2.2", "1.2.2-rc.1"]),
    (">=1.0.0-0 <2.0.0", ["1.5.0-rc.1", "1.9.9"], ["2.0.0-rc.1", "2.0.0"]),
    ("^1.2.3-beta", ["1.2.3-beta", "1.2.3-beta.2", "1.5.0-alpha", "1.2.3"], ["1.2.3-alpha", "2.0.0-0"]),
    ("~1.2.3-beta", ["1.2.3-beta", "1.2.9"], ["1.3.0-alpha", "1.3.0"]),
    ("1.2.3-rc.1", ["1.2.3-rc.1"], ["1.2.3-rc.2", "1.2.3"]),
    ("^1.0 || >=2.0.0-0", ["1.1.0", "2.1.0-rc.1"], ["1.1.0-rc.1"]),
    (">=1.2.3-BETA", ["1.2.3-alpha"], []),  # ASCII: upper case sorts before lower case (Masterminds' note)
    ("", ["0.0.1", "10.0.0"], ["1.0.0-rc.1"]),
]


@pytest.mark.parametrize(("range_text", "inside", "outside"), TABLE, ids=[row[0] or "<empty>" for row in TABLE])
def test_range_table(range_text: str, inside: list[str], outside: list[str]) -> None:
    for version in inside:
        assert satisfies(range_text, version), f"{version} should satisfy {range_text!r}"
    for version in outside:
        assert not satisfies(range_text, version), f"{version} should not satisfy {range_text!r}"


def test_rejection_says_why() -> None:
    rng = SemverRange.parse("^1.0")
    assert rng.rejection(parse_version("1.5.0-rc.1")) == "pre-release not allowed by range '^1.0'"  # type: ignore[arg-type]
    assert rng.rejection(parse_version("2.0.0")) == "outside range '^1.0'"  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "bad",
    ["latest", ">=", "1.2.3 ||", "|| 1.0", "1.x.3", ">=1.0 foo", "1.0.0 -", "~>", "1.2.3.4", ">=1.0,,<2", "^1.0 && <2"],
)
def test_invalid_ranges_raise_naming_the_range(bad: str) -> None:
    with pytest.raises(ValueError, match="invalid semver range") as info:
        SemverRange.parse(bad)
    assert repr(bad) in str(info.value)


@pytest.mark.parametrize(
    ("text", "lenient", "expected"),
    [
        ("1.2.3", False, "1.2.3"),
        ("v1.2.3", False, "1.2.3"),
        ("1.2.3-rc.1", False, "1.2.3-rc.1"),
        ("1.2", False, None),
        ("1", False, None),
        ("01.2.3", False, None),
        ("1.2.3-01", False, None),
        ("latest", False, None),
        ("1.2", True, "1.2.0"),
        ("v1", True, "1.0.0"),
        ("2024.01.05", True, "2024.1.5"),
        ("1.2-beta", True, "1.2.0-beta"),
        ("1.2.3.4", True, None),
    ],
)
def test_parse_version(text: str, lenient: bool, expected: str | None) -> None:
    parsed = parse_version(text, lenient=lenient)
    assert (str(parsed) if parsed is not None else None) == expected


_ident = st.one_of(
    st.integers(min_value=0, max_value=20).map(str), st.sampled_from(["rc", "alpha", "beta", "a1", "x-y"])
)
_versions = st.builds(
    lambda major, minor, patch, pre, build: Version(major, minor, patch, ".".join(pre) or None, build),
    st.integers(0, 3),
    st.integers(0, 3),
    st.integers(0, 3),
    st.lists(_ident, max_size=3),
    st.sampled_from([None, "build.1", "sha.abc"]),
)


@given(_versions, _versions)
def test_the_precomputed_order_is_semvers_own_precedence(a: Version, b: Version) -> None:
    expected = semver.Version.compare(a, b)  # the package's own algorithm
    assert (a < b, a == b, a > b) == (expected < 0, expected == 0, expected > 0)
    assert (a <= b, a >= b, a != b) == (expected <= 0, expected >= 0, expected != 0)
    assert a != b or hash(a) == hash(b)
    plain = semver.Version(b.major, b.minor, b.patch, b.prerelease, b.build)  # one of semver's own
    assert (a < plain, a == plain) == (expected < 0, expected == 0)
