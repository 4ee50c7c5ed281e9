"""Which documents of a checkout are Flux image automation objects, which comments are Flux's markers, and
how a finding names a field.

Every kind's reader works on one :class:`FluxRead`: API versions, duplicates and fields Flux does not have
are judged here once, before any object means anything, and findings about an automation Flux would not
serve are held back until it is known whether it is served.
"""

from __future__ import annotations

from collections.abc import Sequence

from image_updater.errors import ImageUpdaterError
from image_updater.manifests import FoundImage, ManagerOptions, ManifestFile
from image_updater.sources.common import Context, dotted
from image_updater.sources.files import Checkout, Document
from image_updater.sources.model import Finding, SourceSet

IMAGE_GROUP = "image.toolkit.fluxcd.io"
SOURCE_GROUP = "source.toolkit.fluxcd.io"
READ_VERSIONS = ("v1", "v1beta2")
KINDS = ("ImageRepository", "ImagePolicy", "ImageUpdateAutomation")

_SPEC_FIELDS = {
    "ImageRepository": {
        "image",
        "interval",
        "timeout",
        "secretRef",
        "serviceAccountName",
        "certSecretRef",
        "proxySecretRef",
        "accessFrom",
        "suspend",
        "exclusionList",
        "insecure",
        "provider",
    },
    "ImagePolicy": {"imageRepositoryRef", "policy", "filterTags", "digestReflectionPolicy", "interval", "suspend"},
    "ImageUpdateAutomation": {"sourceRef", "git", "interval", "policySelector", "update", "suspend"},
}
_MARKERS_ONLY = ManagerOptions(managers=frozenset({"marker"}))
_GIT_FIELDS = {
    "checkout": {"ref"},
    "commit": {"author", "signingKey", "messageTemplate", "messageTemplateValues"},
    "push": {"branch", "refspec", "options"},
}


class FluxRead:
    """What each kind's reader works on in one read: the checkout, the context, and where findings go (infos
    held back in ``infos``: the reader keeps those of served automations only)."""

    def __init__(self, checkout: Checkout, context: Context, sources: SourceSet) -> None:
        self.checkout, self.context, self.sources = checkout, context, sources
        self.infos: list[tuple[Document, Finding]] = []  # kept for served objects only

    # -- findings ---------------------------------------------------------------------------------------
    def finding(self, severity: str, document: Document, path: Sequence[str | int], message: str) -> Finding:
        found = Finding(
            severity,  # type: ignore[arg-type]
            document.title,
            dotted(path),
            document.at(*path),
            message,
        )
        if severity == "info":
            self.infos.append((document, found))
        else:
            self.sources.findings.append(found)
        return found

    def namespaces(self) -> dict[str, dict[str, str]]:
        """Namespace labels as the API server has them: its name, plus a Namespace object's labels."""
        labels: dict[str, dict[str, str]] = {}
        for document in self.checkout.documents:
            if document.kind == "Namespace" and document.api_version == "v1":
                labels[document.name] = dict(document.labels)
        return labels


def flux_objects(read: FluxRead) -> dict[str, dict[tuple[str, str], Document]]:
    """The checkout's Flux objects by kind and (namespace, name): of a version read, each defined once."""
    objects: dict[str, dict[tuple[str, str], Document]] = {kind: {} for kind in KINDS}
    for document in read.checkout.documents:
        if document.group != IMAGE_GROUP or document.kind not in KINDS or document.file in read.checkout.patches:
            continue
        if document.version not in READ_VERSIONS:
            read.finding(
                "error",
                document,
                ("apiVersion",),
                f"apiVersion {document.api_version} is not read; convert it to {IMAGE_GROUP}/v1",
            )
            continue
        if document.version == "v1beta2":
            read.finding(
                "warning",
                document,
                ("apiVersion",),
                "v1beta2 is read as v1, but it is not served by current Flux (image-reflector-controller "
                "v1.2.0 and later); use v1",
            )
        key = (document.namespace, document.name)
        seen = objects[document.kind].get(key)
        if seen is not None:
            read.finding(
                "error", document, ("metadata", "name"), f"{document.title} is also defined at {seen.location}"
            )
            continue
        objects[document.kind][key] = document
        _unknown_fields(read, document)
    return objects


def _unknown_fields(read: FluxRead, document: Document) -> None:
    spec = document.value("spec")
    if not isinstance(spec, dict):
        return
    for key in spec:
        if key not in _SPEC_FIELDS[document.kind]:
            read.finding("warning", document, ("spec", key), f"not a field of {document.kind} v1: ignored")
    git = spec.get("git") if document.kind == "ImageUpdateAutomation" else None
    for section, known in _GIT_FIELDS.items():
        value = git.get(section) if isinstance(git, dict) else None
        for key in value if isinstance(value, dict) else ():
            if key not in known:
                read.finding(
                    "warning", document, ("spec", "git", section, key), "not a field of ImageUpdateAutomation v1"
                )


def markers(path: str, data: bytes) -> list[FoundImage]:
    """The Flux markers (``# {"$imagepolicy": …}``) of a file, each naming a policy; none when it does not parse
    (the cycle reports such files)."""
    try:
        return [f for f in ManifestFile.parse(path, data, _MARKERS_ONLY).images if f.policy is not None]
    except ImageUpdaterError:
        return []
