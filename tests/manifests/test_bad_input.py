"""Bad input never yields bytes: a clear error naming the file and line, or a skipped image saying why."""

from __future__ import annotations

import pytest

from image_updater.errors import ManifestEditError, ManifestParseError
from image_updater.manifests import ImageEdit
from tests.manifests.util import only, parse


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("kind: Pod\nspec:\n  containers:\n  - image: [nginx:1.0\n", 5, "not valid YAML"),
        ("kind: Pod\nspec:\n\tcontainers: []\n", 3, "not valid YAML"),
        ("kind: Pod\nspec:\n  containers: []\n  containers:\n  - image: nginx\n", 4, "duplicate key 'containers'"),
        ("image: {repository: a, repository: b}\n", 1, "duplicate key 'repository'"),
        ("a: *nowhere\n", 1, "alias *nowhere names no anchor"),
    ],
)
def test_unparseable_files_name_file_and_line(text: str, line: int, words: str) -> None:
    with pytest.raises(ManifestParseError) as caught:
        parse(text, "apps/web.yaml")
    assert caught.value.path == "apps/web.yaml" and caught.value.line == line
    assert str(caught.value).startswith(f"apps/web.yaml:{line}: ") and words in str(caught.value)


def test_not_utf8_is_unparseable() -> None:
    with pytest.raises(ManifestParseError, match=r"^web.yaml:2: not UTF-8"):
        parse(b"kind: Pod\nimage: \xff\xfe\n", "web.yaml")


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("5", "image is a YAML int (5), not a string"),
        ("1.5", "image is a YAML float (1.5), not a string"),
        ("[nginx, redis]", "image is a list, not a string"),
        ("|\n      nginx:1.0", "image is a block scalar"),
    ],
)
def test_image_that_is_not_a_string_is_skipped_and_cannot_be_edited(value: str, reason: str) -> None:
    text = f"kind: Pod\nspec:\n  containers:\n  - name: a\n    image: {value}\n"
    manifest = parse(text, "pod.yaml")
    [found] = manifest.images
    assert (found.reference, found.skipped, found.line) == (None, reason, 5)
    with pytest.raises(ManifestEditError, match=rf"^pod.yaml:5: cannot edit this image: {reason[:20]}"):
        manifest.render([ImageEdit(found, "1.1")])


def test_kustomize_tag_that_is_a_number_is_skipped() -> None:
    text = "kind: Kustomization\nimages:\n- name: nginx\n  newTag: 1.10\n"
    [found] = parse(text, "kustomization.yaml").images
    assert found.skipped == "newTag is a YAML float (1.10), not a string" and found.line == 3


def test_alias_to_an_image_that_is_also_used_elsewhere_is_refused() -> None:
    text = "defaults:\n  version: &v v1.0\nimage:\n  repository: nginx\n  tag: *v\nlabels:\n  version: *v\n"
    manifest = parse(text, "values.yaml")
    found = only(manifest, name="nginx")
    assert found.locator.tag is not None and found.locator.tag.line == 2  # the anchored scalar
    with pytest.raises(ManifestEditError) as caught:
        manifest.render([ImageEdit(found, "v1.1")])
    message = str(caught.value)
    assert message.startswith("values.yaml:2: ") and "alias *v at line 7 is not an image field" in message


def test_alias_used_only_as_images_edits_the_anchor() -> None:
    text = "defaults:\n  version: &v v1.0\nimage:\n  repository: nginx\n  tag: *v\n"
    manifest = parse(text, "values.yaml")
    assert (
        manifest.render([ImageEdit(only(manifest, name="nginx"), "v1.1")])
        == text.replace("&v v1.0", "&v v1.1").encode()
    )


def test_invalid_tag_is_never_written() -> None:
    manifest = parse("kind: Pod\nspec:\n  containers:\n  - image: nginx:1.0\n", "pod.yaml")
    for bad in ("1.1 # x", "-1", "a" * 129, "1.1\nkind: x", ""):
        with pytest.raises(ManifestEditError, match=r"^pod.yaml:4: refusing to write nginx: .*OCI"):
            manifest.render([ImageEdit(manifest.images[0], bad)])


def test_invalid_digest_is_never_written() -> None:
    manifest = parse("kind: Pod\nspec:\n  containers:\n  - image: nginx:1.0\n", "pod.yaml")
    with pytest.raises(ManifestEditError, match=r"^pod.yaml:4: .*not a valid digest"):
        manifest.render([ImageEdit(manifest.images[0], "1.1", digest="sha256:short")])


def test_two_edits_that_disagree_on_one_value_are_refused() -> None:
    text = "x: &img nginx:1.0\nservices:\n  a: {image: *img}\n"
    manifest = parse(text, "compose.yaml")
    found = only(manifest, name="nginx")
    with pytest.raises(ManifestEditError, match=r"^compose.yaml:1: two edits disagree"):
        manifest.render([ImageEdit(found, "1.1"), ImageEdit(found, "1.2")])


def test_kustomize_entry_without_new_tag_in_flow_style_is_skipped() -> None:
    text = "kind: Kustomization\nimages: [{name: nginx, newName: my/nginx}]\n"
    [found] = parse(text, "kustomization.yaml").images
    assert found.reference is None and "cannot be inserted" in (found.skipped or "")


def test_an_image_from_another_parse_is_refused() -> None:
    text = "kind: Pod\nspec:\n  containers:\n  - image: nginx:1.0\n"
    stale = parse(text, "pod.yaml").images[0]
    moved = parse(text.replace("kind: Pod\n", "kind: Pod\n# moved\n"), "pod.yaml")
    with pytest.raises(ManifestEditError, match=r"^pod.yaml:4: this kubernetes image was found in another"):
        moved.render([ImageEdit(stale, "1.1")])


@pytest.mark.parametrize("name", ["nginx:1.2", "Not A Name", "nginx@sha256:" + "a" * 64])
def test_a_new_name_must_be_a_bare_valid_name(name: str) -> None:
    manifest = parse("kind: Pod\nspec:\n  containers:\n  - image: nginx:1.0\n", "pod.yaml")
    with pytest.raises(ManifestEditError, match=r"^pod.yaml:4: refusing to write nginx"):
        manifest.render([ImageEdit(manifest.images[0], "1.1", name=name)])
