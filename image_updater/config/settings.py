"""The one typed settings object, composed from the models each package owns.

Each package owns the settings of its own concern (registries, git and delivery, images and the
schedule, managers, webhook receivers, logs); this module only composes them and checks what spans
sections (names unique across a list, pull-request branches distinct), so adding a concern never means
editing a god-object. Nothing here imports the service: ``plan`` and ``run --once`` load settings
without the HTTP server or the scheduler.
"""

from __future__ import annotations

import os
from typing import Any

from pydantic import ConfigDict, PrivateAttr, field_validator, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from image_updater.config.environment import apply_overrides, env_overrides
from image_updater.cycle import (
    DEFAULT_TARGET,
    FleetSettings,
    ImageSettings,
    ScheduleSettings,
    Target,
    TargetSettings,
    conflicts,
    resolve,
    shared_workdirs,
    targets_of,
)
from image_updater.delivery import RepoSettings, branches_for_groups, group_for_image
from image_updater.errors import ConfigError
from image_updater.logs import LogSettings
from image_updater.manifests import ManifestSettings
from image_updater.registry import RegistriesSettings
from image_updater.sources import SourcesSettings
from image_updater.validation import Located, unique_names
from image_updater.webhooks import EndpointSettings


class ServiceSettings(ScheduleSettings, EndpointSettings, LogSettings):
    """``service:``: when cycles run (cycle), where the service listens and whom it trusts (webhooks),
    and how it logs (logs), as one section."""

    model_config = ConfigDict(extra="forbid")


#: Init key through which ``load_settings`` names the environment to read (tests pass their own).
ENVIRON_KEY = "__image_updater_environ__"


class EnvOverrideSource(PydanticBaseSettingsSource):
    """pydantic-settings source: the settings file's values with ``IMAGE_UPDATER_*`` overrides applied per key.

    pydantic-settings' own environment source replaces a whole list when one entry is overridden
    (``IMAGE_UPDATER_REGISTRIES__0__URL``); this source resolves each variable against the model
    (``environment.py``) and sets exactly that key in the file's document.
    """

    def __init__(self, settings_cls: type[BaseSettings], init: PydanticBaseSettingsSource) -> None:
        super().__init__(settings_cls)
        self._init = init

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return self().get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        values = dict(self._init())
        environ = values.pop(ENVIRON_KEY, os.environ)
        return apply_overrides(values, env_overrides(self.settings_cls, environ))


class Settings(RegistriesSettings, FleetSettings, SourcesSettings, BaseSettings):
    """Everything image-updater needs: the settings file (as init values) plus the environment on top.

    ``registries:`` and ``docker_config:`` come from the registry package's block, ``targets:`` and
    ``workdir:`` from the cycle's, ``sources:`` and ``source_settings:`` from the sources'. Build it with
    ``load_settings``, which also turns validation errors into file/line/variable messages.
    """

    model_config = SettingsConfigDict(extra="forbid", frozen=False)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (EnvOverrideSource(settings_cls, init_settings),)

    git: RepoSettings | None = None
    images: list[ImageSettings] = []
    manifests: ManifestSettings = ManifestSettings()
    service: ServiceSettings = ServiceSettings()

    _targets: list[Target] = PrivateAttr(default_factory=list)

    @property
    def cycle_targets(self) -> list[Target]:
        """Every target with the effective settings of its images (the top-level ``git:`` is ``default``)."""
        return self._targets

    @property
    def schedule(self) -> ScheduleSettings:
        return self.service

    def target(self, name: str = DEFAULT_TARGET) -> Target:
        return next(t for t in self._targets if t.name == name)

    def locate_images(self, source: str, lines: dict[int, int]) -> None:
        """Record where the settings file defines each ``images:`` entry (``config.yaml:15 images[0]``), in the
        entries and in every target's copy of them: ``plan`` cites it when an entry overrides a source's policy."""
        where = {image.name: f"{source}:{lines[i]} images[{i}]" for i, image in enumerate(self.images) if i in lines}
        for image in [*self.images, *(i for t in self._targets for i in t.images)]:
            if image.name in where:
                image.locate(where[image.name])

    @field_validator("images")
    @classmethod
    def _unique_names(cls, value: list[ImageSettings]) -> list[ImageSettings]:
        unique_names(value, lambda image: image.name, "image")
        return value

    @field_validator("targets")
    @classmethod
    def _unique_targets(cls, value: list[TargetSettings]) -> list[TargetSettings]:
        unique_names(value, lambda target: target.name, "target")
        if any(target.name == DEFAULT_TARGET for target in value):
            raise ValueError(f"the target name {DEFAULT_TARGET!r} is the top-level git: section's; choose another")
        return value

    @model_validator(mode="after")
    def _resolve_targets(self) -> Settings:
        """Targets resolved once, at load: names that exist, follows that can be served, one checkout each,
        no reference governed by two different policies, distinct pull-request branches."""
        if self.git is None and not self.targets:
            raise ValueError("nothing to update: set git: (one repository) or targets: (several)")
        placed = targets_of(self.git, self.targets)
        self._targets = resolve(placed, self.images, self.workdir, self.sources, self.source_settings)
        problems = shared_workdirs(self._targets) + conflicts(self._targets)
        if problems:
            raise ValueError("; ".join(problems))
        for target, (_, key) in zip(self._targets, placed, strict=True):
            _distinct_update_branches(target, key)
        return self


def _distinct_update_branches(target: Target, key: tuple[str | int, ...]) -> None:
    """In PR mode every group needs a branch of its own, and none may be the base branch."""
    if target.git.write.mode == "pull_request":
        pr = target.git.write.pull_request
        groups = {group_for_image(pr, image.name, image.group) for image in target.images}
        try:
            branches_for_groups(pr, groups, base=target.git.branch)
        except ConfigError as exc:
            raise Located((*key, "write", "pull_request", "branch"), f"target {target.name}: {exc}") from None
