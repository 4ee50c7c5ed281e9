"""newest_build, platforms and digest against a real registry with OCI indexes and Docker manifest lists."""

from __future__ import annotations

import json

import httpx

from image_updater.policy import PolicySpec, SelectionRules, metadata_needed, select
from image_updater.registry.oci import MANIFEST_ACCEPT
from tests.support.policy_metadata import fetch_metadata, fetch_tag_metadata, list_tags
from tests.support.registry import MT_DOCKER_LIST, MT_OCI_INDEX, ImagePusher, RegistryServer

REPO = "team/app"
AMD_ARM = ["linux/amd64", "linux/arm64"]


def push_index_with_times(
    registry: RegistryServer, pusher: ImagePusher, tag: str, created: dict[str, str], *, oci: bool
) -> str:
    """An index whose children were built at different times (the pusher gives all children one time)."""
    entries = []
    for platform, when in created.items():
        child = pusher.push_image(
            REPO, f"child-{tag}-{platform.replace('/', '-')}", created=when, platform=platform, oci=oci
        )
        url = f"{registry.url}/v2/{REPO}/manifests/{child.digest}"
        body = httpx.get(url, headers={"Accept": MANIFEST_ACCEPT}).content
        os_name, arch, *variant = platform.split("/")
        plat = {"os": os_name, "architecture": arch} | ({"variant": variant[0]} if variant else {})
        entries.append({"mediaType": child.media_type, "size": len(body), "digest": child.digest, "platform": plat})
    media_type = MT_OCI_INDEX if oci else MT_DOCKER_LIST
    index = json.dumps({"schemaVersion": 2, "mediaType": media_type, "manifests": entries}).encode()
    return pusher.put_manifest(REPO, tag, index, media_type)


def test_platforms_require_every_listed_platform(registry: RegistryServer) -> None:
    with registry.pusher() as pusher:
        pusher.push_index(REPO, "1.0.0", ["linux/amd64", "linux/arm64"], oci=True)
        pusher.push_index(REPO, "1.1.0", ["linux/amd64"], oci=False)
        pusher.push_image(REPO, "1.2.0", platform="linux/amd64")
        pusher.push_index(REPO, "1.3.0", ["linux/amd64", "linux/arm64/v8", "linux/arm/v7"], oci=False)
        pusher.push_index(REPO, "1.4.0", ["linux/amd64", "linux/arm/v6"], oci=True)
        pusher.push_image(REPO, "1.5.0", platform="linux/arm64", oci=True)
    tags = list_tags(registry, REPO)
    spec = PolicySpec(semver="^1")
    rules = SelectionRules(platforms=["linux/amd64", "linux/arm64"])

    needed = metadata_needed(spec, rules, tags, "1.0.0")
    assert needed == ["1.5.0", "1.4.0", "1.3.0", "1.2.0", "1.1.0"]
    meta = fetch_metadata(registry, REPO, needed)
    assert meta["1.3.0"].platforms == {"linux/amd64", "linux/arm64", "linux/arm64/v8", "linux/arm", "linux/arm/v7"}
    decision = select(spec, rules, tags, "1.0.0", meta)
    assert (decision.chosen, decision.changed) == ("1.3.0", True)
    assert decision.verdict("1.5.0").reason == "lacks platform linux/amd64 (platforms_match: all)"
    assert decision.verdict("1.4.0").reason == "lacks platform linux/arm64 (platforms_match: all)"
    assert decision.verdict("1.2.0").reason == "lacks platform linux/arm64 (platforms_match: all)"
    assert decision.verdict("1.1.0").reason == "lacks platform linux/arm64 (platforms_match: all)"

    # a single-platform manifest qualifies for its own platform; a platform without variant takes any variant
    amd_only = select(
        spec, SelectionRules(platforms=["linux/amd64"]), tags, "1.0.0", fetch_metadata(registry, REPO, tags)
    )
    assert amd_only.chosen == "1.4.0"
    arm = select(spec, SelectionRules(platforms=["linux/arm"]), tags, "1.0.0", fetch_metadata(registry, REPO, tags))
    assert arm.chosen == "1.4.0"
    arm_v7 = select(
        spec, SelectionRules(platforms=["linux/arm/v7"]), tags, "1.0.0", fetch_metadata(registry, REPO, tags)
    )
    assert arm_v7.chosen == "1.3.0"


