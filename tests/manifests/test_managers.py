"""Each manager finds the images of its format, binds them as documented, and edits them in place."""

from __future__ import annotations

import pytest

from image_updater.manifests import (
    CustomResourceSettings,
    ImageEdit,
    KeyPathSettings,
    ManagerOptions,
    could_hold_images,
)
from image_updater.reference import ImageReference
from tests.manifests.util import only, parse

POD = (
    "  containers:\n  - name: a\n    image: app:1.0\n  initContainers:\n  - image: init:1.0\n"
    "  ephemeralContainers:\n  - image: debug:1.0\n"
)


def _indent(block: str, spaces: int) -> str:
    return "".join(" " * spaces + line + "\n" for line in block.splitlines())


@pytest.mark.parametrize(
    ("kind", "prefix"),
    [
        ("Pod", ["spec"]),
        ("PodTemplate", ["template", "spec"]),
        ("Deployment", ["spec", "template", "spec"]),
        ("ReplicaSet", ["spec", "template", "spec"]),
        ("ReplicationController", ["spec", "template", "spec"]),
        ("StatefulSet", ["spec", "template", "spec"]),
        ("DaemonSet", ["spec", "template", "spec"]),
        ("Job", ["spec", "template", "spec"]),
        ("Rollout", ["spec", "template", "spec"]),
        ("CronJob", ["spec", "jobTemplate", "spec", "template", "spec"]),
    ],
)
def test_every_pod_spec_kind_and_container_list(kind: str, prefix: list[str]) -> None:
    text = f"apiVersion: v1\nkind: {kind}\n"
    for depth, key in enumerate(prefix):
        text += " " * (2 * depth) + f"{key}:\n"
    text += _indent(POD, 2 * (len(prefix) - 1))
    manifest = parse(text, options=ManagerOptions(managers=frozenset({"kubernetes"})))
    assert sorted(str(f.reference) for f in manifest.images) == ["app:1.0", "debug:1.0", "init:1.0"]
    assert (
        manifest.render([ImageEdit(only(manifest, name="init"), "2.0")])
        == text.replace("init:1.0", "init:2.0").encode()
    )


def test_list_kind_and_custom_resources() -> None:
    text = (
        "kind: List\nitems:\n- kind: Pod\n  spec:\n    containers:\n    - image: a:1\n"
        "---\nkind: Workflow\nspec:\n  templates:\n  - container:\n      image: b:1\n"
        "  - script:\n      image: c:1\n---\nkind: Tekton\nspec:\n  steps:\n  - image: d:1\n"
    )
    resources = [
        ("Workflow", "spec.templates[*].container"),
        ("Workflow", "spec.templates[1].script"),
        ("Tekton", "spec.steps"),
    ]
    options = ManagerOptions(
        custom_resources=tuple(CustomResourceSettings(kind=k, path=p) for k, p in resources),
        managers=frozenset({"kubernetes"}),
    )
    manifest = parse(text, options=options)
    assert [(str(f.reference), f.line) for f in manifest.images] == [("a:1", 6), ("b:1", 12), ("c:1", 14), ("d:1", 19)]


def test_kustomize_images_follow_kustomize_edit_set_image() -> None:
    text = (
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nimages:\n"
        "- name: nginx\n  newName: registry.local/nginx # mirror\n  newTag: 1.0.0\n"
        '- name: redis\n  newTag: "6.0"\n  digest: sha256:' + "a" * 64 + "\n"
        "- name: busybox\n"
    )
    manifest = parse(text, "kustomization.yaml")
    nginx = only(manifest, name="registry.local/nginx")
    redis = only(manifest, name="redis")
    busybox = only(manifest, name="busybox")
    assert nginx.reference == ImageReference("registry.local/nginx", "1.0.0")
    assert redis.reference == ImageReference("redis", "6.0", "sha256:" + "a" * 64)
    assert busybox.reference == ImageReference("busybox") and busybox.line == 10
    result = manifest.render(
        [ImageEdit(nginx, "1.0.1"), ImageEdit(redis, "6.2"), ImageEdit(busybox, "1.36", name="mirror/busybox")]
    )
    assert result.decode() == (
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nimages:\n"
        "- name: nginx\n  newName: registry.local/nginx # mirror\n  newTag: 1.0.1\n"
        '- name: redis\n  newTag: "6.2"\n  digest: ""\n'
        '- name: busybox\n  newName: mirror/busybox\n  newTag: "1.36"\n'
    )


