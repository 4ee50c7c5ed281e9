"""``sources:`` and ``source_settings:``: which tools' objects in a checkout become images and targets."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

#: ``flux``: ImageRepository / ImagePolicy / ImageUpdateAutomation objects; ``argocd``: argocd-image-updater's
#: Application annotations, ApplicationSet templates and ImageUpdater resources.
SourceKind = Literal["flux", "argocd"]


class SourceSettings(BaseModel):
    """``source_settings:``: what reading the sources needs beyond the repository itself."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: Kubernetes Secrets mounted as ``<dir>/<namespace>/<name>/<key>``: Flux ``secretRef``/``certSecretRef``
    #: and argocd ``pull-secret: pullsecret:ns/name`` resolve there.
    secrets_dir: Path | None = None
    #: The namespace Argo CD runs in: its Applications write ``.argocd-source-<app>.yaml``, Applications of
    #: other namespaces ``.argocd-source-<namespace>_<app>.yaml`` (argocd-image-updater's naming).
    argocd_namespace: str = Field(default="argocd", min_length=1)


class SourcesSettings(BaseModel):
    """The top-level ``sources:`` list and ``source_settings:``, as one block the config package embeds."""

    model_config = ConfigDict(extra="forbid")

    sources: list[SourceKind] = Field(default_factory=list)
    source_settings: SourceSettings = SourceSettings()

    @field_validator("sources")
    @classmethod
    def _once_each(cls, value: list[SourceKind]) -> list[SourceKind]:
        if len(set(value)) != len(value):
            raise ValueError(f"sources lists {', '.join(value)}: name each source once")
        return value
