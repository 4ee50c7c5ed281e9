"""Choosing a tag: filters, then the kind's order, then the no-downgrade rule, with a verdict per tag.

Pure and kind-agnostic: every kind-specific step is a call on the spec's ``Kind`` (``kinds/``). The
registry client lists tags and fetches metadata for exactly the tags :func:`metadata_needed` names;
:func:`select` only reads what it is given, so ``plan`` and ``test`` can replay a decision from
recorded inputs.
"""

from __future__ import annotations

import bisect
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from image_updater.policy.filters import (
    compile_regex,
    is_artifact_tag,
    matching_ignore_glob,
    platform_rejection,
    suffix_rejection,
)
from image_updater.policy.kinds import Kind, Ranked, Rejected
from image_updater.policy.models import Decision, PolicySpec, SelectionRules, TagFacts, Verdict
from image_updater.policy.ordering import rank, version_text


@dataclass(frozen=True)
class _Passed:
    """A tag that passed the cheap filters; ``ranked`` is None while its key waits for metadata."""

    tag: str
    text: str
    ranked: Ranked | None


def _cheap(spec: PolicySpec, rules: SelectionRules, tag: str, current: str | None) -> _Passed | Rejected:
    """Every test that needs no registry round trip, in the order the verdict reports them."""
    kind = spec.policy_kind
    if not rules.include_artifacts and is_artifact_tag(tag):
        return Rejected(tag, "artefact tag (signature/attestation/SBOM)")
    if rules.exclude:
        excluded = next((rx for rx in rules.exclude if compile_regex(rx, "exclude").search(tag)), None)
        if excluded is not None:
            return Rejected(tag, f"rejected by exclusion regex {excluded!r}")
    glob = matching_ignore_glob(tag, rules.ignore) if rules.ignore else None
    if glob is not None:
        return Rejected(tag, f"rejected by ignore glob {glob!r}")
    if rules.allow is not None and not compile_regex(rules.allow, "allow").search(tag):
        return Rejected(tag, f"does not match allow regex {rules.allow!r}")
    refused = kind.admits(spec, tag)
    if refused is not None:
        return Rejected(tag, refused)
    text = version_text(spec, tag)
    if text is None:
        return Rejected(tag, f"does not match filter {spec.filter!r}")
    if spec.compatible_suffix and current is not None:
        why = suffix_rejection(tag, current)
        if why is not None:
            return Rejected(tag, why)
    if kind.needs_metadata:
        return _Passed(tag, text, None)
    result = kind.read(spec, tag, text, None, for_current=False)
    return _Passed(tag, text, result) if isinstance(result, Ranked) else result


def _needs_metadata(kind: Kind, rules: SelectionRules) -> bool:
    return kind.needs_metadata or bool(rules.platforms)


def _current_key(
    spec: PolicySpec, current: str | None, current_digest: str | None, metadata: Mapping[str, TagFacts]
) -> Ranked | None:
    text = version_text(spec, current) if current is not None else None
    facts = metadata.get(current) if current is not None else None
    return spec.policy_kind.current(spec, current, current_digest, facts, text)


def _unique(tags: Sequence[str]) -> list[str]:
    return sorted(set(tags))


def metadata_needed(spec: PolicySpec, rules: SelectionRules, tags: Sequence[str], current: str | None) -> list[str]:
    """Tags whose metadata the caller must fetch before :func:`select`, best candidates first.

    Only tags that survive the cheap filters, and (unless ``allow_downgrade``) only those that could still
    win over the current tag; for a kind that reads the current tag's facts, the current tag too.
    """
    kind = spec.policy_kind
    if not _needs_metadata(kind, rules):
        return []
    passed = [p for p in (_cheap(spec, rules, tag, current) for tag in _unique(tags)) if isinstance(p, _Passed)]
    ranked = [p.ranked for p in passed if p.ranked is not None]
    unranked = sorted((p.tag for p in passed if p.ranked is None), reverse=True)
    current_key = None if kind.needs_metadata else _current_key(spec, current, None, {})
    if current_key is not None and not rules.allow_downgrade:
        ranked = [r for r in ranked if kind.compare(spec, r.key, current_key.key) > 0]
    needed = [r.tag for r in rank(spec, ranked)] + unranked
    if kind.reads_current_facts and current is not None and current not in needed:
        needed.append(current)
    return needed


