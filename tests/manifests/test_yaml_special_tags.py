"""Tags that YAML 1.1, YAML 1.2 or Go's yaml read as something else are written quoted, in every field kind.

``kubectl kustomize`` is the Go reading: kustomize decodes the Kustomization through sigs.k8s.io/yaml
(go-yaml), which fails on ``newTag: y`` ("cannot unmarshal bool into … newTag") and turns ``0X1F``
into 31; the rendered Deployment must name each image with exactly the tag we wrote.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from image_updater.manifests import ImageEdit, ManifestFile
from image_updater.manifests.scalars import reads_as_string_when_plain, render_scalar
from tests.manifests.test_kustomize_render import kustomize_images
from tests.manifests.util import only, parse

# valid OCI tags, each read as a bool, an int, a float, null or a date by one of the three readings
SPECIAL_TAGS = [
    "y",
    "Y",
    "n",
    "N",
    "yes",
    "Yes",
    "NO",
    "on",
    "On",
    "OFF",
    "true",
    "False",
    "null",
    "NULL",
    "0O17",
    "0X1F",
    "0B101",
    "0o17",
    "0x1f",
    "0b101",
    "0x_1F",
    "017",
    "08",
    "1_000",
    "1e3",
    "1E3",
    "10e-1",
    "1.10",
    "2024-01-05",
]
PLAIN_TAGS = ["1.2.3", "v1.2", "latest", "stable-1", "y1", "no-cache", "0x1G", "1.0.0-rc.1", "2024-01-05-abc"]


def test_every_special_tag_renders_through_kubectl_kustomize_as_the_same_string(tmp_path: Path) -> None:
    names = [f"app{n}" for n in range(len(SPECIAL_TAGS))]
    containers = "".join(f"      - name: c{n}\n        image: {name}\n" for n, name in enumerate(names))
    (tmp_path / "deployment.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: shop\nspec:\n"
        "  selector: {matchLabels: {app: shop}}\n  template:\n    metadata: {labels: {app: shop}}\n"
        f"    spec:\n      containers:\n{containers}"
    )
    entries = "".join(f"  - name: {name}\n    newTag: 1.0.0\n" for name in names)
    kustomization = f"resources:\n  - deployment.yaml\nimages:\n{entries}"
    manifest = ManifestFile.parse("kustomization.yaml", kustomization.encode())
    edits = [ImageEdit(only(manifest, name=name), tag) for name, tag in zip(names, SPECIAL_TAGS, strict=True)]
    (tmp_path / "kustomization.yaml").write_bytes(manifest.render(edits))

    rendered = kustomize_images(tmp_path)

    assert rendered == {f"c{n}": f"{name}:{tag}" for n, (name, tag) in enumerate(zip(names, SPECIAL_TAGS, strict=True))}


@pytest.mark.parametrize("tag", SPECIAL_TAGS)
def test_a_special_tag_is_quoted_in_helm_values_and_flux_marker_fields(tag: str) -> None:
    values = parse("image:\n  repository: nginx\n  tag: 1.0.0\n", "values.yaml")
    written = values.render([ImageEdit(only(values, name="nginx"), tag)]).decode()
    assert written == f'image:\n  repository: nginx\n  tag: "{tag}"\n'
    assert yaml.safe_load(written)["image"]["tag"] == tag
    marked = parse('image: nginx\nnewTag: 1.0.0 # {"$imagepolicy": "flux-system:web:tag"}\n', "app.yaml")
    out = marked.render([ImageEdit(only(marked, policy="flux-system:web"), tag)]).decode()
    assert out == f'image: nginx\nnewTag: "{tag}" # {{"$imagepolicy": "flux-system:web:tag"}}\n'


@pytest.mark.parametrize("value", [".inf", "-.Inf", ".NaN", "~", "<<", "", "+1", "-0b101", "+.inf"])
def test_values_no_tag_can_hold_are_quoted_too(value: str) -> None:
    assert not reads_as_string_when_plain(value)
    assert render_scalar(value, "") == f'"{value}"'


@pytest.mark.parametrize("tag", PLAIN_TAGS)
def test_ordinary_tags_stay_plain(tag: str) -> None:
    assert render_scalar(tag, "") == tag
