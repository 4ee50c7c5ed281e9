"""The cheap, metadata-free tests every tag goes through before a policy orders it.

Each test returns ``None`` when the tag passes or the reason it was dropped, so the verdict a user sees
in ``image-updater test`` is the exact rule that removed the tag.
"""

from __future__ import annotations

import fnmatch
import functools
import re
from collections.abc import Iterable, Sequence

# Cosign signatures/attestations/SBOMs (``*.sig``, ``*.att``, ``*.sbom``) and the ``sha256-<hex>.<kind>``
# tags cosign and ORAS attach to an image: never deployable images.
_ARTIFACT_RE = re.compile(r"(?:\.(?:sig|att|sbom)$)|(?:^sha256-[0-9a-f]+\..+$)")
# Renovate's rule: 7 to 40 lower-case hex characters that are not all digits.
_COMMIT_HASH_RE = re.compile(r"^[0-9a-f]{7,40}$")
_VERSION_PREFIX_RE = re.compile(r"^v?(\d+(?:\.\d+)*)$")
# Go's RE2 spells named groups ``(?<name>…)`` too; Python (< 3.12 at least) only knows ``(?P<name>…)``.
_GO_NAMED_GROUP_RE = re.compile(r"(?<!\\)\(\?<(?=[A-Za-z_])")
_TEMPLATE_NAME_RE = re.compile(r"[A-Za-z0-9_]+")


def is_artifact_tag(tag: str) -> bool:
    return bool(_ARTIFACT_RE.search(tag))


def looks_like_commit_hash(text: str) -> bool:
    return bool(_COMMIT_HASH_RE.match(text)) and not text.isdigit()


# What YAML makes of \a \b \t \n \v \f \r \e \0 in a double-quoted string: never in a tag, so never meant.
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")


@functools.lru_cache(maxsize=256)
def compile_regex(pattern: str, what: str) -> re.Pattern[str]:
    """Compile a user regex (RE2 ``(?<name>…)`` accepted) or raise ValueError naming the pattern.

    A control character means YAML ate a backslash: ``"\\bv1"`` in double quotes is a backspace and ``v1``.
    """
    control = _CONTROL_RE.search(pattern)
    if control is not None:
        raise ValueError(
            f"{what}: {pattern!r} holds the control character {control.group()!r}, which YAML makes of a backslash "
            "escape in double quotes; write regular expressions in single quotes ('\\bv1'), where backslashes "
            "stay as written"
        )
    try:
        return re.compile(_GO_NAMED_GROUP_RE.sub("(?P<", pattern))
    except re.error as exc:
        raise ValueError(f"{what}: invalid regular expression {pattern!r}: {exc}") from None


def matching_ignore_glob(tag: str, globs: Iterable[str]) -> str | None:
    """The first ignore glob (fnmatch, case-sensitive) that matches the tag."""
    for glob in globs:
        if fnmatch.fnmatchcase(tag, glob):
            return glob
    return None


# --- extract templates (Go regexp.Expand: $1, $name, ${name}, $$) ---------------------------------

TemplatePart = str | int  # literal text, or a group (number or name) to substitute


@functools.lru_cache(maxsize=256)
def compile_template(template: str, pattern: str) -> tuple[tuple[bool, TemplatePart], ...]:
    """Split ``extract`` into literals and group references, rejecting groups the filter does not have.

    Go expands an unknown group to "", silently producing empty values; we refuse at load time instead.
    A ``$`` not followed by a name, ``{name}`` or ``$`` stays literal, as in Go.
    """
    regex = compile_regex(pattern, "policy.filter")
    parts: list[tuple[bool, TemplatePart]] = []
    literal: list[str] = []
    i = 0
    while i < len(template):
        char = template[i]
        if char != "$":
            literal.append(char)
            i += 1
            continue
        if template.startswith("$$", i):
            literal.append("$")
            i += 2
            continue
        name, end = _template_name(template, i + 1)
        if name is None:
            literal.append("$")
            i += 1
            continue
        ref: TemplatePart = int(name) if name.isdigit() else name
        known = ref <= regex.groups if isinstance(ref, int) else ref in regex.groupindex
        if not known:
            raise ValueError(
                f"policy.extract: {template!r} refers to group {name!r}, which the filter {pattern!r} does not define"
            )
        if literal:
            parts.append((False, "".join(literal)))
            literal = []
        parts.append((True, ref))
        i = end
    if literal:
        parts.append((False, "".join(literal)))
    return tuple(parts)


def _template_name(template: str, start: int) -> tuple[str | None, int]:
    if template.startswith("{", start):
        close = template.find("}", start)
        name = template[start + 1 : close] if close > 0 else ""
        if close > 0 and _TEMPLATE_NAME_RE.fullmatch(name):
            return name, close + 1
        return None, start
    match = _TEMPLATE_NAME_RE.match(template, start)
    return (match.group(), match.end()) if match else (None, start)


def expand(template: tuple[tuple[bool, TemplatePart], ...], match: re.Match[str]) -> str:
    out: list[str] = []
    for is_group, part in template:
        out.append((match.group(part) or "") if is_group else str(part))
    return "".join(out)


# --- compatibility suffix (Renovate's docker versioning) ---------------------------------------------


def suffix_and_parts(tag: str) -> tuple[str | None, int]:
    """(text after the first ``-`` or None, number of dotted numeric parts before it)."""
    head, dash, tail = tag.partition("-")
    match = _VERSION_PREFIX_RE.match(head)
    return (tail if dash else None), (match.group(1).count(".") + 1 if match else 0)


def suffix_rejection(tag: str, current: str) -> str | None:
    suffix, parts = suffix_and_parts(tag)
    want_suffix, want_parts = suffix_and_parts(current)
    if suffix != want_suffix:
        shown = f"-{want_suffix}" if want_suffix is not None else "no suffix"
        return f"suffix differs from current {current!r} (wants {shown})"
    if parts != want_parts:
        return f"has {parts} version parts, current {current!r} has {want_parts}"
    return None


# --- platforms ----------------------------------------------------------------------------------------


def _platform_offered(wanted: str, offered: frozenset[str]) -> bool:
    """A platform without variant accepts any variant; arm64 without variant is arm64/v8 (containerd)."""
    if wanted in offered:
        return True
    w_parts = wanted.split("/")
    for platform in offered:
        o_parts = platform.split("/")
        if o_parts[:2] != w_parts[:2]:
            continue
        if len(w_parts) == 2:
            return True
        if w_parts[1] == "arm64" and w_parts[2] == "v8" and len(o_parts) == 2:
            return True
    return False


def missing_platforms(wanted: Sequence[str], offered: frozenset[str]) -> list[str]:
    return [p for p in wanted if not _platform_offered(p, offered)]


def platform_rejection(wanted: Sequence[str], offered: frozenset[str], match: str) -> str | None:
    """Why an image offering ``offered`` fails ``platforms`` under ``platforms_match``, or None when it passes.

    ``all`` (Flux-style strictness, our default): every listed platform must be offered. ``any``
    (argocd-image-updater's rule): one listed platform is enough.
    """
    lacking = missing_platforms(wanted, offered)
    if match == "any":
        return f"offers none of {', '.join(wanted)} (platforms_match: any)" if len(lacking) == len(wanted) else None
    return f"lacks platform {', '.join(lacking)} (platforms_match: all)" if lacking else None
