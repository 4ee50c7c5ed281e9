"""The cycle's pure middle: bind references to images, decide, render — on real files in a folder.

Registry answers are given as data (``ImageScan``): this layer never talks to a registry, so the
tests here pin its rules; the end-to-end tests drive the same code against a real registry.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from image_updater.config import Settings
from image_updater.cycle import ImageScan, index_repo, plan_edits, write_edits


def settings(*images: dict[str, Any]) -> Settings:
    return Settings(git={"url": "file:///unused"}, images=list(images))


def scans(config: Settings, tags: dict[str, list[str]]) -> dict[str, ImageScan]:
    return {i.name: ImageScan(i, tags=tags.get(i.name, [])) for i in config.images}


def tree_of(tmp_path: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    return tmp_path


WEB = {"name": "web", "image": "reg.example/team/web", "policy": {"semver": "^1.0"}}
API = {"name": "api", "image": "reg.example/team/api", "policy": {"semver": "^1.0"}}


def test_an_image_whose_edit_fails_in_one_file_is_withheld_from_every_file(tmp_path: Path) -> None:
    root = tree_of(
        tmp_path,
        {
            "a.yaml": "kind: Pod\nspec:\n  containers:\n  - name: w\n    image: reg.example/team/web:1.0.0\n"
            "  - name: a\n    image: reg.example/team/api:1.0.0\n",
            # the tag is an anchor that a non-image field also uses: the engine refuses to edit it
            "values.yaml": "web:\n  image:\n    repository: reg.example/team/web\n    tag: &v 1.0.0\n"
            "labels:\n  version: *v\n",
        },
    )
    config = settings(WEB, API)
    tree = plan_edits(
        index_repo(root, config.target(), config.manifests),
        scans(config, {"web": ["1.0.0", "1.1.0"], "api": ["1.2.0"]}),
    )
    assert tree.failed_images == {"web"}
    assert [(c.image, c.path) for c in tree.changes] == [("api", "a.yaml")]
    assert any("values.yaml" in e and "alias" in e for e in tree.errors), tree.errors  # the real cause is kept
    assert any(e.startswith("image web: not updated anywhere") for e in tree.errors)
    write_edits(root, tree)
    text = (root / "a.yaml").read_text()
    assert "team/web:1.0.0" in text and "team/api:1.2.0" in text


def test_a_policy_error_withholds_the_image_and_not_the_others(tmp_path: Path) -> None:
    numeric = {
        "name": "job",
        "image": "reg.example/team/job",
        "policy": {"filter": "^(?P<n>.*)$", "extract": "$n", "order": "numerical"},
    }
    root = tree_of(
        tmp_path,
        {
            "d.yaml": "kind: Pod\nspec:\n  containers:\n"
            "  - {name: j, image: reg.example/team/job:5}\n"
            "  - {name: w, image: reg.example/team/web:1.0.0}\n"
        },
    )
    config = settings(numeric, WEB)
    tree = plan_edits(
        index_repo(root, config.target(), config.manifests), scans(config, {"job": ["6", "seven"], "web": ["1.1.0"]})
    )
    assert tree.failed_images == {"job"}
    assert any("job" in e and "seven" in e for e in tree.errors)
    assert [c.image for c in tree.changes] == ["web"]


def test_flux_whole_reference_marker_writes_the_policys_repository(tmp_path: Path) -> None:
    root = tree_of(tmp_path, {"m.yaml": 'image: other.example/x/y:1.0.0 # {"$imagepolicy": "flux-system:web"}\n'})
    config = settings(WEB)
    tree = plan_edits(index_repo(root, config.target(), config.manifests), scans(config, {"web": ["1.0.0", "1.1.0"]}))
    write_edits(root, tree)
    assert (root / "m.yaml").read_text() == 'image: reg.example/team/web:1.1.0 # {"$imagepolicy": "flux-system:web"}\n'


def test_name_and_tag_markers_make_one_change_not_two(tmp_path: Path) -> None:
    root = tree_of(
        tmp_path,
        {
            "kustomization.yaml": (
                'images:\n- name: web\n  newName: reg.example/team/web # {"$imagepolicy": "flux-system:web:name"}\n'
                '  newTag: 1.0.0 # {"$imagepolicy": "flux-system:web:tag"}\n'
            )
        },
    )
    config = settings(WEB)
    tree = plan_edits(index_repo(root, config.target(), config.manifests), scans(config, {"web": ["1.1.0"]}))
    assert [(c.old, c.new) for c in tree.changes] == [("1.0.0", "1.1.0")]
    settled = plan_edits(index_repo(root, config.target(), config.manifests), scans(config, {"web": ["1.0.0"]}))
    assert settled.changes == [] and not settled.errors


def test_markers_bind_to_the_exact_name_before_a_namespace_suffix(tmp_path: Path) -> None:
    root = tree_of(tmp_path, {"m.yaml": 'image: reg.example/team/web:1.0.0 # {"$imagepolicy": "apps:web"}\n'})
    # a second policy on the same repository binds by name only (as Flux markers pick a policy)
    namespaced = {**WEB, "name": "apps:web", "policy": {"semver": "~1.0"}, "bind_by": "name"}
    config = settings(WEB, namespaced)
    index = index_repo(root, config.target(), config.manifests)
    assert [b.image.name for b in index.bindings] == ["apps:web"]


def test_symlinked_files_are_neither_read_nor_written(tmp_path: Path) -> None:
    outside = tmp_path / "outside.yaml"
    outside.write_text("kind: Pod\nspec:\n  containers:\n  - {name: w, image: reg.example/team/web:1.0.0}\n")
    root = tree_of(tmp_path / "repo", {"base/deploy.yaml": outside.read_text()})
    (root / "prod.yaml").symlink_to(root / "base" / "deploy.yaml")
    (root / "ext.yaml").symlink_to(outside)
    config = settings(WEB)
    index = index_repo(root, config.target(), config.manifests)
    assert sorted({b.found.path for b in index.bindings}) == ["base/deploy.yaml"]
    write_edits(root, plan_edits(index, scans(config, {"web": ["1.1.0"]})))
    assert (root / "prod.yaml").is_symlink() and "1.1.0" in (root / "prod.yaml").read_text()
    assert "1.0.0" in outside.read_text()


def test_a_broken_reference_does_not_hold_back_its_neighbours_in_the_same_file(tmp_path: Path) -> None:
    root = tree_of(
        tmp_path,
        {
            "values.yaml": (
                "web:\n  image:\n    repository: reg.example/team/web\n    tag: &v 1.0.0\nlabels:\n  version: *v\n"
                "api:\n  image:\n    repository: reg.example/team/api\n    tag: 1.0.0\n"
            )
        },
    )
    config = settings(WEB, API)
    tree = plan_edits(
        index_repo(root, config.target(), config.manifests), scans(config, {"web": ["1.1.0"], "api": ["1.2.0"]})
    )
    assert tree.failed_images == {"web"}
    assert [c.image for c in tree.changes] == ["api"]
    assert not any(e.startswith("image api") for e in tree.errors)
    write_edits(root, tree)
    text = (root / "values.yaml").read_text()
    assert "tag: 1.2.0" in text and "tag: &v 1.0.0" in text


def test_an_extensionless_kustomization_file_is_read_and_edited(tmp_path: Path) -> None:
    # kustomize reads `Kustomization` as readily as `kustomization.yaml`; the walk once skipped it
    kustomization = "images:\n- name: reg.example/team/web\n  newTag: 1.0.0\n"
    root = tree_of(
        tmp_path,
        {"overlays/prod/Kustomization": kustomization, "overlays/prod/README": "image: reg.example/team/web:1.0.0\n"},
    )
    config = settings(WEB)
    plan = plan_edits(index_repo(root, config.target(), config.manifests), scans(config, {"web": ["1.0.0", "1.1.0"]}))
    assert [(c.path, c.old, c.new) for c in plan.changes] == [("overlays/prod/Kustomization", "1.0.0", "1.1.0")]
    write_edits(root, plan)
    assert (root / "overlays/prod/Kustomization").read_text().endswith("newTag: 1.1.0\n")


def test_a_bad_key_path_is_refused_at_load_naming_the_key() -> None:
    # the grammar the key-path manager walks is the one the settings check: `a..b` never reaches a cycle
    import pytest
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match=r"bad key path 'backend\.\.tag'"):
        settings({**WEB, "key_paths": [{"tag": "backend..tag"}]})
    with pytest.raises(ValidationError, match=r"bad key path 'spec\[x\]'"):
        Settings(git={"url": "file:///unused"}, manifests={"custom_resources": [{"kind": "W", "path": "spec[x]"}]})
