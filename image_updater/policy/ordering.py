"""The text a policy reads for a tag, and the one ranking every kind shares.

A key is the value a kind compares (a semver Version, a Decimal, a string, a creation time); the
ranking turns the kind's comparison into one total order in which ties between equal keys go to the
lexically greatest tag, so the choice never depends on list order.
"""

from __future__ import annotations

import functools

from image_updater.policy.filters import compile_regex, compile_template, expand
from image_updater.policy.kinds import Ranked
from image_updater.policy.models import PolicySpec


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


def rank(spec: PolicySpec, candidates: list[Ranked]) -> list[Ranked]:
    """Candidates best first; equal keys: the lexically greatest tag first (argocd's newest-build rule)."""
    kind = spec.policy_kind

    def cmp(a: Ranked, b: Ranked) -> int:
        by_key = kind.compare(spec, a.key, b.key)
        if by_key:
            return -by_key
        return -1 if a.tag > b.tag else (1 if a.tag < b.tag else 0)

    return sorted(candidates, key=functools.cmp_to_key(cmp))
