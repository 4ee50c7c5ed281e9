"""Reading a checkout's Flux objects: each kind read on its own, then served together — which automation
serves which policy — and every marker that will not be updated explained, as Flux never does.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping, Sequence
from typing import Any

from image_updater.sources.common import Context, covers, selects
from image_updater.sources.files import Checkout
from image_updater.sources.flux.automations import Automation, read_automation
from image_updater.sources.flux.images import read_policy, read_repository
from image_updater.sources.flux.objects import FluxRead, flux_objects, markers
from image_updater.sources.model import DerivedImage, Location, Note, SourceSet


class FluxReader(FluxRead):
    """One read of a checkout's Flux objects into ``sources``: each kind, then serving, then markers."""

    def read(self) -> None:
        objects = flux_objects(self)
        repositories = {key: read_repository(self, d) for key, d in objects["ImageRepository"].items()}
        automations = [read_automation(self, d) for _, d in sorted(objects["ImageUpdateAutomation"].items())]
        images: dict[tuple[str, str], DerivedImage] = {}
        for key, document in sorted(objects["ImagePolicy"].items(), key=lambda kv: (kv[1].file, kv[1].location)):
            images[key] = read_policy(self, document, repositories)
        self._serve(images, automations)
        self._markers(images, automations)
        served = {a.document.title for a in automations if a.served}
        served |= {f"ImageRepository {d.ref}" for d in objects["ImageRepository"].values()}
        served |= {f"ImagePolicy {d.ref}" for d in objects["ImagePolicy"].values()}
        for document, found in self.infos:
            if document.kind != "ImageUpdateAutomation" or document.title in served:
                self.sources.findings.append(found)

    # -- serving ----------------------------------------------------------------------------------------
    def _serve(self, images: Mapping[tuple[str, str], DerivedImage], automations: Sequence[Automation]) -> None:
        for image in images.values():
            for automation in automations:
                if automation.target is None or automation.document.namespace != image.namespace:
                    continue
                if selects(automation.selector, image.labels):
                    image.served_by.append(automation.target.id)
                    if image.status == "served":
                        automation.target.images.append(image.name)
            if image.status == "served" and not image.served_by:
                image.status = "not served"
                image.reason = "no served ImageUpdateAutomation of its namespace selects it"
            self.sources.images.append(image)
        self.sources.targets.extend(a.target for a in automations if a.target is not None)

    def _markers(self, images: Mapping[tuple[str, str], DerivedImage], automations: Sequence[Automation]) -> None:
        """Every marker that will not be updated, and why (Flux ignores them silently)."""
        for rel in sorted(self.checkout.files):
            if posixpath.basename(rel) == "Kustomization" or rel.endswith((".yaml", ".yml")):
                data = self.checkout.read(rel)
                if data is None or b'"$imagepolicy"' not in data:
                    continue
                for found in markers(rel, data):
                    note = self._marker_note(found, images, automations)
                    if note is not None:
                        value = str(found.reference) if found.marker_field == "" else _field_value(found)
                        self.sources.notes.append(Note(Location(rel, found.line), value, note))

    def _marker_note(
        self, found: Any, images: Mapping[tuple[str, str], DerivedImage], automations: Sequence[Automation]
    ) -> str | None:
        marker = found.policy + (f":{found.marker_field}" if found.marker_field else "")
        namespace, _, name = found.policy.partition(":")
        image = images.get((namespace, name))
        if image is None:
            return f"marker {marker} names no known policy (no ImagePolicy {namespace}/{name} in the repository)"
        covering_ = [a for a in automations if a.document.namespace == namespace and covers(a.path, found.path)]
        serving = [a for a in covering_ if a.served and selects(a.selector, image.labels)]
        if serving:
            if image.status in ("suspended", "error"):
                return f"marker {marker} is not updated: {image.reason}"
            if found.marker_field == "name" and found.reference is not None and found.reference.name == image.image:
                return f"marker {marker} already names {image.image} (the ImageRepository's spec.image)"
            return None
        served = [a for a in covering_ if a.served]
        if served:
            names = ", ".join(a.document.ref for a in served)
            return (
                f"marker {marker} is not updated: not selected by the policySelector of ImageUpdateAutomation {names}"
            )
        if covering_:
            return f"marker {marker} is not updated: " + "; ".join(
                f"ImageUpdateAutomation {a.document.ref} is not served: {', '.join(a.reasons)}" for a in covering_
            )
        return f"marker {marker} is not updated: no ImageUpdateAutomation of namespace {namespace} covers this file"


def _field_value(found: Any) -> str:
    ref = found.reference
    if ref is None:
        return ""
    return {"tag": ref.tag, "name": ref.name, "digest": ref.digest}.get(found.marker_field) or ""


def read_flux(checkout: Checkout, context: Context, sources: SourceSet) -> None:
    FluxReader(checkout, context, sources).read()
