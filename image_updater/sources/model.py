"""What reading the sources yields, as plain records: the cycle turns them into images and targets.

Nothing here knows the cycle: policies are ``policy.PolicySpec``/``SelectionRules`` fields, registries
``registry.RegistrySettings``, edits ``manifests.KeyPathSettings``, and every finding carries its file and line.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from image_updater.manifests import KeyPathSettings
from image_updater.policy import PolicySpec, SelectionRules
from image_updater.registry import RegistrySettings

Severity = Literal["error", "warning", "info"]
Status = Literal["served", "suspended", "not served", "not found", "error"]


@dataclass(frozen=True, order=True)
class Location:
    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class Finding:
    """A field or annotation not understood, not supported, or without effect here.

    ``error``: the object or image it belongs to is not served; ``warning``: served, but this is ignored or
    behaves differently; ``info``: understood, no effect here.
    """

    severity: Severity
    object: str  # "Kind namespace/name"
    field: str
    location: Location
    message: str

    def __str__(self) -> str:
        return f"{self.severity} {self.location}: {self.object} {self.field}: {self.message}"


@dataclass(frozen=True)
class NotServed:
    """An automation, Application or image found and deliberately not served, and what to do about it."""

    object: str
    location: Location
    message: str

    def __str__(self) -> str:
        return f"not served {self.location}: {self.object}: {self.message}"


@dataclass(frozen=True)
class Note:
    """A reference the sources leave as it is, and why (a marker naming no policy, a name already right)."""

    location: Location
    value: str
    message: str

    def __str__(self) -> str:
        return f"unchanged {self.location}: {self.value}: {self.message}"


@dataclass
class DerivedImage:
    """One policy found in the repository, as the ``images:`` entry it amounts to plus how it binds."""

    name: str
    source: Literal["flux", "argocd"]
    kind: str  # ImagePolicy | Application | ApplicationSet | ImageUpdater
    object: str  # namespace/name of the object cited
    location: Location
    origin: str  # what plan prints after "policy from "
    image: str = ""
    policy: PolicySpec | None = None
    rules: SelectionRules = field(default_factory=SelectionRules)
    interval: float | None = None
    pin_digest: bool = False
    key_paths: tuple[KeyPathSettings, ...] = ()
    #: Flux: only markers naming it bind it. argocd: only references in ``scope`` (its write-back file).
    markers_only: bool = False
    scope: tuple[str, ...] = ()
    status: Status = "served"
    reason: str = ""  # why it is not served
    served_by: list[str] = field(default_factory=list)  # target ids
    repository_from: Location | None = None
    contributes: list[Location] = field(default_factory=list)
    registry: RegistrySettings | None = None
    current_from: Location | None = None
    #: argocd write-back: {"kind": …, "format": …, "file": …} for sources' report
    write_back: Mapping[str, Any] | None = None
    force_update: bool = False
    #: Flux policies: their namespace and labels (an automation's policySelector reads them)
    namespace: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)


#: Renders a derived target's commit message from the files its commit changes: (path, before, after).
MessageRenderer = Callable[[Sequence[tuple[str, bytes, bytes]]], str]
BranchRenderer = Callable[[Sequence[tuple[str, str, str]]], str]


@dataclass
class DerivedTarget:
    """A place to deliver found in the repository: a Flux ImageUpdateAutomation, or an Argo CD Application
    pushing to a branch of its own. It runs on its parent target's repository."""

    id: str  # flux:<ns>/<name> | argocd:<ns>/<app>
    kind: str
    object: str
    location: Location
    checkout_branch: str
    push_branch: str
    paths: list[str]
    images: list[str] = field(default_factory=list)
    author: tuple[str, str] | None = None  # (name, email); None: the configuration's git.author
    message: MessageRenderer | None = None  # None: the configuration's git.commit.message
    git_repository: Location | None = None
    #: A push branch named after the changes (argocd ``git-branch`` templates using ``.SHA256``/``.Images``):
    #: (image name, old tag, new tag) of each change → the branch; ``push_branch`` is then the base.
    branch_for: BranchRenderer | None = None


@dataclass
class SourceSet:
    """Everything one read of a checkout found."""

    images: list[DerivedImage] = field(default_factory=list)
    targets: list[DerivedTarget] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    not_served: list[NotServed] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    #: Files to create when an edit makes them differ (path → their bytes with the current values): the
    #: ``.argocd-source-<app>.yaml`` files argocd-image-updater would write, absent from the repository.
    created: dict[str, bytes] = field(default_factory=dict)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]
