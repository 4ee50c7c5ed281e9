"""How each policy kind reads a tag into a sortable key, and the one ranking all kinds share.

A key is the value a policy compares (a semver Version, a Decimal, a string, a creation time); the
ranking turns "greatest wins" (``asc``) or "least wins" (``desc``) into one total order in which ties
between equal keys go to the lexically greatest tag, so the choice never depends on list order.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from image_updater.errors import PolicyError
from image_updater.policy.filters import compile_regex, compile_template, expand, looks_like_commit_hash
from image_updater.policy.models import PolicySpec, TagFacts
from image_updater.policy.semver_range import parse_version

# What Go's strconv.ParseFloat accepts for ordinary numbers (Flux's numerical policy); no inf/nan/_.
_NUMBER_RE = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")


@dataclass(frozen=True)
class Ranked:
    """A tag the policy can order: ``key`` is compared, ``shown`` explains it in reasons."""

    tag: str
    key: Any
    shown: str


@dataclass(frozen=True)
class Rejected:
    tag: str
    reason: str


def version_text(spec: PolicySpec, tag: str) -> str | None:
    """The text a policy reads for ``tag``: the tag, or the ``extract`` of the filter's match.

    ``None`` when a filter is set and the tag does not match it.
    """
    if spec.filter is None:
        return tag
    match = compile_regex(spec.filter, "policy.filter").search(tag)
    if match is None:
        return None
    if spec.extract is None:
        return tag
    return expand(compile_template(spec.extract, spec.filter), match)


def read_key(spec: PolicySpec, tag: str, text: str, *, for_current: bool = False) -> Ranked | Rejected:
    """Read ``text`` (from :func:`version_text`) as this policy's key.

    Numerical order over a value that is not a number raises PolicyError naming the tag, as Flux fails
    the policy; the current tag only becomes unorderable instead (``for_current``), since it is not a
    candidate.
    """
    kind = spec.kind
    if kind == "semver":
        return _read_semver(spec, tag, text, for_current=for_current)
    if kind == "numerical":
        if looks_like_commit_hash(text):
            return Rejected(tag, f"commit hash {text!r} is not read as a number")
        if not _NUMBER_RE.match(text):
            if for_current:
                return Rejected(tag, f"{text!r} is not a number")
            extracted = f" (extracted {text!r})" if text != tag else ""
            raise PolicyError(f"numerical policy: tag {tag!r}{extracted} is not a number; "
                              f"narrow the candidates with policy.filter")
        return Ranked(tag, Decimal(text), text)
    if kind == "alphabetical":
        return Ranked(tag, text, text)
    raise AssertionError(f"{kind} does not order by the tag text")


def _read_semver(spec: PolicySpec, tag: str, text: str, *, for_current: bool) -> Ranked | Rejected:
    if looks_like_commit_hash(text):
        return Rejected(tag, f"commit hash {text!r} is not read as a version")
    lenient = spec.lenient
    if spec.compatible_suffix:
        text = text.partition("-")[0]  # the suffix is a variant (alpine), not a pre-release
        lenient = True
    version = parse_version(text, lenient=lenient)
    if version is None:
        return Rejected(tag, "not semver" if lenient else "not semver (set lenient for 1.2 / 1 style tags)")
    if not for_current:
        why = spec.semver_range.rejection(version)
        if why is not None:
            return Rejected(tag, why)
    return Ranked(tag, version, str(version))


def build_key(tag: str, metadata: TagFacts | None) -> Ranked | Rejected:
    """newest_build: the image's creation time from its config blob (naive times are read as UTC)."""
    if metadata is None:
        return Rejected(tag, "no metadata fetched for this tag")
    if metadata.created is None:
        return Rejected(tag, "no creation time in the image config")
    created = metadata.created
    if created.tzinfo is None:
        created = created.replace(tzinfo=UTC)
    return Ranked(tag, created, _format_time(created))


def _format_time(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def compare_keys(spec: PolicySpec, a: Any, b: Any) -> int:
    """-1/0/1 with 1 meaning ``a`` is preferred (direction applied); only keys, no tie-break."""
    if a == b:
        return 0
    greater = 1 if a > b else -1
    return -greater if spec.order is not None and spec.direction == "desc" else greater


def rank(spec: PolicySpec, candidates: list[Ranked]) -> list[Ranked]:
    """Candidates best first; equal keys: the lexically greatest tag first (argocd's newest-build rule)."""

    def cmp(a: Ranked, b: Ranked) -> int:
        by_key = compare_keys(spec, a.key, b.key)
        if by_key:
            return -by_key
        return -1 if a.tag > b.tag else (1 if a.tag < b.tag else 0)

    return sorted(candidates, key=functools.cmp_to_key(cmp))
