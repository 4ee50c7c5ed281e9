"""What the managers are configured with: which run, and the places users point them at.

These models are both the settings (``manifests:``, ``images[].key_paths``) and the managers' own
options: every path is parsed at load with the grammar the managers walk (``paths.py``), so a bad
path is a configuration error naming its key, and no second model or converter stands between.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from image_updater.manifests.paths import Step, parse_path
from image_updater.validation import parse_duration

DEFAULT_MAX_NODES = 1_000_000
DEFAULT_PARSE_TIMEOUT = 10.0


def _valid_path(value: str | None) -> str | None:
    if value is not None:
        parse_path(value)  # raises ValueError naming the path and what is wrong with it
    return value


class KeyPathSettings(BaseModel):
    """A place the managers cannot find by themselves, e.g. ``backend.image.tag`` in a values file.

    When ``repository`` is None, ``tag`` points either at a full reference (``image: nginx:1.2``) or,
    when its last key ends in ``tag`` (``tag``, ``newTag``, ``imageTag``), at a bare tag.
    """

    model_config = ConfigDict(extra="forbid")

    tag: str | None = None
    repository: str | None = None
    digest: str | None = None
    files: list[str] = Field(default_factory=list)

    @field_validator("tag", "repository", "digest")
    @classmethod
    def _paths_parse(cls, value: str | None) -> str | None:
        return _valid_path(value)

    @model_validator(mode="after")
    def _one_target(self) -> KeyPathSettings:
        if not self.tag:
            # the key-path manager locates an image by its tag key; a digest key alone would find nothing
            raise ValueError("a key path needs `tag` (the digest key alone locates nothing)")
        return self


class CustomResourceSettings(BaseModel):
    """A ``kind`` and the path (``[N]``/``[*]`` allowed) to a pod spec, a container list or one container."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: str = Field(min_length=1)
    path: str

    _steps: tuple[Step, ...] = PrivateAttr(default=())

    @model_validator(mode="after")
    def _parse_path(self) -> CustomResourceSettings:
        self._steps = parse_path(self.path)  # raises ValueError naming the path
        return self

    @property
    def steps(self) -> tuple[Step, ...]:
        return self._steps


class ManifestSettings(BaseModel):
    """``manifests:``: custom resources to look into, and which managers run (default: all)."""

    model_config = ConfigDict(extra="forbid")

    custom_resources: list[CustomResourceSettings] = Field(default_factory=list)
    managers: list[str] | None = None
    max_nodes: int = Field(
        DEFAULT_MAX_NODES,
        ge=1000,
        description="Nodes one file may hold once its aliases and merge keys are expanded; a file over it is skipped.",
    )
    parse_timeout: float = Field(
        DEFAULT_PARSE_TIMEOUT, gt=0, description="Seconds one file may take to read; a file over it is skipped."
    )

    @field_validator("parse_timeout", mode="before")
    @classmethod
    def _parse_timeout_duration(cls, value: Any) -> Any:
        return parse_duration(value) if isinstance(value, str) else value

    @field_validator("managers")
    @classmethod
    def _known_managers(cls, value: list[str] | None) -> list[str] | None:
        from image_updater.manifests.managers import MANAGERS  # the table imports every manager, which import us

        unknown = sorted(set(value or ()) - set(MANAGERS))
        if unknown:
            raise ValueError(f"unknown manager {', '.join(unknown)}; known: {', '.join(sorted(MANAGERS))}")
        return value


@dataclass(frozen=True)
class ManagerOptions:
    """Everything that decides what the managers find in a file: compared whole by the parse cache.

    ``key_paths`` pairs each configured image's name with one of its key paths.
    """

    key_paths: tuple[tuple[str, KeyPathSettings], ...] = ()
    custom_resources: tuple[CustomResourceSettings, ...] = ()
    managers: frozenset[str] | None = None
    max_nodes: int = DEFAULT_MAX_NODES
    parse_timeout: float = DEFAULT_PARSE_TIMEOUT
