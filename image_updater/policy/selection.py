"""Choosing a tag: filters, then the policy's order, then the no-downgrade rule, with a verdict per tag.

Pure: the registry client lists tags and fetches :class:`TagFacts` for exactly the tags
:func:`metadata_needed` names; :func:`select` only reads what it is given, so ``plan`` and ``test`` can
replay a decision from recorded inputs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from image_updater.policy.filters import (
    compile_regex,
    is_artifact_tag,
    matching_ignore_glob,
    missing_platforms,
    suffix_rejection,
)
from image_updater.policy.models import Decision, PolicySpec, SelectionRules, TagFacts, Verdict
from image_updater.policy.ordering import (
    Ranked,
    Rejected,
    build_key,
    compare_keys,
    rank,
    read_key,
    version_text,
)


@dataclass(frozen=True)
class _Passed:
    """A tag that passed the cheap filters; ``ranked`` is None when its key needs metadata."""

    tag: str
    ranked: Ranked | None


def _cheap(spec: PolicySpec, rules: SelectionRules, tag: str, current: str | None) -> _Passed | Rejected:
    """Every test that needs no registry round trip, in the order the verdict reports them."""
    if not rules.include_artifacts and is_artifact_tag(tag):
        return Rejected(tag, "artefact tag (signature/attestation/SBOM)")
    glob = matching_ignore_glob(tag, rules.ignore)
    if glob is not None:
        return Rejected(tag, f"rejected by ignore glob {glob!r}")
    if rules.allow is not None and not compile_regex(rules.allow, "allow").search(tag):
        return Rejected(tag, f"does not match allow regex {rules.allow!r}")
    if spec.digest is not None:
        if tag != spec.digest:
            return Rejected(tag, f"not the tracked tag {spec.digest!r}")
        return _Passed(tag, None)
    text = version_text(spec, tag)
    if text is None:
        return Rejected(tag, f"does not match filter {spec.filter!r}")
    if spec.compatible_suffix and current is not None:
        why = suffix_rejection(tag, current)
        if why is not None:
            return Rejected(tag, why)
    if spec.newest_build:
        return _Passed(tag, None)
    result = read_key(spec, tag, text)
    return _Passed(tag, result) if isinstance(result, Ranked) else result


def _current_key(spec: PolicySpec, current: str | None,
                 metadata: Mapping[str, TagFacts]) -> Ranked | None:
    """The current tag as this policy orders it; None when it cannot be ordered (then no downgrade guard)."""
    if current is None or spec.digest is not None:
        return None
    if spec.newest_build:
        result = build_key(current, metadata.get(current))
    else:
        text = version_text(spec, current)
        if text is None:
            return None
        result = read_key(spec, current, text, for_current=True)
    return result if isinstance(result, Ranked) else None


def _needs_metadata(spec: PolicySpec, rules: SelectionRules) -> bool:
    return spec.newest_build or spec.digest is not None or bool(rules.platforms)


def _unique(tags: Sequence[str]) -> list[str]:
    return sorted(set(tags))


def metadata_needed(spec: PolicySpec, rules: SelectionRules, tags: Sequence[str],
                    current: str | None) -> list[str]:
    """Tags whose :class:`TagFacts` the caller must fetch before :func:`select`, best candidates first.

    Only tags that survive the cheap filters, and (unless ``allow_downgrade``) only those that could still
    win over the current tag; for newest_build the current tag too, to guard against downgrades.
    """
    if not _needs_metadata(spec, rules):
        return []
    outcomes = [_cheap(spec, rules, tag, current) for tag in _unique(tags)]
    passed = [p for p in outcomes if isinstance(p, _Passed)]
    ranked = [p.ranked for p in passed if p.ranked is not None]
    unranked = sorted((p.tag for p in passed if p.ranked is None), reverse=True)
    current_key = _current_key(spec, current, {})
    if current_key is not None and not rules.allow_downgrade:
        ranked = [r for r in ranked if compare_keys(spec, r.key, current_key.key) > 0]
    needed = [r.tag for r in rank(spec, ranked)] + unranked
    if spec.newest_build and current is not None and current not in needed:
        needed.append(current)
    return needed


def _metadata_rejection(spec: PolicySpec, rules: SelectionRules, passed: _Passed,
                        metadata: Mapping[str, TagFacts]) -> Ranked | Rejected:
    tag = passed.tag
    info = metadata.get(tag)
    if rules.platforms:
        if info is None:
            return Rejected(tag, "no metadata fetched for this tag (platforms unknown)")
        lacking = missing_platforms(rules.platforms, info.platforms)
        if lacking:
            return Rejected(tag, "lacks platform " + ", ".join(lacking))
    if passed.ranked is not None:
        return passed.ranked
    if spec.newest_build:
        return build_key(tag, info)
    if info is None or info.digest is None:
        return Rejected(tag, "no digest fetched for this tag")
    return Ranked(tag, info.digest, info.digest)


def _chosen_phrase(spec: PolicySpec, best: Ranked) -> str:
    kind = spec.kind
    if kind == "semver":
        return f"highest version in range {spec.semver!r}"
    if kind == "newest_build":
        return f"newest build (created {best.shown})"
    if kind == "digest":
        return f"tracked tag {spec.digest!r} at {best.shown}"
    extreme = "greatest" if spec.direction == "asc" else "least"
    return f"{extreme} {kind} value {best.shown!r}"


def _ordered(verdicts: dict[str, Verdict], first: str | None) -> tuple[Verdict, ...]:
    head = [verdicts[first]] if first is not None and first in verdicts else []
    return tuple(head + [v for tag, v in sorted(verdicts.items()) if tag != first])


def _select_digest(spec: PolicySpec, current: str | None, current_digest: str | None,
                   candidate: Ranked | None, verdicts: dict[str, Verdict]) -> Decision:
    """Digest policy: follow one mutable tag and change only when the digest it points at moves."""
    tracked = spec.digest
    assert tracked is not None
    if candidate is None:
        why = verdicts[tracked].reason if tracked in verdicts else "it is not in the registry's tag list"
        reason = f"kept {current!r}: tracked tag {tracked!r} is not usable: {why}"
        return Decision(current, current, current_digest, False, reason, _ordered(verdicts, None))
    new_digest = str(candidate.key)
    changed = current != tracked or current_digest != new_digest
    verdicts[tracked] = Verdict(tracked, True, f"chosen: {_chosen_phrase(spec, candidate)}")
    if changed:
        was = f"{current}@{current_digest}" if current_digest else str(current)
        reason = f"{tracked}@{new_digest}: tracked tag {tracked!r} moved (was {was})"
    else:
        reason = f"kept {tracked}@{new_digest}: tracked tag {tracked!r} has not moved"
    return Decision(current, tracked, new_digest, changed, reason, _ordered(verdicts, tracked))


def select(spec: PolicySpec, rules: SelectionRules, tags: Sequence[str], current: str | None,
           metadata: Mapping[str, TagFacts] | None = None, *,
           current_digest: str | None = None) -> Decision:
    """Choose the tag to write for one image; raises PolicyError for numerical order over a non-number."""
    metadata = metadata or {}
    verdicts: dict[str, Verdict] = {}
    candidates: list[Ranked] = []
    for tag in _unique(tags):
        cheap = _cheap(spec, rules, tag, current)
        outcome: Ranked | Rejected
        if isinstance(cheap, Rejected):
            outcome = cheap
        elif _needs_metadata(spec, rules):
            outcome = _metadata_rejection(spec, rules, cheap, metadata)
        else:
            assert cheap.ranked is not None
            outcome = cheap.ranked
        if isinstance(outcome, Rejected):
            verdicts[tag] = Verdict(tag, False, outcome.reason)
        else:
            candidates.append(outcome)
    if spec.digest is not None:
        return _select_digest(spec, current, current_digest, candidates[0] if candidates else None, verdicts)

    ranked = rank(spec, candidates)
    current_key = _current_key(spec, current, metadata)
    if not ranked:
        return _no_candidate(rules, current, len(verdicts), verdicts)
    best = ranked[0]
    phrase = _chosen_phrase(spec, best)
    versus = compare_keys(spec, best.key, current_key.key) if current_key is not None else 1
    chosen: str | None
    if versus > 0 or (versus < 0 and rules.allow_downgrade):
        chosen = best.tag
        direction = "DOWNGRADE allowed by allow_downgrade, " if versus < 0 else ""
        reason = f"{best.tag}: {direction}{phrase}" + (f" (current {current})" if current is not None else "")
        if best.tag == current:
            reason = f"kept {current}: already the {phrase}"
    elif versus == 0:
        chosen = current
        same = "" if best.tag == current else f"; {best.tag} is the same version written differently"
        reason = f"kept {current}: already the {phrase}{same}"
    else:
        chosen = current
        reason = (f"kept {current}: it orders above every candidate (best {best.tag}); "
                  f"set allow_downgrade to move down")

    for candidate in ranked:
        if candidate.tag == chosen:
            verdicts[candidate.tag] = Verdict(candidate.tag, True, f"chosen: {phrase}")
            continue
        versus_current = compare_keys(spec, candidate.key, current_key.key) if current_key is not None else 1
        if candidate.tag == current:
            verdicts[candidate.tag] = Verdict(candidate.tag, True, f"current tag, superseded by {chosen}")
        elif versus_current == 0 and chosen == current:
            verdicts[candidate.tag] = Verdict(candidate.tag, False, f"same version as current {current}")
        elif versus_current < 0 and not rules.allow_downgrade:
            verdicts[candidate.tag] = Verdict(candidate.tag, False, f"older than current {current}")
        else:
            verdicts[candidate.tag] = Verdict(candidate.tag, True, f"candidate, ranked below {chosen}")
    return Decision(current, chosen, None, chosen != current, reason, _ordered(verdicts, chosen))


def _no_candidate(rules: SelectionRules, current: str | None, rejected: int,
                  verdicts: dict[str, Verdict]) -> Decision:
    if "*" in rules.ignore:
        reason = "paused: ignore glob '*' matches every tag"
    elif rejected:
        reason = f"no candidate: all {rejected} tags were rejected (see verdicts)"
    else:
        reason = "no candidate: the registry listed no tags"
    if current is not None:
        reason = f"kept {current}: {reason}"
    return Decision(current, current, None, False, reason, _ordered(verdicts, None))
