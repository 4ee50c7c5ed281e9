"""filter + extract + order (Flux's filterTags with alphabetical/numerical policies)."""

from __future__ import annotations

import pytest

from image_updater.errors import PolicyError
from image_updater.policy import PolicySpec, SelectionRules, select

NO_RULES = SelectionRules()
FLUX_BUILD = r"^main-[a-fA-F0-9]+-(?P<ts>\d+)"  # Flux docs' example for timestamped builds


@pytest.mark.parametrize(
    ("spec", "tags", "current", "chosen"),
    [
        # alphabetical asc picks the greatest, desc the least (Flux)
        (dict(order="alphabetical"), ["a", "c", "b"], None, "c"),
        (dict(order="alphabetical", direction="desc"), ["a", "c", "b"], None, "a"),
        # RFC3339-ish timestamps order alphabetically
        (
            dict(order="alphabetical", filter=r"^\d{4}-\d{2}-\d{2}T"),
            ["2024-01-02T10-00", "2023-12-31T23-59", "x"],
            None,
            "2024-01-02T10-00",
        ),
        # numerical: 10 > 9 (not alphabetical)
        (dict(order="numerical"), ["9", "10", "2"], None, "10"),
        (dict(order="numerical", direction="desc"), ["9", "10", "2"], None, "2"),
        (dict(order="numerical"), ["1.5", "1.25", "-3", "1e2"], None, "1e2"),
        # extract the ordered value with $name, ${name} and $1; the original tag is written
        (
            dict(order="numerical", filter=FLUX_BUILD, extract="$ts"),
            ["main-abc123-1700000100", "main-fff000-1700000009", "pr-1-1800000000", "latest"],
            None,
            "main-abc123-1700000100",
        ),
        (dict(order="numerical", filter=FLUX_BUILD, extract="${ts}"), ["main-a-5", "main-b-40"], None, "main-b-40"),
        (
            dict(order="numerical", filter=r"^build-(\d+)$", extract="$1"),
            ["build-7", "build-12", "build-x"],
            None,
            "build-12",
        ),
        # Go/RE2 named-group spelling is accepted too
        (dict(order="numerical", filter=r"^rel-(?<n>\d+)$", extract="$n"), ["rel-3", "rel-20"], None, "rel-20"),
        # a literal around the groups
        (
            dict(order="alphabetical", filter=r"^(?P<y>\d{4})\.(?P<m>\d{2})$", extract="$y-${m}"),
            ["2023.12", "2024.01"],
            None,
            "2024.01",
        ),
        # the current tag is ordered too: never downgrade
        (dict(order="numerical"), ["5", "7"], "9", "9"),
        (dict(order="alphabetical", direction="desc"), ["b", "c"], "a", "a"),
    ],
)
def test_order_table(spec: dict[str, str], tags: list[str], current: str | None, chosen: str) -> None:
    decision = select(PolicySpec.model_validate(spec), NO_RULES, tags, current)
    assert decision.chosen == chosen, decision.reason
    assert decision.changed == (chosen != current)


def test_numerical_over_a_non_number_fails_naming_the_tag() -> None:
    with pytest.raises(PolicyError, match=r"tag 'v10' is not a number"):
        select(PolicySpec(order="numerical"), NO_RULES, ["9", "v10"], None)
    spec = PolicySpec(order="numerical", filter=r"^b-(?P<n>.*)$", extract="$n")
    with pytest.raises(PolicyError, match=r"tag 'b-1a' \(extracted '1a'\) is not a number"):
        select(spec, NO_RULES, ["b-1", "b-1a"], None)


def test_numerical_skips_commit_hashes_and_filtered_out_tags() -> None:
    decision = select(
        PolicySpec(order="numerical"), SelectionRules(ignore=["latest"]), ["12", "abc1234", "latest"], None
    )
    assert decision.chosen == "12"
    assert decision.verdict("abc1234").reason == "commit hash 'abc1234' is not read as a number"


def test_numerical_current_that_is_not_a_number_is_not_an_error() -> None:
    decision = select(PolicySpec(order="numerical"), NO_RULES, ["3", "4"], "stable")
    assert (decision.chosen, decision.changed) == ("4", True)


@pytest.mark.parametrize("order", ["alphabetical", "numerical"])
@pytest.mark.parametrize("direction", ["asc", "desc"])
def test_extract_collisions_break_ties_by_greatest_tag(order: str, direction: str) -> None:
    spec = PolicySpec.model_validate(
        dict(order=order, direction=direction, filter=r"^(?:x|y|z)-(?P<n>\d+)$", extract="$n")
    )
    tags = ["x-5", "z-5", "y-5"]
    for ordering in (tags, list(reversed(tags)), sorted(tags)):
        decision = select(spec, NO_RULES, ordering, None)
        assert decision.chosen == "z-5"


def test_collision_with_current_is_not_an_update() -> None:
    spec = PolicySpec(order="numerical", filter=r"^(?:x|y)-(?P<n>\d+)$", extract="$n")
    decision = select(spec, NO_RULES, ["x-5", "y-5"], "x-5")
    assert (decision.chosen, decision.changed) == ("x-5", False)
    assert decision.verdict("y-5").reason == "same version as current x-5"


def test_verdict_reasons_for_order() -> None:
    decision = select(PolicySpec(order="numerical", filter=r"^\d+$"), NO_RULES, ["1", "3", "2", "x"], "2")
    assert [(v.tag, v.accepted, v.reason) for v in decision.verdicts] == [
        ("3", True, "chosen: greatest numerical value '3'"),
        ("1", False, "older than current 2"),
        ("2", True, "current tag, superseded by 3"),
        ("x", False, r"does not match filter '^\\d+$'"),
    ]
    assert decision.reason == "3: greatest numerical value '3' (current 2)"


def test_exclude_drops_matching_tags_before_the_policy_and_says_which_regex() -> None:
    """Flux's exclusionList: unanchored regexes; a tag matching any is never a candidate."""
    rules = SelectionRules(exclude=[r"^RELEASE\.2024-07-", r"\.fips$"])
    spec = PolicySpec(order="alphabetical", filter=r"^RELEASE\.(?P<ts>.*)Z", extract="$ts")
    tags = ["RELEASE.2024-05-10T16-50-59Z", "RELEASE.2024-06-20T07-42-01Z", "RELEASE.2024-07-15T00-00-00Z"]
    decision = select(spec, rules, [*tags, "RELEASE.2024-06-20T07-42-01Z.fips"], tags[0])
    assert decision.chosen == "RELEASE.2024-06-20T07-42-01Z"
    assert decision.verdict(tags[2]).reason == r"rejected by exclusion regex '^RELEASE\\.2024-07-'"
    assert decision.verdict("RELEASE.2024-06-20T07-42-01Z.fips").reason == r"rejected by exclusion regex '\\.fips$'"
    assert select(spec, NO_RULES, tags, tags[0]).chosen == tags[2]  # without it the July tag wins


def test_an_exclude_regex_that_does_not_compile_is_refused_naming_its_index() -> None:
    with pytest.raises(ValueError, match=r"exclude\[1\]: invalid regular expression"):
        SelectionRules(exclude=["ok", "(unclosed"])
