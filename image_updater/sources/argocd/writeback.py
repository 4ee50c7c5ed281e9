"""Where an Application's images are written back (``write-back-target``): the ``.argocd-source`` override
file, a kustomization or a Helm values file. Each image is bound to that one file; an override file absent
from the repository is prepared with the current values, to be created only when an update changes it.
"""

from __future__ import annotations

import posixpath
from typing import Any

from image_updater.manifests import KeyPathSettings
from image_updater.manifests.tree import Scalar, SeqNode, deref
from image_updater.reference import ImageReference, canonical_name
from image_updater.sources.argocd import source_file
from image_updater.sources.argocd.current import canonical, find_current, helm_value, source_type
from image_updater.sources.argocd.model import App, ArgocdRead, Setting, Wanted, WriteBackPlan
from image_updater.sources.common import normal_path
from image_updater.sources.files import child, key_line, plain
from image_updater.sources.model import DerivedImage, Location, Note, NotServed


def write_back_plan(read: ArgocdRead, app: App, first: Wanted) -> WriteBackPlan | str:
    """Where this Application's images are written, or why they cannot be."""
    setting = first.write.get("target")
    target = str(setting.value).strip() if setting is not None else ""
    kind, _, argument = target.partition(":")
    where = setting.location if setting is not None else first.location
    if kind == "kustomization":
        folder = normal_path(app.path, argument or ".")
        found = read.checkout.kustomization(folder) if folder is not None else None
        if found is None:
            return _refuse_plan(read, first, setting, where, f"no kustomization file in {folder}")
        return WriteBackPlan("kustomization", posixpath.normpath(found), "kustomize", True, where)
    if kind == "helmvalues":
        file = normal_path(app.path, argument or "values.yaml")
        if file is None or not read.checkout.exists(file):
            return _refuse_plan(read, first, setting, where, f"the values file {file} does not exist")
        return WriteBackPlan("helmvalues", file, "helm", True, where)
    app_type = source_type(read, app)
    if app_type is None:
        return _refuse_plan(
            read, first, setting, where, "argocd-image-updater only updates Helm and Kustomize applications"
        )
    if target:
        file = normal_path(app.path, target)
        if file is None:
            return _refuse_plan(read, first, setting, where, f"{target} leaves the repository")
    else:
        name = source_file.file_name(app.name, app.namespace, read.context.settings.argocd_namespace)
        file = posixpath.normpath(posixpath.join(app.path, name))
    return WriteBackPlan("argocd-source", file, app_type, read.checkout.exists(file), where)


def _refuse_plan(read: ArgocdRead, first: Wanted, setting: Setting | None, where: Location, message: str) -> str:
    read.finding("error", first.finding_object, setting.field if setting else "", where, message)
    return message


def write_back(read: ArgocdRead, item: Wanted, image: DerivedImage, plan: WriteBackPlan) -> None:
    """Bind one image to the plan's file, and find its current value there (or in the manifests)."""
    image.scope = (plan.file,)
    image.write_back = {"kind": plan.kind, "format": plan.format, "file": plan.file}
    if plan.location is not None and plan.location != item.location and plan.location not in image.contributes:
        image.contributes.append(plan.location)
    if plan.kind == "helmvalues":
        _helm_values(read, item, image, plan)
    elif plan.kind == "kustomization":
        _kustomization(read, item, image, plan)
    elif plan.exists:
        _existing_override(read, item, image, plan)
    else:
        find_current(read, item, image, plan)


def _helm_values(read: ArgocdRead, item: Wanted, image: DerivedImage, plan: WriteBackPlan) -> None:
    if item.alias is None:
        image.status, image.reason = "not served", "argocd-image-updater skips images without an alias here"
        read.sources.not_served.append(NotServed(item.app.title, item.location, image.reason))
        return
    name, tag, spec = item.helm_names
    document = (read.checkout.composed(plan.file) or _EMPTY).documents
    keys = [k for k in (spec, tag, name) if k]
    missing = [k for k in keys if not helm_value(document, k)]
    if missing:
        message = (
            f"{plan.file} has no key {', '.join(missing)}: argocd-image-updater would add it; image-updater "
            "edits existing values only (add the key)"
        )
        read.finding("error", item.finding_object, "write-back-target", plan.location or item.location, message)
        image.status, image.reason = "error", message
        return
    if spec is not None:
        image.key_paths = (KeyPathSettings(tag=spec, files=[plan.file]),)
    else:
        image.key_paths = (KeyPathSettings(tag=tag, repository=name, files=[plan.file]),)
        found = helm_value(document, name)  # type: ignore[arg-type]
        if isinstance(found, Scalar):
            note = (
                f"already holds {item.path}"
                if found.value == item.path
                else f"is left as it is (image-updater writes the tag; {item.path})"
            )
            read.sources.notes.append(
                Note(Location(plan.file, found.line), found.value, f"{image.name}: {name} {note}")
            )
    current = helm_value(document, spec or tag)  # type: ignore[arg-type]
    if isinstance(current, Scalar):
        image.current_from = Location(plan.file, current.line)