def test_kustomize_inserted_key_takes_sibling_indentation_and_keeps_crlf() -> None:
    text = "kind: Kustomization\r\nimages:\r\n    -   name: nginx   # pinned\r\n        newName: my/nginx"
    manifest = parse(text, "overlays/prod/kustomization.yaml")
    out = manifest.render([ImageEdit(manifest.images[0], "v2")])
    assert out == (text + "\r\n        newTag: v2").encode()


def test_helm_values_shapes() -> None:
    text = (
        'image:\n  registry: ghcr.io\n  repository: org/app\n  tag: v1.0.0\n  digest: ""\n'
        "sidecar:\n  image:\n    repository: envoyproxy/envoy\n    tag: v1.29.0\n"
        "exporter:\n  repository: prom/exporter\n  tag: v0.1.0\n"
        'plain:\n  image: "quay.io/org/plain:2.0"\n'
        "notAnImage:\n  repository: https://charts.example\n"
    )
    manifest = parse(text, "values.yaml")
    assert [(str(f.reference), f.manager, f.line) for f in manifest.images] == [
        ("ghcr.io/org/app:v1.0.0", "helm", 2),
        ("envoyproxy/envoy:v1.29.0", "helm", 8),
        ("prom/exporter:v0.1.0", "helm", 11),
        ("quay.io/org/plain:2.0", "helm", 14),
    ]  # in file order
    result = manifest.render(
        [
            ImageEdit(only(manifest, name="ghcr.io/org/app"), "v1.1.0"),
            ImageEdit(only(manifest, name="prom/exporter"), "v0.2.0"),
        ]
    )
    assert result == text.replace("v1.0.0", "v1.1.0").replace("v0.1.0", "v0.2.0").encode()


def test_user_key_paths_with_list_indices_and_file_globs() -> None:
    text = (
        'backend:\n  image:\n    name: registry.local/backend\n    version: "41"\n'
        "workers:\n  containers:\n  - image: registry.local/worker:7\n"
        "front:\n  imageTag: v3\n"
    )
    options = ManagerOptions(
        key_paths=(
            ("registry.local/backend", KeyPathSettings(tag="backend.image.version", repository="backend.image.name")),
            (
                "registry.local/worker",
                KeyPathSettings(tag="workers.containers[0].image", files=("apps/*/values.yaml",)),
            ),
            ("registry.local/front", KeyPathSettings(tag="front.imageTag")),
            ("other", KeyPathSettings(tag="missing.tag")),
        )
    )
    manifest = parse(text, "apps/shop/values.yaml", options)
    found = {f.policy: f for f in manifest.images if f.manager == "keypath"}
    assert found["registry.local/backend"].reference == ImageReference("registry.local/backend", "41")
    assert found["registry.local/worker"].reference == ImageReference("registry.local/worker", "7")
    assert found["registry.local/front"].reference == ImageReference("registry.local/front", "v3")
    assert set(found) == {"registry.local/backend", "registry.local/worker", "registry.local/front"}
    edits = [
        ImageEdit(found[name], tag)
        for name, tag in (
            ("registry.local/backend", "42"),
            ("registry.local/worker", "8"),
            ("registry.local/front", "v4"),
        )
    ]
    assert (
        manifest.render(edits)
        == text.replace('"41"', '"42"').replace("worker:7", "worker:8").replace("v3", "v4").encode()
    )
    elsewhere = parse(text, "other/values.yaml", options)
    assert "registry.local/worker" not in {f.policy for f in elsewhere.images}


def test_markers_of_every_form_bind_by_policy_only() -> None:
    text = (
        'spec:\n  whatever: app:1.0 # {"$imagepolicy": "flux-system:app"}\n'
        '  values:\n    image:\n      repository: ghcr.io/org/api # {"$imagepolicy": "ns:api:name"}\n'
        '      tag: 1.0.0 # {"$imagepolicy": "ns:api:tag"}\n'
        "    other:\n      repository: ghcr.io/org/solo\n"
        '      tag: 2.0.0 # {"$imagepolicy": "ns:solo:tag"}\n'
        '    bare:\n      version: 3.0.0 # {"$imagepolicy": "ns:bare:tag"}\n'
        "    d: sha256:" + "c" * 64 + ' # {"$imagepolicy": "ns:api:digest"}\n'
        '  list:\n  - web:1 # {"$imagepolicy": "web"}\n'
    )
    manifest = parse(text, "values.yaml")
    found = {(f.policy, f.marker_field): f for f in manifest.images}
    assert {f.manager for f in manifest.images} == {"marker"}
    assert found[("flux-system:app", "")].reference == ImageReference("app", "1.0")
    assert found[("ns:api", "tag")].reference == ImageReference("ghcr.io/org/api", "1.0.0")
    assert found[("ns:solo", "tag")].reference == ImageReference("ghcr.io/org/solo", "2.0.0")
    assert found[("ns:bare", "tag")].reference == ImageReference("", "3.0.0")
    assert found[("ns:api", "name")].reference == ImageReference("ghcr.io/org/api")
    assert found[("web", "")].line == 14
    tag_edit = [ImageEdit(f, "9.0.0") for f in manifest.images]
    result = manifest.render(tag_edit).decode()
    assert "app:9.0.0 #" in result and 'tag: 9.0.0 # {"$imagepolicy": "ns:api:tag"}' in result
    assert "repository: ghcr.io/org/api #" in result  # a tag edit never changes a :name field
    assert "d: sha256:" + "c" * 64 in result  # nor a :digest field
    assert "web:9.0.0 #" in result


