"""Flux image-automation-controller's own update fixtures (original vs expected), from the corpus.

Where Flux re-indents untouched lines (go-yaml re-emits the whole file), we deliberately do not:
there we check that our output is Flux's result in meaning and the original in every other byte.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from image_updater.manifests import ImageEdit, ManifestFile
from image_updater.reference import ImageReference
from tests.conftest import require_shared
from tests.manifests.util import only

FLUX = "files/fluxcd__image-automation-controller/internal__update__testdata__"
# The policies of Flux's TestUpdateWithSetters, as the expected files show them.
SETTER_POLICIES = {
    "automation-ns:policy": ImageReference("index.repo.fake/updated", "v1.0.1"),
    "automation-ns:policy-with-digest": ImageReference(
        "image", "v1.0.0", "sha256:6745aaad46d795c9836632e1fb62f24b7e7f4c843144da8e47a5465c411a14be"
    ),
}


def fixture(name: str) -> tuple[str, bytes]:
    path = f"{FLUX}{name}"
    return path, (require_shared("corpus") / path).read_bytes()


def apply_policies(manifest: ManifestFile, policies: dict[str, ImageReference]) -> bytes:
    """What the cycle does for markers: bind by policy only, write the policy's name, tag and digest."""
    edits = [
        ImageEdit(found, ref.tag, ref.digest, name=ref.name)
        for found in manifest.images
        if found.policy in policies
        for ref in [policies[found.policy]]
    ]
    return manifest.render(edits)


def test_setters_on_marked_cronjob_match_flux_byte_for_byte() -> None:
    path, original = fixture("setters__original__marked.yaml")
    _, expected = fixture("setters__expected__marked.yaml")
    manifest = ManifestFile.parse(path, original)
    assert {f.policy for f in manifest.images} == {"automation-ns:policy", "automation-ns:unchanged"}
    assert apply_policies(manifest, SETTER_POLICIES) == expected


def test_setters_on_kustomization_match_flux_byte_for_byte() -> None:
    path, original = fixture("setters__original__kustomization.yml")
    _, expected = fixture("setters__expected__kustomization.yml")
    manifest = ManifestFile.parse(path, original)
    fields = sorted((f.policy or "", f.marker_field) for f in manifest.images if f.manager == "marker")
    assert fields == [
        ("automation-ns:policy", "name"),
        ("automation-ns:policy", "tag"),
        ("automation-ns:policy-with-digest", ""),
        ("automation-ns:policy-with-digest", "digest"),
    ]
    # The marked fields belong to the markers, not to the kustomize entry they sit in.
    assert [f.manager for f in manifest.images] == ["marker"] * 4
    result = apply_policies(manifest, SETTER_POLICIES)
    assert result == expected
    assert b"- op: replace" in result  # the block scalar Flux once flattened stays a block scalar


def test_marker_of_another_namespace_is_left_alone() -> None:
    path, original = fixture("setters__original__otherns.yaml")
    manifest = ManifestFile.parse(path, original)
    assert only(manifest, policy="other-namespace:policy").reference == ImageReference("user", "v1.0.0")
    assert apply_policies(manifest, SETTER_POLICIES) == original


def _reindent_free(text: bytes) -> list[str]:
    return [line.strip() for line in text.decode().splitlines()]


def test_replace_deployment_changes_only_the_value_flux_also_changes() -> None:
    pairs = (
        ("replace__original__deployment.yaml", "replace__expected__deployment.yaml"),
        ("replace__commented__deployment.yaml", "replace__commented-expected__deployment.yaml"),
    )
    for original_name, expected_name in pairs:
        path, original = fixture(original_name)
        _, expected = fixture(expected_name)
        manifest = ManifestFile.parse(path, original)
        result = manifest.render([ImageEdit(only(manifest, name="used"), "v1.1.0")])
        assert result == original.replace(b"used:v1.0.0", b"used:v1.1.0")
        assert yaml.safe_load(result) == yaml.safe_load(expected)
        assert _reindent_free(result) == _reindent_free(expected)  # Flux differs only by re-indenting
        assert "컨테이너".encode() in result or b"commented" not in path.encode()


def test_replace_cronjob_is_found_under_job_template() -> None:
    path, original = fixture("replace__original__cronjob.yaml")
    manifest = ManifestFile.parse(path, original)
    found = only(manifest, name="used")
    assert (found.manager, found.line) == ("kubernetes", 14)
    assert manifest.render([ImageEdit(found, "v1.1.0")]) == original.replace(b"used:v1.0.0", b"used:v1.1.0")


def test_leave_fixtures_are_untouched_when_no_image_matches() -> None:
    for kind in ("deployment", "cronjob"):
        path, original = fixture(f"leave__original__{kind}.yaml")
        _, expected = fixture(f"leave__expected__{kind}.yaml")
        manifest = ManifestFile.parse(path, original)
        assert [str(f.reference) for f in manifest.images] == ["helloworld:v1.0.0"]
        assert manifest.render([]) == original
        assert yaml.safe_load(original) == yaml.safe_load(expected)


def test_flux_fixture_paths_exist() -> None:
    corpus = require_shared("corpus")
    assert len(list(Path(corpus).glob(f"{FLUX}*"))) == 14
