"""Each trait a config-repo author relies on survives an edit: only the value's bytes change."""

from __future__ import annotations

import pytest

from image_updater.manifests import ImageEdit
from tests.manifests.util import only, parse, set_tag

DIGEST = "sha256:" + "a" * 64


def test_crlf_line_endings_survive() -> None:
    text = "kind: Pod\r\nspec:\r\n  containers:\r\n  - name: a\r\n    image: nginx:1.0 # keep\r\n"
    assert set_tag(text, "nginx", "1.1") == text.replace("nginx:1.0", "nginx:1.1").encode()


def test_byte_order_mark_survives() -> None:
    data = b"\xef\xbb\xbfkind: Pod\nspec:\n  containers:\n  - image: nginx:1.0\n"
    assert set_tag(data, "nginx", "1.1") == data.replace(b"nginx:1.0", b"nginx:1.1")


def test_missing_final_newline_stays_missing() -> None:
    text = "services:\n  web:\n    image: nginx:1.0"
    assert set_tag(text, "nginx", "1.1", "compose.yaml") == b"services:\n  web:\n    image: nginx:1.1"


def test_tabs_in_comments_and_unicode_survive() -> None:
    text = "kind: Pod # \tTab\there\nspec:\n  containers:\n  - image: nginx:1.0\t# \u00e9t\u00e9\t\n"
    assert set_tag(text, "nginx", "1.1") == text.replace("nginx:1.0", "nginx:1.1").encode()


def test_multi_document_file_edits_the_right_document() -> None:
    text = (
        "# head\n---\nkind: Pod\nspec:\n  containers:\n  - image: redis:6\n---\n# between\n"
        "kind: Pod\nspec:\n  containers:\n  - image: nginx:1.0\n...\n---\nkind: ConfigMap\n"
    )
    assert set_tag(text, "nginx", "1.1") == text.replace("nginx:1.0", "nginx:1.1").encode()


def test_flow_style_is_kept() -> None:
    text = "kind: Pod\nspec: {containers: [{name: a, image: nginx:1.0}, {image: 'redis:6'}]}\n"
    manifest = parse(text)
    edits = [ImageEdit(only(manifest, name="nginx"), "1.1"), ImageEdit(only(manifest, name="redis"), "7")]
    expected = text.replace("nginx:1.0", "nginx:1.1").replace("redis:6", "redis:7")
    assert manifest.render(edits) == expected.encode()


def test_helm_flow_block_is_kept() -> None:
    text = 'image: {repository: nginx, tag: "1.0"}  # pinned\n'
    expected = b'image: {repository: nginx, tag: "1.1"}  # pinned\n'
    assert set_tag(text, "nginx", "1.1", "values.yaml") == expected


def test_comments_everywhere_survive() -> None:
    text = (
        "# top\nimage: # the image\n  # above\n  repository: nginx # repo\n  # between\n"
        "  tag: 1.0.0 # tag\n  # after\n# end\n"
    )
    assert set_tag(text, "nginx", "1.0.1", "values.yaml") == text.replace("1.0.0", "1.0.1").encode()


@pytest.mark.parametrize(
    ("before", "tag", "after"),
    [
        ("tag: 1.0.0", "1.0.1", "tag: 1.0.1"),
        ("tag: v1.9", "1.10", 'tag: "1.10"'),  # plain 1.10 would read as the float 1.1
        ("tag: v1", "1", 'tag: "1"'),
        ("tag: v1", "yes", 'tag: "yes"'),  # a YAML 1.1 boolean
        ("tag: v1", "1e3", 'tag: "1e3"'),
        ("tag: '1.9'", "1.10", "tag: '1.10'"),
        ('tag: "1.9"', "1.10", 'tag: "1.10"'),
        ('tag: "1.9"', "v2", 'tag: "v2"'),  # quoted stays quoted even when plain would do
    ],
)
def test_quoting_style_is_kept_and_numbers_are_quoted(before: str, tag: str, after: str) -> None:
    text = f"image:\n  repository: nginx\n  {before}\n"
    assert set_tag(text, "nginx", tag, "values.yaml") == f"image:\n  repository: nginx\n  {after}\n".encode()


