"""What the cycle is configured with: the images it keeps current, the targets it keeps them current in,
and how often it runs."""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator

from image_updater.delivery import RepoSettings
from image_updater.errors import InvalidReferenceError
from image_updater.manifests import KeyPathSettings, ManifestSettings
from image_updater.policy import PolicySpec, SelectionRules
from image_updater.reference import ImageReference
from image_updater.registry import RegistrySettings
from image_updater.sources import BranchRenderer, MessageRenderer, SourceKind, SourceSettings
from image_updater.validation import parse_duration


class ScheduleSettings(BaseModel):
    """When cycles run: every ``interval`` seconds, each start delayed by up to ``jitter × interval``."""

    model_config = ConfigDict(extra="forbid")

    interval: float = 300.0
    jitter: float = Field(default=0.1, ge=0.0, le=1.0)
    #: Targets synced, edited and delivered at once; each has its own checkout, and one target's
    #: failure or slowness never holds the others back.
    max_concurrent_targets: int = Field(default=4, ge=1, le=64)

    @field_validator("interval", mode="before")
    @classmethod
    def _duration(cls, value: float | int | str) -> float:
        return parse_duration(value)


class ImageSettings(SelectionRules):
    """One image to keep up to date: where it comes from and how its tag is chosen."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:/-]*$")
    image: str
    policy: PolicySpec = PolicySpec(semver="*")
    group: str | None = None
    interval: float | None = Field(default=None, gt=0)
    key_paths: list[KeyPathSettings] = Field(default_factory=list)
    #: ``repository``: every reference to the image's repository, plus the markers and key paths that
    #: name this entry; ``name``: only those (several policies on one repository, as Flux markers pick).
    bind_by: Literal["repository", "name"] = "repository"
    #: Write ``tag@digest`` (the digest the registry serves for the tag: an index digest for multi-arch)
    #: in every reference, not only in those already pinned (Flux digestReflectionPolicy, Renovate pinDigests).
    pin_digest: bool = False

    #: Where this entry's settings came from, for plan and reports: None for config.yaml; a source says
    #: e.g. "flux ImagePolicy flux-system/podinfo, clusters/prod/podinfo-policy.yaml:7" (``with_origin``).
    _origin: str | None = PrivateAttr(default=None)
    #: Where the settings file defines this entry ("config.yaml:15 images[0]"), recorded by the loader.
    _defined_at: str | None = PrivateAttr(default=None)
    #: Sources only: the files (fnmatch globs) this image binds references in, by repository; there it wins
    #: over images without a scope (an Argo CD Application's write-back target).
    _scope: tuple[str, ...] = PrivateAttr(default=())

    @property
    def origin(self) -> str | None:
        return self._origin

    def with_origin(self, origin: str) -> ImageSettings:
        copy = self.model_copy()
        copy._origin = origin
        return copy

    @property
    def defined_at(self) -> str | None:
        return self._defined_at

    def locate(self, where: str) -> None:
        """Record where the settings file defines this entry (the loader does, once)."""
        self._defined_at = where

    @property
    def scope(self) -> tuple[str, ...]:
        return self._scope

    def with_scope(self, scope: Sequence[str]) -> ImageSettings:
        copy = self.model_copy()
        copy._scope = tuple(scope)
        return copy

    def in_scope(self, path: str) -> bool:
        return any(fnmatch.fnmatchcase(path, glob) for glob in self._scope)

    @field_validator("interval", mode="before")
    @classmethod
    def _duration(cls, value: float | int | str | None) -> float | None:
        """The same duration syntax as ``service.interval`` (``300``, ``"90s"``, ``"5m"``, ``"1h30m"``)."""
        return None if value is None else parse_duration(value)

    @field_validator("image")
    @classmethod
    def _repository_only(cls, value: str) -> str:
        try:
            ref = ImageReference.parse(value)
        except InvalidReferenceError as exc:
            raise ValueError(str(exc)) from None
        if ref.tag or ref.digest:
            raise ValueError(f"{value!r}: give the repository only, without a tag or digest")
        return value


class FollowSettings(BaseModel):
    """Promotion: move to the tag another target's files carry, once they have carried it for ``soak``."""

    model_config = ConfigDict(extra="forbid")

    target: str
    soak: float = 0.0

    @field_validator("soak", mode="before")
    @classmethod
    def _duration(cls, value: float | int | str) -> float:
        return 0.0 if value in (0, "0") else parse_duration(value)