def _with_metadata(
    spec: PolicySpec, rules: SelectionRules, passed: _Passed, metadata: Mapping[str, TagFacts]
) -> Ranked | Rejected:
    tag, facts = passed.tag, metadata.get(passed.tag)
    if rules.platforms:
        if facts is None:
            return Rejected(tag, "no metadata fetched for this tag (platforms unknown)")
        refused = platform_rejection(rules.platforms, facts.platforms, rules.platforms_match)
        if refused is not None:
            return Rejected(tag, refused)
    if passed.ranked is not None:
        return passed.ranked
    return spec.policy_kind.read(spec, tag, passed.text, facts, for_current=False)


def _ordered(verdicts: dict[str, Verdict], first: str | None) -> tuple[Verdict, ...]:
    head = [verdicts[first]] if first is not None and first in verdicts else []
    return tuple(head + [v for tag, v in sorted(verdicts.items()) if tag != first])


def _shown(tag: str | None, digest: str | None) -> str:
    return f"{tag}@{digest}" if digest else str(tag)


class Selector:
    """One image's tag list judged once, then decided for every current version it is asked about.

    Judging a tag (filters, parsing, the range) does not depend on the current tag unless
    ``compatible_suffix`` compares suffixes, so the judgements are shared by every current version
    of the image: on a 2,000-file repository (200 images × 50 tags, 2,842 current versions) deciding
    one version at a time read the same tags 142,100 times and was 16 of plan's 35 profiled seconds.
    Each decision is kept too, so a caller holding the selector across cycles decides again only
    when the tags or their metadata changed (``same_inputs``).
    """

    def __init__(
        self,
        spec: PolicySpec,
        rules: SelectionRules,
        tags: Sequence[str],
        metadata: Mapping[str, TagFacts] | None = None,
    ) -> None:
        self.spec, self.rules = spec, rules
        self.tags = tuple(tags)
        self.metadata = dict(metadata or {})
        self._judged: dict[str | None, tuple[dict[str, Verdict], list[Ranked]]] = {}
        self._decided: dict[tuple[str | None, str | None], Decision] = {}

    def same_inputs(
        self, spec: PolicySpec, rules: SelectionRules, tags: Sequence[str], metadata: Mapping[str, TagFacts]
    ) -> bool:
        """Whether this selector decides exactly as a new one for these inputs would."""
        same_spec = spec is self.spec or spec == self.spec
        same_rules = rules is self.rules or rules == self.rules
        return same_spec and same_rules and tuple(tags) == self.tags and metadata == self.metadata

    def decide(self, current: str | None, current_digest: str | None = None) -> Decision:
        """Choose the tag to write; raises PolicyError for numerical order over a non-number."""
        key = (current, current_digest)
        known = self._decided.get(key)
        if known is None:
            known = self._decided[key] = self._decide(current, current_digest)
        return known

    def _judgements(self, current: str | None) -> tuple[dict[str, Verdict], list[Ranked]]:
        """The rejected tags' verdicts and the candidates, best first (per current only for suffixes)."""
        key = current if self.spec.compatible_suffix else None
        judged = self._judged.get(key)
        if judged is None:
            rejected: dict[str, Verdict] = {}
            candidates: list[Ranked] = []
            for tag in _unique(self.tags):
                outcome = _judge(self.spec, self.rules, tag, current, self.metadata)
                if isinstance(outcome, Rejected):
                    rejected[tag] = Verdict(tag, False, outcome.reason)
                else:
                    candidates.append(outcome)
            judged = self._judged[key] = (rejected, rank(self.spec, candidates))
        return judged

    def _decide(self, current: str | None, current_digest: str | None) -> Decision:
        spec, rules, kind = self.spec, self.rules, self.spec.policy_kind
        rejected, ranked = self._judgements(current)
        verdicts = dict(rejected)
        if not ranked:
            return _no_candidate(spec, rules, current, current_digest, verdicts)
        current_key = _current_key(spec, current, current_digest, self.metadata)
        chosen, digest, reason = _choose(spec, rules, ranked[0], current, current_digest, current_key)
        phrase = kind.phrase(spec, ranked[0])

        def explain() -> tuple[Verdict, ...]:
            # ``ranked`` is ordered by the kind's comparison, so the candidates above the current version are
            # a prefix and the ones equal to it follow: two bisections instead of a comparison per candidate.
            above = equal_end = len(ranked)
            if current_key is not None:
                against = current_key.key

                def versus(candidate: Ranked) -> int:
                    return -kind.compare(spec, candidate.key, against)

                above = bisect.bisect_left(ranked, 0, key=versus)
                equal_end = bisect.bisect_right(ranked, 0, key=versus)
            for position, candidate in enumerate(ranked):
                order = 1 if position < above else (0 if position < equal_end else -1)
                verdicts[candidate.tag] = _candidate_verdict(rules, candidate.tag, order, chosen, current, phrase)
            return _ordered(verdicts, chosen)

        changed = chosen != current or (kind.writes_digest and digest != current_digest)
        return Decision(current, chosen, digest, changed, reason, explain)


