"""Kustomization edits are checked by kustomize itself: ``kubectl kustomize`` must render our images."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from image_updater.manifests import ImageEdit, ManifestFile
from tests.manifests.util import only

DIGEST = "sha256:" + "d" * 64
DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: shop
spec:
  selector: {matchLabels: {app: shop}}
  template:
    metadata: {labels: {app: shop}}
    spec:
      containers:
      - name: web
        image: nginx
      - name: cache
        image: redis
      - name: api
        image: ghcr.io/org/api
      - name: jobs
        image: busybox
"""
KUSTOMIZATION = f"""apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - deployment.yaml
images:
  # mirrored
  - name: nginx
    newName: registry.local/nginx # mirror
    newTag: 1.25.0
  - name: redis
    newTag: "7.0"
    digest: {DIGEST}
  - name: ghcr.io/org/api
  - {{name: busybox, newTag: "1.36"}}
"""


def kustomize_images(directory: Path) -> dict[str, str]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed")
    output = subprocess.run(
        [kubectl, "kustomize", str(directory)], check=True, capture_output=True, text=True, timeout=60
    ).stdout
    [deployment] = [doc for doc in yaml.safe_load_all(output) if doc]
    return {c["name"]: c["image"] for c in deployment["spec"]["template"]["spec"]["containers"]}


def test_kustomize_renders_the_images_we_wrote(tmp_path: Path) -> None:
    (tmp_path / "deployment.yaml").write_text(DEPLOYMENT)
    (tmp_path / "kustomization.yaml").write_text(KUSTOMIZATION)
    assert kustomize_images(tmp_path) == {
        "web": "registry.local/nginx:1.25.0",
        "cache": f"redis:7.0@{DIGEST}",  # kustomize 5 writes both
        "api": "ghcr.io/org/api",
        "jobs": "busybox:1.36",
    }
    manifest = ManifestFile.parse("kustomization.yaml", KUSTOMIZATION.encode())
    new_digest = "sha256:" + "e" * 64
    edits = [
        ImageEdit(only(manifest, name="registry.local/nginx"), "1.25.1"),
        ImageEdit(only(manifest, name="redis"), "7.2"),  # a new tag drops the old digest
        ImageEdit(only(manifest, name="ghcr.io/org/api"), "v2", digest=new_digest),  # both keys added
        ImageEdit(only(manifest, name="busybox"), "1.37"),
    ]
    result = manifest.render(edits)
    (tmp_path / "kustomization.yaml").write_bytes(result)
    assert kustomize_images(tmp_path) == {
        "web": "registry.local/nginx:1.25.1",
        "cache": "redis:7.2",
        "api": f"ghcr.io/org/api:v2@{new_digest}",
        "jobs": "busybox:1.37",
    }
    added = f"  - name: ghcr.io/org/api\n    newTag: v2\n    digest: {new_digest}\n"
    assert result.decode() == KUSTOMIZATION.replace("1.25.0", "1.25.1").replace(
        f'"7.0"\n    digest: {DIGEST}', '"7.2"\n    digest: ""'
    ).replace("  - name: ghcr.io/org/api\n", added).replace('"1.36"', '"1.37"')


def test_kustomize_renders_a_renamed_image(tmp_path: Path) -> None:
    (tmp_path / "deployment.yaml").write_text(DEPLOYMENT)
    manifest = ManifestFile.parse("kustomization.yaml", KUSTOMIZATION.encode())
    api = only(manifest, name="ghcr.io/org/api")
    result = manifest.render([ImageEdit(api, "v3", name="quay.io/org/api")])
    (tmp_path / "kustomization.yaml").write_bytes(result)
    assert kustomize_images(tmp_path)["api"] == "quay.io/org/api:v3"
