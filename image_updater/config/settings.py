"""The one typed settings object, composed from the models each package owns.

Each package owns the settings of its own concern (registries, git, policies, service, forge); this
module only composes them, so adding a concern never means editing a god-object.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from image_updater.forge import ForgeSettings, PullRequestSettings
from image_updater.gitops import GitSettings
from image_updater.gitops.message import validate_template
from image_updater.policy import PolicySpec, SelectionRules
from image_updater.reference import ImageReference
from image_updater.registry import RegistrySettings
from image_updater.service import ServiceSettings


class KeyPathSettings(BaseModel):
    """A place the managers cannot find by themselves, e.g. ``backend.image.tag`` in a values file."""

    model_config = ConfigDict(extra="forbid")
    tag: str | None = None
    repository: str | None = None
    digest: str | None = None
    files: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_target(self) -> KeyPathSettings:
        if not (self.tag or self.digest):
            raise ValueError("a key path needs `tag` (or `digest`)")
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

    @field_validator("image")
    @classmethod
    def _repository_only(cls, value: str) -> str:
        ref = ImageReference.parse(value)
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
    managers: list[Literal["kubernetes", "kustomize", "helm", "marker", "compose", "argocd"]] | None = None


class WriteSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    mode: Literal["push", "pull_request"] = "push"
    pull_request: PullRequestSettings = PullRequestSettings()


class RepoSettings(GitSettings):
    """``git:``: the config repo plus how changes reach it."""

    model_config = ConfigDict(extra="forbid")
    write: WriteSettings = WriteSettings()
    forge: ForgeSettings = ForgeSettings()


class Settings(BaseSettings):
    """Everything image-updater needs; file first, ``IMAGE_UPDATER_*`` environment on top."""

    model_config = SettingsConfigDict(env_prefix="IMAGE_UPDATER_", env_nested_delimiter="__", extra="forbid",
                                      nested_model_default_partial_update=True)
    registries: list[RegistrySettings] = []
    docker_config: str | None = None
    git: RepoSettings
    images: list[ImageSettings] = []
    manifests: ManifestSettings = ManifestSettings()
    service: ServiceSettings = ServiceSettings()

    @model_validator(mode="after")
    def _unique_names(self) -> Settings:
        seen: set[str] = set()
        for image in self.images:
            if image.name in seen:
                raise ValueError(f"image name {image.name!r} is used twice")
            seen.add(image.name)
        validate_template(self.git.commit.message)
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Environment overrides the file (passed as init values), as operators expect.
        return (env_settings, init_settings)
