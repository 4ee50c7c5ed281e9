"""``git:``: the config repository (``gitops``), the forge behind it (``forge``) and how changes reach it.

Templates are checked here, with the one template engine that renders them, so a typo in a commit
message, title, body or branch template is a configuration error at start-up naming the key, not a
failed delivery hours later.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from image_updater.delivery.template import BODY_FIELDS, BRANCH_FIELDS, COMMIT_FIELDS, TITLE_FIELDS, check_template
from image_updater.forge import ForgeSettings, PullRequestOptions
from image_updater.gitops import CommitSettings, GitSettings

DEFAULT_TITLE = "Update {summary}"
DEFAULT_BODY = (
    "image-updater found newer images for `{group}`.\n"
    "\n"
    "{table}\n"
    "\n"
    "This branch is managed by image-updater: it is rebuilt on the base branch every cycle, "
    "and the pull request is closed when nothing is left to change.\n"
)


class PullRequestSettings(PullRequestOptions):
    """``git.write.pull_request``: how update branches and their pull requests look."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    branch: str = "image-updater/{group}"
    group_by: Literal["image", "all", "group"] = "image"
    title: str = DEFAULT_TITLE
    body: str = DEFAULT_BODY
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

    @model_validator(mode="after")
    def _branch_per_group(self) -> PullRequestSettings:
        if self.group_by != "all" and "{group}" not in self.branch:
            raise ValueError("branch must contain {group} unless group_by is all: groups would share a branch")
        return self


class WriteSettings(BaseModel):
    """``git.write``: push to ``git.branch`` (default), push to another ``branch``, or ``pull_request``."""

    model_config = ConfigDict(extra="forbid")
    mode: Literal["push", "pull_request"] = "push"
    #: Push mode only: commit to this branch instead (Flux's ``push.branch``); created from ``git.branch``
    #: when missing, then kept up to date in place, never forced.
    branch: str | None = Field(default=None, min_length=1)
    pull_request: PullRequestSettings = PullRequestSettings()

    @model_validator(mode="after")
    def _branch_is_for_push(self) -> WriteSettings:
        if self.branch is not None and self.mode != "push":
            raise ValueError(
                "write.branch is for push mode; pull requests name their branches with pull_request.branch"
            )
        return self


class RepoSettings(GitSettings):
    """``git:``: the config repo plus how changes reach it."""

    model_config = ConfigDict(extra="forbid")
    write: WriteSettings = WriteSettings()
    forge: ForgeSettings = ForgeSettings()

    @property
    def push_branch(self) -> str:
        """The branch push mode commits to: ``write.branch``, else ``branch``."""
        return self.write.branch or self.branch

    @model_validator(mode="after")
    def _push_branch_differs(self) -> RepoSettings:
        if self.write.branch == self.branch:
            raise ValueError(f"write.branch {self.write.branch!r} is git.branch itself; leave it out to push there")
        return self

    @field_validator("commit")
    @classmethod
    def _message_template(cls, value: CommitSettings) -> CommitSettings:
        """Fail at load time, with the file line, rather than at the first commit."""
        try:
            check_template(value.message, COMMIT_FIELDS)
        except ValueError as exc:
            raise ValueError(f"commit message template is invalid: {exc}") from None
        return value


__all__ = ["DEFAULT_BODY", "DEFAULT_TITLE", "PullRequestSettings", "RepoSettings", "WriteSettings"]