def test_newest_build_reads_the_configured_platforms_config(registry: RegistryServer) -> None:
    with registry.pusher() as pusher:
        pusher.push_index(REPO, "main-aaa", AMD_ARM, created="2024-05-01T00:00:00Z", oci=True)
        pusher.push_index(REPO, "main-bbb", AMD_ARM, created="2024-06-01T00:00:00Z", oci=False)
        pusher.push_image(REPO, "main-ccc", created="2024-04-01T00:00:00Z")
        push_index_with_times(
            registry,
            pusher,
            "main-ddd",
            {"linux/amd64": "2024-01-01T00:00:00Z", "linux/arm64": "2024-07-01T00:00:00Z"},
            oci=True,
        )
        pusher.push_image(REPO, "pr-12", created="2025-01-01T00:00:00Z")
    tags = list_tags(registry, REPO)
    spec = PolicySpec(newest_build=True, filter="^main-")

    needed = metadata_needed(spec, SelectionRules(), tags, "main-ccc")
    assert needed == ["main-ddd", "main-ccc", "main-bbb", "main-aaa"]  # the filter ran before any fetch
    amd = select(spec, SelectionRules(), tags, "main-ccc", fetch_metadata(registry, REPO, needed))
    assert (amd.chosen, amd.changed) == ("main-bbb", True)
    assert amd.verdicts[0].reason == "chosen: newest build (created 2024-06-01T00:00:00Z)"
    assert amd.verdict("pr-12").reason == "does not match filter '^main-'"

    arm_rules = SelectionRules(platforms=["linux/arm64"])
    arm_meta = fetch_metadata(registry, REPO, metadata_needed(spec, arm_rules, tags, "main-ccc"), arm_rules.platforms)
    arm = select(spec, arm_rules, tags, "main-ccc", arm_meta)
    assert arm.chosen == "main-ddd"
    assert arm.verdict("main-ccc").reason == "lacks platform linux/arm64 (platforms_match: all)"


def test_digest_policy_follows_a_moving_tag(registry: RegistryServer) -> None:
    spec = PolicySpec(digest="latest")
    rules = SelectionRules()
    with registry.pusher() as pusher:
        first = pusher.push_index(REPO, "latest", AMD_ARM, created="2024-01-01T00:00:00Z")
        pusher.push_image(REPO, "1.0.0")
        tags = list_tags(registry, REPO)
        meta = fetch_metadata(registry, REPO, metadata_needed(spec, rules, tags, "latest"))
        pinned = select(spec, rules, tags, "latest", meta)
        assert (pinned.chosen, pinned.digest, pinned.changed) == ("latest", first.digest, True)
        same = select(spec, rules, tags, "latest", meta, current_digest=first.digest)
        assert not same.changed

        second = pusher.push_index(REPO, "latest", AMD_ARM, created="2024-02-01T00:00:00Z")
    assert second.digest != first.digest
    moved = select(
        spec,
        rules,
        tags,
        "latest",
        {"latest": fetch_tag_metadata(registry, REPO, "latest")},
        current_digest=first.digest,
    )
    assert (moved.chosen, moved.digest, moved.changed) == ("latest", second.digest, True)


def test_platforms_match_any_takes_an_image_offering_one_listed_platform(registry: RegistryServer) -> None:
    """argocd-image-updater's rule: an image qualifies when it offers any one of the listed platforms."""
    with registry.pusher() as pusher:
        pusher.push_index(REPO, "1.0.0", ["linux/amd64", "linux/arm64"], oci=True)
        pusher.push_index(REPO, "1.1.0", ["linux/arm64", "linux/arm/v7"], oci=False)  # arm64 only of the two
        pusher.push_image(REPO, "1.2.0", platform="linux/s390x")  # neither
        pusher.push_index(REPO, "1.3.0", ["linux/ppc64le", "linux/s390x"], oci=True)  # neither
    tags = list_tags(registry, REPO)
    spec = PolicySpec(semver="^1")
    wanted = ["linux/amd64", "linux/arm64"]
    meta = fetch_metadata(registry, REPO, tags, wanted)

    any_rules = SelectionRules(platforms=wanted, platforms_match="any")
    assert metadata_needed(spec, any_rules, tags, "1.0.0") == ["1.3.0", "1.2.0", "1.1.0"]
    chosen = select(spec, any_rules, tags, "1.0.0", meta)
    assert (chosen.chosen, chosen.changed) == ("1.1.0", True)
    assert chosen.verdict("1.3.0").reason == "offers none of linux/amd64, linux/arm64 (platforms_match: any)"
    assert chosen.verdict("1.2.0").reason == "offers none of linux/amd64, linux/arm64 (platforms_match: any)"

    # the default, all: the same index lacks amd64, so the image stays where it is
    all_rules = SelectionRules(platforms=wanted)
    assert all_rules.platforms_match == "all"
    kept = select(spec, all_rules, tags, "1.0.0", meta)
    assert (kept.chosen, kept.changed) == ("1.0.0", False)
    assert kept.verdict("1.1.0").reason == "lacks platform linux/amd64 (platforms_match: all)"
    assert kept.verdict("1.3.0").reason == "lacks platform linux/amd64, linux/arm64 (platforms_match: all)"
