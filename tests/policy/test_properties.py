"""Properties every decision must have, whatever the tags: checked with hypothesis."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from image_updater.policy import Decision, PolicySpec, SelectionRules, Selector, parse_version, select
from image_updater.registry import TagMetadata

SPECS = [
    PolicySpec(semver="*"),
    PolicySpec(semver="^1.0"),
    PolicySpec(semver=">=1.0.0-0 <3"),
    PolicySpec(semver="~1.2 || >=2.1.0-rc.0", lenient=True),
    PolicySpec(semver="*", compatible_suffix=True),
    PolicySpec(order="alphabetical"),
    PolicySpec(order="alphabetical", direction="desc"),
    PolicySpec(order="numerical", filter=r"^\d+$"),
    PolicySpec(order="numerical", direction="desc", filter=r"^b-(?P<n>\d+)$", extract="$n"),
    PolicySpec(newest_build=True),
]

_num = st.integers(min_value=0, max_value=12).map(str)
_semverish = st.builds(
    lambda v, major, minor, patch, pre: f"{v}{major}.{minor}" + (f".{patch}" if patch else "") + pre,
    st.sampled_from(["", "v"]),
    _num,
    _num,
    st.one_of(st.none(), _num),
    st.sampled_from(["", "-rc.1", "-rc.2", "-alpine", "-0", "-beta"]),
)
TAGS = st.one_of(
    _semverish,
    _num,
    st.builds(lambda n: f"b-{n}", _num),
    st.sampled_from(["latest", "main", "abcdef0", "1.0.0.sig", "sha256-" + "0" * 64 + ".att", "stable"]),
)
TAG_LISTS = st.lists(TAGS, max_size=12)
RULES = st.builds(
    SelectionRules,
    allow_downgrade=st.booleans(),
    ignore=st.lists(st.sampled_from(["*-rc*", "latest", "1.*"]), max_size=2),
)
BUILD_TIMES = st.dictionaries(TAGS, st.integers(min_value=0, max_value=5), max_size=12)
T0 = datetime(2024, 1, 1, tzinfo=UTC)


def _metadata(times: dict[str, int]) -> dict[str, TagMetadata]:
    return {tag: TagMetadata(created=T0 + timedelta(hours=h)) for tag, h in times.items()}


def _value(spec: PolicySpec, tag: str, meta: dict[str, TagMetadata]) -> object | None:
    """An independent reading of the value a policy orders ``tag`` by; None when it has none."""
    if spec.kind == "semver":
        text = tag.partition("-")[0] if spec.compatible_suffix else tag
        return parse_version(text, lenient=spec.lenient or spec.compatible_suffix)
    if spec.kind == "newest_build":
        return meta[tag].created if tag in meta else None
    if spec.kind == "numerical":
        match = re.fullmatch(r"(\d+)" if spec.extract is None else r"b-(\d+)", tag)
        return Decimal(match.group(1)) if match else None
    return tag


def _orders_above(spec: PolicySpec, a: str, b: str, meta: dict[str, TagMetadata]) -> bool | None:
    """Whether ``a`` is strictly preferred over ``b``; None when ``b`` cannot be ordered."""
    va, vb = _value(spec, a, meta), _value(spec, b, meta)
    if vb is None:
        return None
    assert va is not None
    if spec.order is not None and spec.direction == "desc":
        return bool(va < vb)  # type: ignore[operator]
    return bool(va > vb)  # type: ignore[operator]


def _decide(
    spec: PolicySpec, rules: SelectionRules, tags: list[str], current: str | None, meta: dict[str, TagMetadata]
) -> Decision:
    return select(spec, rules, tags, current, meta)


@settings(max_examples=150, deadline=None)
@given(
    spec=st.sampled_from(SPECS),
    rules=RULES,
    tags=TAG_LISTS,
    current=st.one_of(st.none(), TAGS),
    times=BUILD_TIMES,
    seed=st.randoms(use_true_random=False),
)
def test_decision_properties(
    spec: PolicySpec, rules: SelectionRules, tags: list[str], current: str | None, times: dict[str, int], seed: object
) -> None:
    meta = _metadata(times)
    decision = _decide(spec, rules, tags, current, meta)

    # the chosen tag is one of the listed tags, or the current one
    assert decision.chosen is None or decision.chosen in tags or decision.chosen == current
    assert decision.changed == (decision.chosen != current)
    if current is not None:
        assert decision.chosen is not None

    # one verdict per distinct tag; the chosen listed tag is accepted
    assert sorted(v.tag for v in decision.verdicts) == sorted(set(tags))
    assert all(v.reason for v in decision.verdicts)
    if decision.changed and decision.chosen is not None:
        assert decision.verdict(decision.chosen).accepted

    # never below the current tag without allow_downgrade
    if decision.changed and current is not None and decision.chosen is not None and not rules.allow_downgrade:
        above = _orders_above(spec, decision.chosen, current, meta)
        assert above in (True, None), (decision.chosen, current, decision.reason)

    # the list order does not matter
    shuffled = list(tags)
    seed.shuffle(shuffled)  # type: ignore[attr-defined]
    assert _decide(spec, rules, shuffled + tags[:2], current, meta) == decision


@settings(max_examples=150, deadline=None)
@given(
    spec=st.sampled_from(SPECS),
    rules=RULES,
    tags=TAG_LISTS,
    currents=st.lists(st.one_of(st.none(), TAGS), min_size=1, max_size=6),
    times=BUILD_TIMES,
)
def test_one_selector_asked_about_many_current_tags_decides_each_as_a_fresh_selection(
    spec: PolicySpec, rules: SelectionRules, tags: list[str], currents: list[str | None], times: dict[str, int]
) -> None:
    # The selector judges the tags once and shares that between current tags (per current only when
    # compatible_suffix compares suffixes); every decision must still be the one a fresh selection makes.
    meta = _metadata(times)
    selector = Selector(spec, rules, tags, meta)
    for current in currents:
        assert selector.decide(current) == _decide(spec, rules, tags, current, meta)


@settings(max_examples=150, deadline=None)
@given(spec=st.sampled_from(SPECS), rules=RULES, tags=TAG_LISTS, current=TAGS, times=BUILD_TIMES)
def test_each_candidate_verdict_agrees_with_an_independent_comparison_to_the_current_tag(
    spec: PolicySpec, rules: SelectionRules, tags: list[str], current: str, times: dict[str, int]
) -> None:
    # Candidates are placed against the current tag by bisecting the ranked list, not compared one by one.
    meta = _metadata(times)
    decision = _decide(spec, rules, tags, current, meta)
    if _value(spec, current, meta) is None:  # a current tag the policy cannot order: nothing is placed against it
        placed = ("older than current", "same version as current")
        assert not any(v.reason.startswith(placed) for v in decision.verdicts)
        return
    for verdict in decision.verdicts:
        if verdict.reason.startswith("older than current"):
            assert _orders_above(spec, current, verdict.tag, meta) is True, verdict
        elif verdict.reason.startswith("same version as current"):
            assert not _orders_above(spec, current, verdict.tag, meta), verdict
            assert not _orders_above(spec, verdict.tag, current, meta), verdict
        elif verdict.reason.startswith("candidate, ranked below") and not rules.allow_downgrade:
            assert not _orders_above(spec, current, verdict.tag, meta), verdict
