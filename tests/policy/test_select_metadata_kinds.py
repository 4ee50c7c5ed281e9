"""digest, newest_build, platforms and the compatibility suffix, from the tools' documented behaviour."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from image_updater.policy import PolicySpec, SelectionRules, metadata_needed, select
from image_updater.registry import TagMetadata

NO_RULES = SelectionRules()
T0 = datetime(2024, 1, 1, tzinfo=UTC)
AMD_ARM = frozenset({"linux/amd64", "linux/arm64", "linux/arm64/v8"})


def built(hours: int, platforms: frozenset[str] = frozenset({"linux/amd64"})) -> TagMetadata:
    created = T0 + timedelta(hours=hours)
    return TagMetadata(digest=f"sha256:{hours:064d}", created=created, platforms=platforms)


# --- compatibility suffix (Renovate docker versioning) -------------------------------------------------


@pytest.mark.parametrize(
    ("tags", "current", "chosen"),
    [
        (["1.2-alpine", "1.3-alpine", "1.3", "1.4-bookworm", "1.3.1-alpine"], "1.2-alpine", "1.3-alpine"),
        (["12.15.0-alpine", "12.16.0", "12.16.0-alpine", "12.16.0-stretch"], "12.15.0-alpine", "12.16.0-alpine"),
        (["1.2.3", "1.2.4-alpine", "1.2.4"], "1.2.3", "1.2.4"),
        (["v1.2-alpine", "v1.10-alpine"], "v1.2-alpine", "v1.10-alpine"),
    ],
)
def test_compatible_suffix(tags: list[str], current: str, chosen: str) -> None:
    spec = PolicySpec(semver="*", compatible_suffix=True)
    decision = select(spec, NO_RULES, tags, current)
    assert decision.chosen == chosen, decision.reason


def test_compatible_suffix_reasons() -> None:
    spec = PolicySpec(semver="*", compatible_suffix=True)
    decision = select(spec, NO_RULES, ["1.3", "1.3.1-alpine", "1.4-bookworm", "1.3-alpine"], "1.2-alpine")
    wrong_suffix = "suffix differs from current '1.2-alpine' (wants -alpine)"
    assert decision.verdict("1.3").reason == wrong_suffix
    assert decision.verdict("1.4-bookworm").reason == wrong_suffix
    assert decision.verdict("1.3.1-alpine").reason == "has 3 version parts, current '1.2-alpine' has 2"
    plain = select(spec, NO_RULES, ["1.3-alpine"], "1.2")
    assert plain.verdict("1.3-alpine").reason == "suffix differs from current '1.2' (wants no suffix)"


def test_without_compatible_suffix_alpine_is_a_pre_release() -> None:
    decision = select(PolicySpec(semver="*"), NO_RULES, ["1.2.0", "1.3.0-alpine"], "1.2.0")
    assert decision.chosen == "1.2.0"
    assert decision.verdict("1.3.0-alpine").reason == "pre-release not allowed by range '*'"


# --- digest (argocd-image-updater) ----------------------------------------------------------------------


def test_digest_tracks_a_mutable_tag() -> None:
    spec = PolicySpec(digest="latest")
    tags = ["latest", "1.0.0"]
    assert metadata_needed(spec, NO_RULES, tags, "latest") == ["latest"]
    meta = {"latest": TagMetadata(digest="sha256:" + "b" * 64)}
    moved = select(spec, NO_RULES, tags, "latest", meta, current_digest="sha256:" + "a" * 64)
    assert (moved.chosen, moved.digest, moved.changed) == ("latest", "sha256:" + "b" * 64, True)
    assert moved.verdict("1.0.0").reason == "not the tracked tag 'latest'"
    same = select(spec, NO_RULES, tags, "latest", meta, current_digest="sha256:" + "b" * 64)
    assert (same.chosen, same.digest, same.changed) == ("latest", "sha256:" + "b" * 64, False)
    assert same.reason == f"kept latest@sha256:{'b' * 64}: already the digest of tracked tag 'latest'"
    pin = select(spec, NO_RULES, tags, "latest", meta)
    assert (pin.digest, pin.changed) == ("sha256:" + "b" * 64, True)
    switch = select(spec, NO_RULES, tags, "1.0.0", meta)
    assert (switch.chosen, switch.changed) == ("latest", True)


def test_digest_changes_only_when_the_digest_differs_whatever_tag_name_the_file_carries() -> None:
    # docs/policies.md: "changes only when the digest the tag points to differs from the one in the file"
    spec = PolicySpec(digest="latest")
    meta = {"latest": TagMetadata(digest="sha256:" + "b" * 64)}
    same_image = select(spec, NO_RULES, ["latest", "1.0"], "1.0", meta, current_digest="sha256:" + "b" * 64)
    assert (same_image.chosen, same_image.digest, same_image.changed) == ("1.0", "sha256:" + "b" * 64, False)
    other_image = select(spec, NO_RULES, ["latest", "1.0"], "1.0", meta, current_digest="sha256:" + "a" * 64)
    assert (other_image.chosen, other_image.digest, other_image.changed) == ("latest", "sha256:" + "b" * 64, True)


def test_digest_when_tracked_tag_is_missing_or_ignored() -> None:
    spec = PolicySpec(digest="latest")
    gone = select(spec, NO_RULES, ["1.0.0"], "latest", {}, current_digest="sha256:" + "a" * 64)
    assert (gone.chosen, gone.digest, gone.changed) == ("latest", "sha256:" + "a" * 64, False)
    assert "not in the registry's tag list" in gone.reason
    paused = select(spec, SelectionRules(ignore=["*"]), ["latest"], "latest")
    assert not paused.changed
    assert paused.verdict("latest").reason == "rejected by ignore glob '*'"
    assert metadata_needed(spec, SelectionRules(ignore=["*"]), ["latest"], "latest") == []


def test_digest_honours_platforms() -> None:
    spec = PolicySpec(digest="latest")
    rules = SelectionRules(platforms=["linux/arm64"])
    meta = {"latest": TagMetadata(digest="sha256:" + "c" * 64, platforms=frozenset({"linux/amd64"}))}
    decision = select(spec, rules, ["latest"], "latest", meta)
    assert not decision.changed
    assert decision.verdict("latest").reason == "lacks platform linux/arm64 (platforms_match: all)"


# --- newest_build (argocd-image-updater) ----------------------------------------------------------------


def test_newest_build_orders_by_creation_time() -> None:
    spec = PolicySpec(newest_build=True, filter="^main-")
    tags = ["main-aaa", "main-bbb", "main-ccc", "pr-9", "latest"]
    needed = metadata_needed(spec, NO_RULES, tags, "main-aaa")
    assert needed == ["main-ccc", "main-bbb", "main-aaa"]  # only tags passing the filter (and the current)
    meta = {"main-aaa": built(1), "main-bbb": built(30), "main-ccc": built(20)}
    decision = select(spec, NO_RULES, tags, "main-aaa", meta)
    assert (decision.chosen, decision.changed) == ("main-bbb", True)
    assert decision.verdicts[0].reason == "chosen: newest build (created 2024-01-02T06:00:00Z)"
    assert decision.verdict("pr-9").reason == "does not match filter '^main-'"


def test_newest_build_ties_go_to_the_lexically_greatest_tag() -> None:
    spec = PolicySpec(newest_build=True)
    meta = {"a": built(5), "c": built(5), "b": built(5)}
    for tags in (["a", "b", "c"], ["c", "b", "a"]):
        assert select(spec, NO_RULES, tags, None, meta).chosen == "c"


def test_newest_build_does_not_downgrade_and_needs_current_metadata() -> None:
    spec = PolicySpec(newest_build=True)
    meta = {"old": built(1), "new": built(9)}
    assert metadata_needed(spec, NO_RULES, ["old"], "new") == ["old", "new"]
    kept = select(spec, NO_RULES, ["old"], "new", meta)
    assert (kept.chosen, kept.changed) == ("new", False)
    assert kept.verdict("old").reason == "older than current new"
    assert select(spec, SelectionRules(allow_downgrade=True), ["old"], "new", meta).chosen == "old"


def test_newest_build_without_created_is_rejected() -> None:
    spec = PolicySpec(newest_build=True)
    decision = select(spec, NO_RULES, ["a", "b", "c"], None, {"a": TagMetadata(created=None), "b": built(1)})
    assert decision.chosen == "b"
    assert decision.verdict("a").reason == "no creation time in the image config"
    assert decision.verdict("c").reason == "no metadata fetched for this tag"


def test_naive_creation_times_are_utc() -> None:
    spec = PolicySpec(newest_build=True)
    meta = {"a": TagMetadata(created=datetime(2024, 1, 1, 12)), "b": built(11)}
    assert select(spec, NO_RULES, ["a", "b"], None, meta).chosen == "a"


# --- platforms --------------------------------------------------------------------------------------


def test_platforms_every_listed_platform_is_required() -> None:
    spec = PolicySpec(semver="*")
    rules = SelectionRules(platforms=["linux/amd64", "linux/arm64"])
    tags = ["1.0.0", "1.1.0", "1.2.0"]
    assert metadata_needed(spec, rules, tags, "1.0.0") == ["1.2.0", "1.1.0"]  # best first, only above current
    meta = {"1.1.0": built(1, AMD_ARM), "1.2.0": built(2)}
    decision = select(spec, rules, tags, "1.0.0", meta)
    assert decision.chosen == "1.1.0"
    assert decision.verdict("1.2.0").reason == "lacks platform linux/arm64 (platforms_match: all)"


@pytest.mark.parametrize(
    ("wanted", "offered", "ok"),
    [
        ("linux/arm", {"linux/arm", "linux/arm/v7"}, True),  # no variant: any variant
        ("linux/arm/v7", {"linux/arm", "linux/arm/v6"}, False),  # variant must match
        ("linux/arm/v7", {"linux/arm", "linux/arm/v7"}, True),
        ("linux/arm64/v8", {"linux/arm64"}, True),  # arm64 defaults to v8
        ("linux/amd64", {"linux/arm64"}, False),
        ("windows/amd64", {"linux/amd64"}, False),
    ],
)
def test_platform_variants(wanted: str, offered: set[str], ok: bool) -> None:
    rules = SelectionRules(platforms=[wanted])
    decision = select(
        PolicySpec(order="alphabetical"), rules, ["t"], None, {"t": TagMetadata(platforms=frozenset(offered))}
    )
    assert (decision.chosen == "t") is ok
    if not ok:
        assert decision.verdict("t").reason == f"lacks platform {wanted} (platforms_match: all)"


def test_no_metadata_needed_for_plain_tag_policies() -> None:
    assert metadata_needed(PolicySpec(semver="*"), NO_RULES, ["1.0.0"], None) == []
