"""What the cycle is configured with: the images it keeps current, and how often it runs."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field, field_validator

from image_updater.delivery import RepoSettings
from image_updater.errors import InvalidReferenceError
from image_updater.manifests import KeyPathSettings, ManifestSettings
from image_updater.policy import PolicySpec, SelectionRules
from image_updater.reference import ImageReference
from image_updater.registry import RegistrySettings
from image_updater.validation import parse_duration


class ScheduleSettings(BaseModel):
    """When cycles run: every ``interval`` seconds, each start delayed by up to ``jitter × interval``."""

    model_config = ConfigDict(extra="forbid")

    interval: float = 300.0
    jitter: float = Field(default=0.1, ge=0.0, le=1.0)

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


class CycleSettings(Protocol):
    """What a cycle reads of the settings (``config.Settings`` is one): the cycle never imports config."""

    @property
    def registries(self) -> Sequence[RegistrySettings]: ...

    @property
    def docker_config(self) -> Path | None: ...

    @property
    def git(self) -> RepoSettings: ...

    @property
    def images(self) -> Sequence[ImageSettings]: ...

    @property
    def manifests(self) -> ManifestSettings: ...