class ImageOverride(BaseModel):
    """A target's version of an image entry: the entry's ``name`` plus the settings it changes there."""

    model_config = ConfigDict(extra="forbid")

    name: str
    policy: PolicySpec | None = None
    allow: str | None = None
    ignore: list[str] | None = None
    platforms: list[str] | None = None
    allow_downgrade: bool | None = None
    follow: FollowSettings | None = None

    def changes(self) -> dict[str, Any]:
        """The entry settings this override sets (``follow`` is the target's, not the entry's)."""
        return {key: getattr(self, key) for key in self.model_fields_set - {"name", "follow"}}


class TargetSettings(BaseModel):
    """One place to keep current: a repository, a branch and paths (``git``), and which images apply there.

    Without ``images`` every image entry applies; an entry named as a string applies as configured, a
    mapping overrides some of its settings for this target only.
    """

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")
    git: RepoSettings
    images: list[str | ImageOverride] | None = None
    #: Read these tools' objects from this target's checkout each cycle (default: the top-level ``sources``).
    sources: list[SourceKind] | None = None


class CacheSettings(BaseModel):
    """``cache:``: where each target's parse cache is kept between processes (``cycle/store.py``).

    A second ``plan`` (or a restarted service) then parses and verifies only files whose bytes changed.
    ``dir`` defaults to the folder beside each target's checkout (``<workdir>/cache`` for the top-level git:),
    which ``plan`` run beside the service, in the same working folder, shares with it.
    """

    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    dir: str | None = None


class FleetSettings(BaseModel):
    """The top-level ``targets:`` and ``workdir:`` (under which each target's checkout lives)."""

    model_config = ConfigDict(extra="forbid")

    workdir: str = ".image-updater"
    targets: list[TargetSettings] = Field(default_factory=list)
    cache: CacheSettings = CacheSettings()

    def cache_folder(self, target: Target) -> Path | None:
        """Where ``target``'s parse cache is stored: ``cache.dir``, else beside its checkout (``WORKDIR/cache``
        for the top-level git:); None when ``cache.enabled`` is false."""
        if not self.cache.enabled:
            return None
        return Path(self.cache.dir) if self.cache.dir else Path(target.workdir).parent / "cache"


@dataclass(frozen=True)
class Target:
    """A target as a cycle runs it: its git settings, the effective settings of each image that applies
    there (entry plus override), and which of them follow another target."""

    name: str
    git: RepoSettings
    images: tuple[ImageSettings, ...]
    workdir: str
    follow: Mapping[str, FollowSettings] = field(default_factory=dict)
    #: The tools whose objects the cycle reads from this target's checkout (``sources``), and how.
    sources: tuple[SourceKind, ...] = ()
    source_settings: SourceSettings = field(default_factory=SourceSettings)
    #: A target the sources found (a Flux ImageUpdateAutomation): its own commit message, and its parent.
    message: MessageRenderer | None = None
    parent: str | None = None
    #: A push branch named after the changes (an argocd git-branch template using .SHA256/.Images).
    branch_for: BranchRenderer | None = None


class CycleSettings(Protocol):
    """What a cycle reads of the settings (``config.Settings`` is one): the cycle never imports config."""

    @property
    def registries(self) -> Sequence[RegistrySettings]: ...

    @property
    def docker_config(self) -> Path | None: ...

    @property
    def manifests(self) -> ManifestSettings: ...

    @property
    def cycle_targets(self) -> Sequence[Target]: ...

    @property
    def schedule(self) -> ScheduleSettings: ...
