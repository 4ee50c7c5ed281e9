"""Sources: Flux image automation objects and argocd-image-updater configuration in a config repository,
read each cycle as images, targets and findings (docs/migrating.md).

This package sits between the cycle and delivery: it reads a checkout and returns plain records
(``model.py``); ``cycle/sources.py`` is the one place that turns them into image settings and targets.
"""

from image_updater.sources.common import Context, covers
from image_updater.sources.files import Reader
from image_updater.sources.model import (
    BranchRenderer,
    DerivedImage,
    DerivedTarget,
    Finding,
    Location,
    MessageRenderer,
    Note,
    NotServed,
    SourceSet,
)
from image_updater.sources.read import read_sources
from image_updater.sources.settings import SourceKind, SourceSettings, SourcesSettings

__all__ = [
    "BranchRenderer",
    "Context",
    "DerivedImage",
    "DerivedTarget",
    "Finding",
    "Location",
    "MessageRenderer",
    "NotServed",
    "Note",
    "Reader",
    "SourceKind",
    "SourceSet",
    "SourceSettings",
    "SourcesSettings",
    "covers",
    "read_sources",
]
