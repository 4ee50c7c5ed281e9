"""ApplicationSets whose template carries argocd-image-updater annotations: the Applications a list
generator makes, each read as if written out. Other generators need the cluster; they are reported, not guessed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from image_updater.delivery.gotemplate import GoTemplateError
from image_updater.delivery.gotemplate import parse as parse_go_template
from image_updater.sources.argocd.annotations import annotation_settings, app_source
from image_updater.sources.argocd.model import PREFIX, App, ArgocdRead
from image_updater.sources.files import Document, child, plain


def generated(read: ArgocdRead, document: Document) -> list[App]:
    """The Applications a list generator makes from the template; other generators are reported."""
    template = document.get("spec", "template")
    raw_annotations = annotation_settings(document, ("spec", "template", "metadata", "annotations"))
    if not any(k.startswith(PREFIX) for k in raw_annotations):
        return []
    generators = document.value("spec", "generators") or []
    title = f"ApplicationSet {document.ref}"
    elements = (generators[0].get("list") or {}).get("elements") if len(generators) == 1 else None
    if not isinstance(generators[0] if generators else None, dict) or not isinstance(elements, list):
        kinds = ", ".join(sorted({k for g in generators if isinstance(g, dict) for k in g})) or "none"
        read.finding(
            "error",
            title,
            "spec.generators",
            document.at("spec", "generators"),
            f"generator {kinds} is not expanded (only one list generator with literal elements is); annotate "
            "the generated Applications or use an ImageUpdater",
        )
        return []
    go_template = bool(document.value("spec", "goTemplate"))
    apps = []
    for element in elements:
        if not isinstance(element, dict):
            continue
        try:
            name = _substitute(str(plain(child(template, "metadata", "name")) or ""), element, go_template)
            namespace = _substitute(
                str(plain(child(template, "metadata", "namespace")) or document.namespace), element, go_template
            )
            source = {
                k: _substitute(v, element, go_template) if isinstance(v, str) else v
                for k, v in app_source(plain(child(template, "spec")) or {}).items()
            }
            annotations = {
                k: replace(s, value=_substitute(str(s.value), element, go_template)) for k, s in raw_annotations.items()
            }
        except ValueError as exc:
            read.finding("error", title, "spec.template", document.at("spec", "template"), str(exc))
            return []
        labels = plain(child(template, "metadata", "labels")) or {}
        apps.append(
            App(
                document,
                name,
                namespace,
                {str(k): str(v) for k, v in labels.items()},
                annotations,
                source,
                f"argocd ApplicationSet {document.ref} (Application {name})",
                title,
                generated=True,
            )
        )
    return apps


def _substitute(text: str, element: Mapping[str, Any], go_template: bool) -> str:
    if go_template:
        try:
            return parse_go_template(text).render(dict(element))
        except GoTemplateError as exc:
            raise ValueError(f"template {text!r}: {exc}") from None
    out = text
    for key, value in element.items():
        for placeholder in (f"{{{{{key}}}}}", f"{{{{ {key} }}}}"):
            out = out.replace(placeholder, str(value))
    if "{{" in out:
        raise ValueError(f"{text!r}: a placeholder is not set by the list generator's elements")
    return out
