"""What an Application deploys now, read from what Argo CD renders (its Helm parameters and values files,
its kustomizations and the manifests they list): the starting point of an override file, never edited.
"""

from __future__ import annotations

import posixpath
from collections.abc import Sequence
from typing import Any

from image_updater.errors import ImageUpdaterError, InvalidReferenceError
from image_updater.manifests import ManagerOptions, ManifestFile, parse_path
from image_updater.manifests.paths import resolve
from image_updater.manifests.tree import Scalar, deref
from image_updater.reference import ImageReference, canonical_name
from image_updater.sources.argocd import source_file
from image_updater.sources.argocd.model import App, ArgocdRead, Wanted, WriteBackPlan
from image_updater.sources.common import normal_path
from image_updater.sources.files import child, key_line, mapping, plain
from image_updater.sources.model import DerivedImage, Location, NotServed


def source_type(read: ArgocdRead, app: App) -> str | None:
    """``helm`` or ``kustomize`` as Argo CD would render the Application, or None for any other."""
    if app.source.get("helm") is not None:
        return "helm"
    if app.source.get("kustomize") is not None:
        return "kustomize"
    if app.source.get("plugin") is not None:
        return None
    if read.checkout.exists(posixpath.join(app.path, "Chart.yaml")):
        return "helm"
    if read.checkout.kustomization(app.path) is not None:
        return "kustomize"
    return None


def find_current(read: ArgocdRead, item: Wanted, image: DerivedImage, plan: WriteBackPlan) -> None:
    """The tag the Application deploys now, read from its manifests (never edited)."""
    found = helm_current(read, item) if plan.format == "helm" else kustomize_current(read, item)
    if found is not None:
        image.current_from = found[1]
        read.currents[image.name] = found[0]
        return
    read.currents[image.name] = None
    if not image.force_update:
        message = f"{item.path} is not used by any manifest of the Application (set force-update to write it anyway)"
        image.status, image.reason = "not found", message
        read.sources.not_served.append(NotServed(item.app.title, item.location, message))


def kustomize_current(read: ArgocdRead, item: Wanted) -> tuple[ImageReference, Location] | None:
    """The reference a Kustomize Application deploys now: its own ``kustomize.images``, else rendered."""
    name = canonical_name(item.kustomize_name)
    for entry in item.app.kustomize_images:
        text = str(entry)
        if canonical_name(source_file.image_name_of(text)) == name:
            reference = _reference(text.partition("=")[2] or text)
            if reference is not None:
                return reference, item.app.document.at("spec", "source", "kustomize", "images")
    return _rendered(read, item.app.path, name, item.path, set())


def _rendered(
    read: ArgocdRead, folder: str, name: str, path: str, seen: set[str]
) -> tuple[ImageReference, Location] | None:
    """Follow a kustomization's resources: its images: transforms, then the image references found."""
    if folder in seen:
        return None
    seen.add(folder)
    file = read.checkout.kustomization(folder)
    composed = read.checkout.composed(file) if file else None
    if file is None or composed is None or not composed.documents:
        return None
    document = composed.documents[0]
    for index, entry in enumerate(plain(child(document, "images")) or []):
        if isinstance(entry, dict) and canonical(entry.get("name")) == name and entry.get("newTag") is not None:
            return ImageReference(path, str(entry["newTag"]), entry.get("digest")), Location(
                file, key_line(document, "images", index) or 1
            )
    for resource in plain(child(document, "resources")) or []:
        if not isinstance(resource, str) or "://" in resource:
            continue
        target = posixpath.normpath(posixpath.join(folder, resource))
        if read.checkout.exists(target):
            found = _references(read, target, name)
        else:
            found = _rendered(read, target, name, path, seen)
        if found is not None:
            return found
    return None


def _references(read: ArgocdRead, file: str, name: str) -> tuple[ImageReference, Location] | None:
    data = read.checkout.read(file)
    if data is None:
        return None
    try:
        parsed = ManifestFile.parse(file, data, ManagerOptions(managers=frozenset({"kubernetes", "helm"})))
    except ImageUpdaterError:
        return None
    for found in parsed.images:
        if found.reference is not None and canonical_name(found.reference.name) == name:
            return found.reference, Location(file, found.line)
    return None


def helm_current(read: ArgocdRead, item: Wanted) -> tuple[ImageReference, Location] | None:
    """The reference a Helm Application deploys now: its parameters, else its values files."""
    _, tag_key, spec_key = item.helm_names
    key = spec_key or tag_key
    assert key is not None
    helm = mapping(item.app.source.get("helm"))
    for index, parameter in enumerate(helm.get("parameters") or []):
        if isinstance(parameter, dict) and parameter.get("name") == key and parameter.get("value"):
            reference = _helm_reference(item, str(parameter["value"]), bool(spec_key))
            if reference is not None:
                return reference, item.app.document.at("spec", "source", "helm", "parameters", index)
    files = [normal_path(item.app.path, str(f)) for f in reversed(helm.get("valueFiles") or [])]
    for file in [*files, posixpath.join(item.app.path, "values.yaml")]:
        composed = read.checkout.composed(file) if file else None
        found = helm_value(composed.documents, key) if composed else None
        if isinstance(found, Scalar) and found.value and file:
            reference = _helm_reference(item, found.value, bool(spec_key))
            if reference is not None:
                return reference, Location(file, found.line)
    return None


def _helm_reference(item: Wanted, value: str, spec: bool) -> ImageReference | None:
    if spec:
        return _reference(value)
    tag, _, digest = value.partition("@")
    return ImageReference(item.path, tag or None, digest or None)


def helm_value(documents: Sequence[Any], key: str) -> Any:
    """The node at a Helm parameter name (``a.b[0].c``) in the first document holding it."""
    try:
        steps = parse_path(key)
    except ValueError:
        return None
    for document in documents:
        found = list(resolve(document, steps))
        if found:
            return deref(found[0])
    return None


def canonical(name: Any) -> str | None:
    """A name's canonical form, or None for none or one that is no image name."""
    try:
        return canonical_name(str(name)) if name else None
    except InvalidReferenceError:
        return None


def _reference(text: str) -> ImageReference | None:
    try:
        return ImageReference.parse(text)
    except InvalidReferenceError:
        return None
