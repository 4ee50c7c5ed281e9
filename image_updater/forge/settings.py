"""Forge and pull-request settings, validated when the config is loaded rather than mid-cycle.

Templates are checked here so a typo in ``title``/``body``/``branch`` is a config error at start-up,
not a failed pull request hours later.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from image_updater.forge.template import BODY_FIELDS, BRANCH_FIELDS, TITLE_FIELDS, check_template

DEFAULT_TITLE = "Update {summary}"
DEFAULT_BODY = (
    "image-updater found newer images for `{group}`.\n"
    "\n"
    "{table}\n"
    "\n"
    "This branch is managed by image-updater: it is rebuilt on the base branch every cycle, "
    "and the pull request is closed when nothing is left to change.\n"
)


class GitHubAppSettings(BaseModel):
    """A GitHub App installation: the private key signs a short JWT that buys an installation token."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    app_id: int = Field(gt=0)
    installation_id: int = Field(gt=0)
    private_key_file: str


class ForgeSettings(BaseModel):
    """Where the forge API is and how to authenticate; secrets only by reference (file or env var)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["github", "gitlab", "gitea"] | None = None
    api_url: str | None = None
    repository: str | None = Field(default=None, pattern=r"^[^/\s]+(/[^/\s]+)+$")
    token_file: str | None = None
    token_env: str | None = None
    github_app: GitHubAppSettings | None = None
    insecure: bool = False
    ca_file: str | None = None
    timeout_seconds: float = Field(default=30.0, gt=0)

    @model_validator(mode="after")
    def _one_credential_source(self) -> ForgeSettings:
        sources = [n for n in ("token_file", "token_env", "github_app") if getattr(self, n) is not None]
        if len(sources) > 1:
            raise ValueError(f"set only one of token_file, token_env, github_app (got {', '.join(sources)})")
        if self.github_app is not None and self.kind not in (None, "github"):
            raise ValueError(f"github_app is only for kind github, not {self.kind}")
        if self.api_url is not None and not self.api_url.startswith(("http://", "https://")):
            raise ValueError(f"api_url must start with http:// or https://, got {self.api_url!r}")
        return self


class PullRequestSettings(BaseModel):
    """``git.write.pull_request``: how update branches and their pull requests look."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    branch: str = "image-updater/{group}"
    group_by: Literal["image", "all", "group"] = "image"
    title: str = DEFAULT_TITLE
    body: str = DEFAULT_BODY
    labels: list[str] = Field(default_factory=list)
    reviewers: list[str] = Field(default_factory=list)
    draft: bool = False
    auto_merge: bool = False
    #: False: a pull request a person closed without merging is not reopened for the same update.
    recreate_declined: bool = False

    @field_validator("branch")
    @classmethod
    def _branch_template(cls, value: str) -> str:
        check_template(value, BRANCH_FIELDS)
        return value

    @field_validator("title")
    @classmethod
    def _title_template(cls, value: str) -> str:
        check_template(value, TITLE_FIELDS)
        if "\n" in value:
            raise ValueError("title must be one line")
        return value

    @field_validator("body")
    @classmethod
    def _body_template(cls, value: str) -> str:
        check_template(value, BODY_FIELDS)
        return value

    @field_validator("labels", "reviewers")
    @classmethod
    def _no_blank_names(cls, value: list[str]) -> list[str]:
        if any(not item.strip() or "," in item for item in value):
            raise ValueError("names must be non-empty and must not contain commas")
        return value

    @model_validator(mode="after")
    def _draft_or_auto_merge(self) -> PullRequestSettings:
        if self.draft and self.auto_merge:
            raise ValueError("draft and auto_merge exclude each other: no forge merges a draft")
        if self.group_by != "all" and "{group}" not in self.branch:
            raise ValueError(
                "branch must contain {group} unless group_by is all: groups would share a branch"
            )
        return self