def test_anchor_is_edited_once_where_it_is_defined() -> None:
    text = "x-image: &img nginx:1.0\nservices:\n  a:\n    image: *img\n  b:\n    image: *img\n"
    manifest = parse(text, "compose.yaml")
    found = only(manifest, name="nginx")
    assert found.line == 1  # the anchored scalar, found once for both aliases
    assert manifest.render([ImageEdit(found, "1.1")]) == text.replace("nginx:1.0", "nginx:1.1").encode()


def test_merge_key_defaults_are_edited_at_the_anchor() -> None:
    text = (
        "x-base: &base\n  image: nginx:1.0\n  restart: always\nservices:\n  a:\n    <<: *base\n"
        "  b:\n    <<: *base\n    ports: [80]\n"
    )
    manifest = parse(text, "compose.yaml")
    assert [f.line for f in manifest.images] == [2]
    assert manifest.render([ImageEdit(manifest.images[0], "1.1")]) == text.replace("1.0", "1.1").encode()


def test_marker_text_inside_a_block_scalar_is_ignored() -> None:
    text = (
        'kind: ConfigMap\ndata:\n  notes: |\n    image: fake:1.0 # {"$imagepolicy": "ns:p"}\n'
        '  real: nginx:1.0 # {"$imagepolicy": "ns:real"}\n'
    )
    manifest = parse(text)
    assert [(f.policy, f.line) for f in manifest.images] == [("ns:real", 5)]


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("${REGISTRY}/app:${TAG}", "${VAR}"),
        ("$REGISTRY/app:1", "${VAR}"),
        ('"{{ .Values.image }}"', "{{ }}"),
        ("registry.local/app:{{ .Values.tag }}", "{{ }}"),
    ],
)
def test_interpolated_values_are_skipped_with_a_reason(value: str, reason: str) -> None:
    text = f"services:\n  web:\n    image: {value}\n"
    manifest = parse(text, "compose.yaml")
    [found] = manifest.images
    assert found.reference is None and found.skipped is not None and reason in found.skipped
    assert found.line == 3


def test_digest_is_replaced_in_a_full_reference_and_removed_when_only_the_tag_changes() -> None:
    text = f"kind: Pod\nspec:\n  containers:\n  - image: nginx:1.0@{DIGEST}\n"
    new_digest = "sha256:" + "b" * 64
    assert (
        set_tag(text, "nginx", "1.1", digest=new_digest) == text.replace(f"1.0@{DIGEST}", f"1.1@{new_digest}").encode()
    )
    assert set_tag(text, "nginx", "1.1") == text.replace(f"1.0@{DIGEST}", "1.1").encode()


def test_helm_digest_is_blanked_not_deleted_when_the_tag_changes() -> None:
    text = f"image:\n  registry: docker.io\n  repository: bitnami/nginx\n  tag: 1.0.0\n  digest: {DIGEST}\n"
    expected = 'image:\n  registry: docker.io\n  repository: bitnami/nginx\n  tag: 1.0.1\n  digest: ""\n'
    assert set_tag(text, "docker.io/bitnami/nginx", "1.0.1", "values.yaml") == expected.encode()


def test_empty_helm_tag_gets_its_value_after_the_colon() -> None:
    text = "image:\n  repository: nginx\n  tag:\n  pullPolicy: IfNotPresent\n"
    assert set_tag(text, "nginx", "v1.1", "values.yaml") == text.replace("tag:\n", "tag: v1.1\n").encode()
    assert set_tag(text, "nginx", "1.1", "values.yaml") == text.replace("tag:\n", 'tag: "1.1"\n').encode()


def test_no_edit_and_same_tag_return_the_identical_bytes() -> None:
    data = b"kind: Pod\nspec:\n  containers:\n  - image: nginx:1.0\n"
    manifest = parse(data)
    assert manifest.render([]) is manifest.data
    assert manifest.render([ImageEdit(manifest.images[0], "1.0")]) == data
