"""semver policy through ``select``: what Flux and argocd-image-updater document, plus our choices."""

from __future__ import annotations

import pytest

from image_updater.policy import Decision, PolicySpec, SelectionRules, Verdict, select

NO_RULES = SelectionRules()


def choose(
    range_text: str, tags: list[str], current: str | None, *, lenient: bool = False, rules: SelectionRules = NO_RULES
) -> Decision:
    return select(PolicySpec(semver=range_text, lenient=lenient), rules, tags, current)


@pytest.mark.parametrize(
    ("range_text", "tags", "current", "chosen", "changed"),
    [
        # Flux: the original tag string (with v) is what gets written
        ("^1.0", ["v1.0.0", "v1.2.0", "v2.0.0"], "v1.0.0", "v1.2.0", True),
        ("^1.0", ["1.0.0", "v1.3.0"], "1.0.0", "v1.3.0", True),
        # non-semver tags are skipped, not errors
        ("*", ["latest", "main", "1.0.0", "stable-1.1"], "1.0.0", "1.0.0", False),
        # empty range = any non-pre-release (argocd)
        ("", ["1.0.0", "1.1.0", "2.0.0-rc.1"], "1.0.0", "1.1.0", True),
        # pre-releases only when the range carries one
        (">=1.0.0-0", ["1.0.0", "1.1.0-rc.1"], "1.0.0", "1.1.0-rc.1", True),
        (">=1.0.0", ["1.0.0", "1.1.0-rc.1"], "1.0.0", "1.0.0", False),
        # the release beats its own pre-releases
        (">=1.0.0-0", ["1.1.0-rc.1", "1.1.0-rc.10", "1.1.0-rc.2", "1.1.0"], None, "1.1.0", True),
        (">=1.0.0-0", ["1.1.0-rc.1", "1.1.0-rc.10", "1.1.0-rc.2"], None, "1.1.0-rc.10", True),
        # no tag in the file yet: the best candidate is chosen
        ("~1.2", ["1.2.0", "1.2.7", "1.3.0"], None, "1.2.7", True),
        # current already highest
        ("^1", ["1.0.0", "1.4.0"], "1.4.0", "1.4.0", False),
        # commit hashes are never versions (but all-digit tags are not hashes)
        ("*", ["1.0.0", "abcdef1"], "1.0.0", "1.0.0", False),
    ],
)
def test_semver_table(range_text: str, tags: list[str], current: str | None, chosen: str, changed: bool) -> None:
    decision = choose(range_text, tags, current)
    assert (decision.chosen, decision.changed) == (chosen, changed), decision.reason
    assert decision.digest is None


def test_equal_versions_written_differently_are_not_an_update() -> None:
    decision = choose("*", ["1.0.0", "v1.0.0"], "1.0.0")
    assert (decision.chosen, decision.changed) == ("1.0.0", False)
    assert "same version written differently" in decision.reason
    assert decision.verdict("v1.0.0").reason == "same version as current 1.0.0"
    lenient = choose("*", ["1.0", "1.0.0", "1"], "1.0", lenient=True)
    assert (lenient.chosen, lenient.changed) == ("1.0", False)


def test_lenient_accepts_short_versions_and_orders_them() -> None:
    decision = choose("^1", ["1", "1.1", "1.10", "1.9.3", "2"], "1.1", lenient=True)
    assert decision.chosen == "1.10"
    strict = choose("^1", ["1", "1.1", "1.10"], None)
    assert strict.chosen is None
    assert strict.verdict("1.10").reason == "not semver (set lenient for 1.2 / 1 style tags)"


def test_no_downgrade_unless_allowed() -> None:
    tags = ["1.0.0", "1.5.0"]
    kept = choose("^1", tags, "2.0.0")
    assert (kept.chosen, kept.changed) == ("2.0.0", False)
    assert "allow_downgrade" in kept.reason
    assert kept.verdict("1.5.0") == Verdict("1.5.0", False, "older than current 2.0.0")
    down = choose("^1", tags, "2.0.0", rules=SelectionRules(allow_downgrade=True))
    assert (down.chosen, down.changed) == ("1.5.0", True)
    assert "DOWNGRADE" in down.reason


