"""The one typed settings object, composed from the models each package owns.

Each package owns the settings of its own concern (registries, git, policies, service, forge); this
module only composes them, so adding a concern never means editing a god-object.
"""

from __future__ import annotations

import os
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from image_updater.config.environment import apply_overrides, env_overrides
from image_updater.errors import ConfigError, InvalidReferenceError
from image_updater.forge import ForgeSettings, PullRequestSettings, branches_for_groups, group_for_image
from image_updater.gitops import CommitSettings, GitSettings, validate_template
from image_updater.manifests import MANAGER_NAMES
from image_updater.policy import PolicySpec, SelectionRules
from image_updater.reference import ImageReference
from image_updater.registry import RegistriesSettings, RegistrySettings
from image_updater.service import ServiceSettings
from image_updater.validation import first_repeat, parse_duration


class KeyPathSettings(BaseModel):
    """A place the managers cannot find by themselves, e.g. ``backend.image.tag`` in a values file."""

    model_config = ConfigDict(extra="forbid")
    tag: str | None = None
    repository: str | None = None
    digest: str | None = None
    files: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_target(self) -> KeyPathSettings:
        if not self.tag:
            # the key-path manager locates an image by its tag key; a digest key alone would find nothing
            raise ValueError("a key path needs `tag` (the digest key alone locates nothing)")
        return self


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


class CustomResourceSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: str
    path: str


class ManifestSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    custom_resources: list[CustomResourceSettings] = Field(default_factory=list)
    managers: list[str] | None = None

    @field_validator("managers")
    @classmethod
    def _known_managers(cls, value: list[str] | None) -> list[str] | None:
        """Checked against the engine's own list, so a new manager (or ``keypath``) is never refused."""
        unknown = sorted(set(value or ()) - MANAGER_NAMES)
        if unknown:
            raise ValueError(f"unknown manager {', '.join(unknown)}; known: {', '.join(sorted(MANAGER_NAMES))}")
        return value


class WriteSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    mode: Literal["push", "pull_request"] = "push"
    pull_request: PullRequestSettings = PullRequestSettings()


class RepoSettings(GitSettings):
    """``git:``: the config repo plus how changes reach it."""

    model_config = ConfigDict(extra="forbid")
    write: WriteSettings = WriteSettings()
    forge: ForgeSettings = ForgeSettings()

    @field_validator("commit")
    @classmethod
    def _message_template(cls, value: CommitSettings) -> CommitSettings:
        """Fail at load time, with the file line, rather than at the first commit."""
        try:
            validate_template(value.message)
        except ConfigError as exc:
            raise ValueError(str(exc).removeprefix("key git.commit.message: ")) from None
        return value


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


class Settings(BaseSettings):
    """Everything image-updater needs: the settings file (as init values) plus the environment on top.

    Build it with ``load_settings``, which also turns validation errors into file/line/variable messages.
    """

    model_config = SettingsConfigDict(extra="forbid")

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

    registries: list[RegistrySettings] = []
    docker_config: str | None = None
    git: RepoSettings
    images: list[ImageSettings] = []
    manifests: ManifestSettings = ManifestSettings()
    service: ServiceSettings = ServiceSettings()

    @field_validator("registries")
    @classmethod
    def _distinct_registries(cls, value: list[RegistrySettings]) -> list[RegistrySettings]:
        try:
            RegistriesSettings(registries=value)  # the registry package owns the uniqueness rule
        except ValidationError as exc:
            raise ValueError("; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())) \
                from None
        return value

    @field_validator("images")
    @classmethod
    def _unique_names(cls, value: list[ImageSettings]) -> list[ImageSettings]:
        repeated = first_repeat(image.name for image in value)
        if repeated is not None:
            raise ValueError(f"image name {repeated!r} is used twice")
        return value

    @model_validator(mode="after")
    def _distinct_update_branches(self) -> Settings:
        """In PR mode every group needs a branch of its own, and none may be the base branch."""
        if self.git.write.mode == "pull_request":
            pr = self.git.write.pull_request
            groups = {group_for_image(pr, image.name, image.group) for image in self.images}
            branches_for_groups(pr, groups, base=self.git.branch)
        return self
