"""Reading a checkout's sources: the one entry point the cycle calls after each sync."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from image_updater.sources.common import Context
from image_updater.sources.files import Reader
from image_updater.sources.flux import read_flux
from image_updater.sources.model import Finding, Location, SourceSet
from image_updater.sources.settings import SourceKind


def read_sources(root: Path, kinds: Sequence[SourceKind], context: Context, reader: Reader | None = None) -> SourceSet:
    """Every policy, target and finding of the ``kinds`` of objects in the work tree at ``root``."""
    from image_updater.sources.argocd import read_argocd  # the larger reader, only when asked for

    checkout = (reader or Reader()).read(root, context.settings.argocd_namespace if "argocd" in kinds else "default")
    sources = SourceSet()
    for file, line, why in checkout.unreadable:
        sources.findings.append(Finding("error", f"file {file}", "", Location(file, line or 1), f"not read: {why}"))
    if "flux" in kinds:
        read_flux(checkout, context, sources)
    if "argocd" in kinds:
        read_argocd(checkout, context, sources)
    sources.findings.sort(key=lambda f: (f.location, f.severity, f.field))
    return sources