def test_compose_services() -> None:
    text = "services:\n  web:\n    image: nginx:1.25-alpine\n  db:\n    build: .\n  cache:\n    image: redis\n"
    manifest = parse(text, "docker-compose.yml")
    assert [(f.manager, str(f.reference)) for f in manifest.images] == [
        ("compose", "nginx:1.25-alpine"),
        ("compose", "redis"),
    ]
    assert (
        manifest.render([ImageEdit(manifest.images[1], "7.2")])
        == text.replace("image: redis", "image: redis:7.2").encode()
    )


def test_argocd_application_sources() -> None:
    text = (
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nspec:\n  sources:\n"
        "  - helm:\n      parameters:\n      - name: image.repository\n        value: ghcr.io/org/api\n"
        "      - name: image.tag\n        value: '1.0'\n      - name: replicas\n        value: '2'\n"
        "      - name: worker.image\n        value: ghcr.io/org/worker:3\n"
        "      valuesObject:\n        sidecar:\n          image:\n            repository: envoy\n"
        "            tag: v1\n"
        "  - kustomize:\n      images:\n      - nginx=registry.local/nginx:1.25\n      - redis:7\n"
    )
    manifest = parse(text, "apps/api.yaml")
    assert [(f.manager, str(f.reference), f.line) for f in manifest.images] == [
        ("argocd", "ghcr.io/org/api:1.0", 7),
        ("argocd", "ghcr.io/org/worker:3", 14),
        ("argocd", "envoy:v1", 18),
        ("argocd", "registry.local/nginx:1.25", 22),
        ("argocd", "redis:7", 23),
    ]
    edits = [
        ImageEdit(only(manifest, name=name), tag)
        for name, tag in (("ghcr.io/org/api", "1.1"), ("registry.local/nginx", "1.26"), ("envoy", "v2"))
    ]
    expected = text.replace("'1.0'", "'1.1'").replace("nginx:1.25", "nginx:1.26")
    expected = expected.replace("tag: v1", "tag: v2")
    assert manifest.render(edits) == expected.encode()


def test_argocd_source_write_back_file() -> None:
    text = "helm:\n  parameters:\n  - name: image.name\n    value: app\n  - name: image.tag\n    value: '0.2'\n"
    manifest = parse(text, ".argocd-source-shop.yaml")
    assert [(f.manager, str(f.reference)) for f in manifest.images] == [("argocd", "app:0.2")]


def test_managers_option_enables_a_subset() -> None:
    text = "kind: Pod\nspec:\n  containers:\n  - image: a:1\nextra:\n  image: b:1\n"
    assert [f.manager for f in parse(text).images] == ["kubernetes", "helm"]
    only_helm = parse(text, options=ManagerOptions(managers=frozenset({"helm"})))
    assert [(f.manager, str(f.reference)) for f in only_helm.images] == [("helm", "a:1"), ("helm", "b:1")]


def test_prefilter_is_cheap_and_conservative() -> None:
    assert could_hold_images("a/values.yaml", b"image:\n  tag: 1\n")
    assert could_hold_images("kustomization.yml", b"images:\n- name: x\n  newTag: 1\n")
    assert not could_hold_images("a/values.yaml", b"replicas: 3\n")
    assert not could_hold_images("README.md", b"image: nginx\n")
    assert not could_hold_images("blob.yaml", b"\0image")
    options = ManagerOptions(key_paths=(("x", KeyPathSettings(tag="backend.version")),))
    assert could_hold_images("v.yaml", b"backend:\n  version: 1\n", options)