def test_current_outside_range_but_below_moves_into_range() -> None:
    decision = choose("^2", ["1.0.0", "2.0.0", "2.1.0"], "1.0.0")
    assert (decision.chosen, decision.changed) == ("2.1.0", True)


def test_current_not_a_version_does_not_block_updates() -> None:
    decision = choose("^1", ["1.0.0", "1.2.0", "latest"], "latest")
    assert (decision.chosen, decision.changed) == ("1.2.0", True)


def test_every_tag_gets_a_verdict_with_a_reason() -> None:
    tags = [
        "1.0.0",
        "1.2.0",
        "1.3.0-rc.1",
        "2.0.0",
        "latest",
        "sha256-" + "a" * 64 + ".sig",
        "1.1.0.sig",
        "deadbeef",
        "1.2.1",
        "1.1.0",
    ]
    rules = SelectionRules(ignore=["1.2.1"], allow=r"^\d|^sha|^latest|^dead")
    decision = choose("^1", tags, "1.1.0", rules=rules)
    reasons = {v.tag: (v.accepted, v.reason) for v in decision.verdicts}
    assert len(decision.verdicts) == len(tags)
    assert decision.verdicts[0].tag == "1.2.0"
    assert reasons == {
        "1.2.0": (True, "chosen: highest version in range '^1'"),
        "1.1.0": (True, "current tag, superseded by 1.2.0"),
        "1.0.0": (False, "older than current 1.1.0"),
        "1.3.0-rc.1": (False, "pre-release not allowed by range '^1'"),
        "2.0.0": (False, "outside range '^1'"),
        "latest": (False, "not semver (set lenient for 1.2 / 1 style tags)"),
        "sha256-" + "a" * 64 + ".sig": (False, "artefact tag (signature/attestation/SBOM)"),
        "1.1.0.sig": (False, "artefact tag (signature/attestation/SBOM)"),
        "deadbeef": (False, "commit hash 'deadbeef' is not read as a version"),
        "1.2.1": (False, "rejected by ignore glob '1.2.1'"),
    }


def test_allow_regex_is_unanchored_and_ignore_globs_apply() -> None:
    rules = SelectionRules(allow=r"\.0$", ignore=["1.4.*"])
    decision = choose("*", ["1.2.0", "1.3.1", "1.4.0", "1.3.0"], None, rules=rules)
    assert decision.chosen == "1.3.0"
    assert decision.verdict("1.3.1").reason == r"does not match allow regex '\\.0$'"
    assert decision.verdict("1.4.0").reason == "rejected by ignore glob '1.4.*'"


def test_star_ignore_pauses_the_image() -> None:
    decision = choose("*", ["1.0.0", "9.9.9"], "1.0.0", rules=SelectionRules(ignore=["*"]))
    assert (decision.chosen, decision.changed) == ("1.0.0", False)
    assert decision.reason == "kept 1.0.0: paused: ignore glob '*' matches every tag"


def test_artefact_tags_can_be_included_on_request() -> None:
    rules = SelectionRules(include_artifacts=True)
    decision = select(PolicySpec(order="alphabetical"), rules, ["a", "z.sig"], None)
    assert decision.chosen == "z.sig"
    assert select(PolicySpec(order="alphabetical"), NO_RULES, ["a", "z.sig"], None).chosen == "a"


def test_filter_and_extract_feed_semver() -> None:
    spec = PolicySpec(semver="^1", filter=r"^app-(?P<version>.+)$", extract="$version")
    decision = select(spec, NO_RULES, ["app-1.0.0", "app-1.4.2", "web-1.9.0", "app-2.0.0"], "app-1.0.0")
    assert (decision.chosen, decision.changed) == ("app-1.4.2", True)
    assert decision.verdict("web-1.9.0").reason == "does not match filter '^app-(?P<version>.+)$'"


@pytest.mark.parametrize("current", [None, "1.0.0"])
def test_empty_tag_list(current: str | None) -> None:
    decision = choose("*", [], current)
    assert (decision.chosen, decision.changed, decision.verdicts) == (current, False, ())
    assert "no candidate" in decision.reason


def test_all_tags_rejected() -> None:
    decision = choose("^5", ["1.0.0", "latest"], "1.0.0")
    assert (decision.chosen, decision.changed) == ("1.0.0", False)
    assert decision.reason == "kept 1.0.0: no candidate: all 2 tags were rejected (see verdicts)"