def _kustomization(read: ArgocdRead, item: Wanted, image: DerivedImage, plan: WriteBackPlan) -> None:
    wanted = canonical_name(item.kustomize_name)
    composed = read.checkout.composed(plan.file)
    entries = deref(child(composed.documents[0], "images")) if composed and composed.documents else None
    for entry in entries.items if isinstance(entries, SeqNode) else []:
        value = plain(entry)
        if isinstance(value, dict) and canonical(value.get("name")) == wanted:
            if value.get("newName") is None and wanted != canonical_name(item.path):
                break
            image.current_from = Location(plan.file, key_line(entry, "newTag") or deref(entry).line)  # type: ignore[union-attr]
            return
    message = (
        f"{plan.file} has no images: entry named {item.kustomize_name} with newName {item.path}: "
        "argocd-image-updater would add it; add it (kustomize edit set image)"
    )
    read.finding("warning", item.finding_object, "write-back-target", plan.location or item.location, message)
    image.status, image.reason = "not found", message


def _existing_override(read: ArgocdRead, item: Wanted, image: DerivedImage, plan: WriteBackPlan) -> None:
    composed = read.checkout.composed(plan.file)
    document = composed.documents[0] if composed and composed.documents else None
    if plan.format == "kustomize":
        name = item.kustomize_name
        images = deref(child(document, "kustomize", "images"))
        for entry in images.items if isinstance(images, SeqNode) else []:
            entry = deref(entry)  # type: ignore[assignment]
            if isinstance(entry, Scalar) and source_file.image_name_of(entry.value) == name:
                image.current_from = Location(plan.file, entry.line)
                return
    else:
        name_key, tag_key, spec_key = item.helm_names
        positions = _parameters(document)
        keys = [spec_key] if spec_key else [tag_key, name_key]
        if all(k in positions for k in keys):
            if spec_key:
                image.key_paths = (KeyPathSettings(tag=_param(positions[spec_key]), files=[plan.file]),)
            else:
                image.key_paths = (
                    KeyPathSettings(
                        tag=_param(positions[tag_key]),  # type: ignore[index]
                        repository=_param(positions[name_key]),  # type: ignore[index]
                        files=[plan.file],
                    ),
                )
            value = deref(child(document, "helm", "parameters", positions[keys[0]], "value"))  # type: ignore[index]
            if value is not None:
                image.current_from = Location(plan.file, value.line)
            return
    message = (
        f"{plan.file} has no entry for {item.path}: argocd-image-updater would add one; add it to the file "
        "(its current tag) to have it kept current"
    )
    read.finding("warning", item.finding_object, "image-list", item.location, message)
    image.status, image.reason = "not found", message


def create_override(read: ArgocdRead, app: App, plan: WriteBackPlan, served: list[tuple[Wanted, DerivedImage]]) -> None:
    """The override file argocd-image-updater would write, holding the current values: created by the
    cycle only when an edit makes it differ."""
    if not served:
        return
    if plan.format == "kustomize":
        images = [str(i) for i in app.kustomize_images]
        for item, image in served:
            current = read.currents.get(image.name)
            reference = str(_with_current(item, current))
            setting = item.settings.get("kustomize.image-name")
            entry = f"{item.kustomize_name}={reference}" if setting is not None else reference
            images = source_file.merge_image(images, entry)
        read.sources.created[plan.file] = source_file.kustomize_file(images)
        return
    parameters: dict[str, str] = {}
    for item, image in served:
        current = read.currents.get(image.name)
        name_key, tag_key, spec_key = item.helm_names
        version = (current.tag or "") + (f"@{current.digest}" if current and current.digest else "") if current else ""
        if spec_key:
            parameters[spec_key] = str(_with_current(item, current))
        else:
            parameters[name_key] = item.path  # type: ignore[index]
            parameters[tag_key] = version  # type: ignore[index]
    ordered = sorted(parameters)
    read.sources.created[plan.file] = source_file.helm_file(list(parameters.items()))
    for item, image in served:
        name_key, tag_key, spec_key = item.helm_names
        if spec_key:
            image.key_paths = (KeyPathSettings(tag=_param(ordered.index(spec_key)), files=[plan.file]),)
        else:
            image.key_paths = (
                KeyPathSettings(
                    tag=_param(ordered.index(tag_key)),  # type: ignore[arg-type]
                    repository=_param(ordered.index(name_key)),  # type: ignore[arg-type]
                    files=[plan.file],
                ),
            )


def _with_current(item: Wanted, current: ImageReference | None) -> ImageReference:
    """The image's repository with the tag and digest it deploys now (none when that is not known)."""
    return ImageReference(item.path, current.tag if current else None, current.digest if current else None)


_EMPTY = type("_Empty", (), {"documents": []})()


def _param(index: int) -> str:
    return f"helm.parameters[{index}].value"


def _parameters(document: Any) -> dict[str, int]:
    parameters = plain(child(document, "helm", "parameters")) or []
    return {str(p.get("name")): i for i, p in enumerate(parameters) if isinstance(p, dict)}