def select(
    spec: PolicySpec,
    rules: SelectionRules,
    tags: Sequence[str],
    current: str | None,
    metadata: Mapping[str, TagFacts] | None = None,
    *,
    current_digest: str | None = None,
) -> Decision:
    """Choose the tag to write for one image; raises PolicyError for numerical order over a non-number."""
    return Selector(spec, rules, tags, metadata).decide(current, current_digest)


def _judge(
    spec: PolicySpec, rules: SelectionRules, tag: str, current: str | None, metadata: Mapping[str, TagFacts]
) -> Ranked | Rejected:
    """One tag through the cheap filters, then (when the kind or the platforms need it) its metadata."""
    cheap = _cheap(spec, rules, tag, current)
    if isinstance(cheap, Rejected):
        return cheap
    if _needs_metadata(spec.policy_kind, rules):
        return _with_metadata(spec, rules, cheap, metadata)
    assert cheap.ranked is not None
    return cheap.ranked


def _choose(
    spec: PolicySpec,
    rules: SelectionRules,
    best: Ranked,
    current: str | None,
    current_digest: str | None,
    current_key: Ranked | None,
) -> tuple[str | None, str | None, str]:
    """(tag, digest, reason): the best candidate unless it would be a downgrade nobody allowed."""
    kind = spec.policy_kind
    phrase = kind.phrase(spec, best)
    digest = str(best.key) if kind.writes_digest else None
    target = _shown(best.tag, digest)
    was = _shown(current, current_digest if kind.writes_digest else None)
    versus = kind.compare(spec, best.key, current_key.key) if current_key is not None else 1
    if versus > 0 or (versus < 0 and rules.allow_downgrade):
        if target == was:
            return best.tag, digest, f"kept {was}: already the {phrase}"
        direction = "DOWNGRADE allowed by allow_downgrade, " if versus < 0 else ""
        return best.tag, digest, f"{target}: {direction}{phrase}" + (f" (current {was})" if current else "")
    if versus == 0:
        same = (
            "" if best.tag == current or kind.writes_digest else f"; {best.tag} is the same version written differently"
        )
        return current, current_digest if kind.writes_digest else None, f"kept {was}: already the {phrase}{same}"
    return (
        current,
        None,
        (f"kept {current}: it orders above every candidate (best {best.tag}); set allow_downgrade to move down"),
    )


def _candidate_verdict(
    rules: SelectionRules, tag: str, versus: int, chosen: str | None, current: str | None, phrase: str
) -> Verdict:
    """``versus``: how the candidate compares with the current version (1 above, 0 equal, -1 below)."""
    if tag == chosen:
        return Verdict(tag, True, f"chosen: {phrase}")
    if tag == current:
        return Verdict(tag, True, f"current tag, superseded by {chosen}")
    if versus == 0 and chosen == current:
        return Verdict(tag, False, f"same version as current {current}")
    if versus < 0 and not rules.allow_downgrade:
        return Verdict(tag, False, f"older than current {current}")
    return Verdict(tag, True, f"candidate, ranked below {chosen}")


def _no_candidate(
    spec: PolicySpec,
    rules: SelectionRules,
    current: str | None,
    current_digest: str | None,
    verdicts: dict[str, Verdict],
) -> Decision:
    rejected = len(verdicts)
    unusable = spec.policy_kind.unusable(spec, {tag: v.reason for tag, v in verdicts.items()})
    if "*" in rules.ignore:
        reason = "paused: ignore glob '*' matches every tag"
    elif unusable is not None:
        reason = unusable
    elif rejected:
        reason = f"no candidate: all {rejected} tags were rejected (see verdicts)"
    else:
        reason = "no candidate: the registry listed no tags"
    digest = current_digest if spec.policy_kind.writes_digest else None
    if current is not None:
        reason = f"kept {_shown(current, digest)}: {reason}"
    return Decision(current, current, digest, False, reason, functools.partial(_ordered, verdicts, None))
