"""The v1 ``ImageUpdater`` resource: once the repository holds any, they alone decide which Applications are
served (the most specific applicationRef wins) and whether annotations still count; their images' settings
merge field by field, the most specific level winning.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from image_updater.sources.argocd.annotations import from_annotations
from image_updater.sources.argocd.model import PREFIX, App, ArgocdRead, Setting, Wanted, split_image
from image_updater.sources.common import dotted, glob_matches, selector_problem, selector_size, selects
from image_updater.sources.files import Document, mapping
from image_updater.sources.model import NotServed


def wanted_images(read: ArgocdRead, app: App, updaters: Sequence[Document]) -> list[Wanted]:
    """The images to keep current in an Application: from its annotations, unless the repository holds
    ImageUpdater resources, which then decide (the most specific applicationRef matching it wins)."""
    mine = [u for u in updaters if u.namespace == app.namespace]
    if not updaters:
        return from_annotations(read, app, None)
    best = None
    for updater in mine:
        for index, ref in enumerate(updater.value("spec", "applicationRefs") or []):
            if not isinstance(ref, dict) or not _ref_matches(ref, app):
                continue
            score = _specificity(ref)
            if best is None or score > best[0]:
                best = (score, updater, index, ref)
    image_list = app.annotations.get(PREFIX + "image-list")
    if best is None:
        if image_list is not None:
            read.sources.not_served.append(
                NotServed(
                    app.title,
                    image_list.location,
                    "the repository holds ImageUpdater resources (argocd-image-updater v1), and no "
                    "ImageUpdater applicationRef with useAnnotations selects this Application",
                )
            )
        return []
    _, updater, index, ref = best
    if ref.get("useAnnotations"):
        where = updater.at("spec", "applicationRefs", index, "useAnnotations")
        suffix = f"ImageUpdater {updater.ref} applicationRefs[{index}] useAnnotations"
        return from_annotations(read, app, (suffix, where))
    return _from_updater(read, app, updater, index, ref)


def _from_updater(read: ArgocdRead, app: App, updater: Document, index: int, ref: Mapping[str, Any]) -> list[Wanted]:
    """The images an ImageUpdater applicationRef lists, each with its settings merged over the levels."""
    out = []
    title = f"ImageUpdater {updater.ref}"
    base = ("spec", "applicationRefs", index)
    for image_index, image in enumerate(ref.get("images") or []):
        if not isinstance(image, dict):
            continue
        here = (*base, "images", image_index)
        alias = str(image.get("alias") or "")
        name = str(image.get("imageName") or "")
        path, constraint = split_image(name)
        where = updater.at(*here)
        wanted = Wanted(
            app,
            alias or None,
            path,
            constraint,
            where,
            f"argocd ImageUpdater {updater.ref} (Application {app.name}), {where} "
            f"(applicationRefs[{index}].images[{image_index}] {alias})",
            "ImageUpdater",
            updater.ref,
            title,
        )
        fields = {
            "updateStrategy": "update-strategy",
            "allowTags": "allow-tags",
            "ignoreTags": "ignore-tags",
            "pullSecret": "pull-secret",
            "forceUpdate": "force-update",
            "platforms": "platforms",
        }
        for level in (("spec",), base, here):  # field by field, the most specific wins
            common = updater.value(*level, "commonUpdateSettings") or {}
            for cr_key, key in fields.items():
                if isinstance(common, dict) and common.get(cr_key) is not None:
                    path_ = (*level, "commonUpdateSettings", cr_key)
                    wanted.settings[key] = _setting(updater, path_, common[cr_key])
            config = updater.value(*level, "writeBackConfig") if level != here else None
            if isinstance(config, dict):
                if config.get("method") is not None:
                    path_ = (*level, "writeBackConfig", "method")
                    wanted.write["method"] = _setting(updater, path_, config["method"])
                git = mapping(config.get("gitConfig"))
                for cr_key, key in (
                    ("branch", "branch"),
                    ("writeBackTarget", "target"),
                    ("repository", "repository"),
                    ("pullRequest", "pullRequest"),
                ):
                    if git.get(cr_key) is not None:
                        path_ = (*level, "writeBackConfig", "gitConfig", cr_key)
                        wanted.write[key] = _setting(updater, path_, git[cr_key])
            for key in ("imagesVerification",):
                if updater.value(*level, key) is not None:
                    path_ = (*level, key)
                    _refuse(
                        read,
                        wanted,
                        updater,
                        path_,
                        "signature verification is not supported: image-updater never writes an image it "
                        "was asked to verify, so this image is not served",
                    )
        targets = image.get("manifestTargets") or {}
        if isinstance(targets, dict):
            if targets.get("plugin") is not None:
                path_ = (*here, "manifestTargets", "plugin")
                _refuse(read, wanted, updater, path_, "plugin manifest targets are not supported")
            for section, key_map in (
                ("helm", {"name": "helm.image-name", "tag": "helm.image-tag", "spec": "helm.image-spec"}),
                ("kustomize", {"name": "kustomize.image-name"}),
            ):
                body = targets.get(section) or {}
                for cr_key, key in key_map.items():
                    if isinstance(body, dict) and body.get(cr_key) is not None:
                        path_ = (*here, "manifestTargets", section, cr_key)
                        wanted.settings[key] = _setting(updater, path_, body[cr_key])
        pull_request = wanted.write.pop("pullRequest", None)
        if pull_request is not None:
            read.finding(
                "warning",
                title,
                pull_request.field,
                pull_request.location,
                "pull requests come from git.write.mode: pull_request; this is ignored",
            )
        out.append(wanted)
    return out


def _setting(updater: Document, path: tuple[str | int, ...], value: Any) -> Setting:
    """A field of an ImageUpdater as a setting: its value, where it is written, its path for findings."""
    return Setting(value, updater.at(*path), dotted(path))


def _refuse(read: ArgocdRead, wanted: Wanted, updater: Document, path: tuple[str | int, ...], message: str) -> None:
    """A field of an ImageUpdater that keeps the image from being served."""
    wanted.problems.append(
        read.finding("error", f"ImageUpdater {updater.ref}", dotted(path), updater.at(*path), message)
    )


def _ref_matches(ref: Mapping[str, Any], app: App) -> bool:
    pattern = str(ref.get("namePattern") or "*")
    if not glob_matches(pattern, app.name):
        return False
    selector = ref.get("labelSelectors")
    return selector is None or (selector_problem(selector) is None and selects(selector, app.labels))


def _specificity(ref: Mapping[str, Any]) -> int:
    """argocd-image-updater's ``calculateSpecificity``: a pattern without wildcards first, then literal
    characters; label selectors add 10,000 plus 100 per entry."""
    pattern = str(ref.get("namePattern") or "*")
    score = 0 if any(c in pattern for c in "*?[]") else 1_000_000
    score += sum(1 for c in pattern if c not in "*?[]")
    if ref.get("labelSelectors") is not None:
        score += 10_000 + 100 * selector_size(ref.get("labelSelectors"))
    return score
