"""Forge settings (``git.forge``) and what a forge is asked for when it opens a pull request."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class GitHubAppSettings(BaseModel):
    """A GitHub App installation: the private key signs a short JWT that buys an installation token."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    app_id: int = Field(gt=0)
    installation_id: int = Field(gt=0)
    private_key_file: str


class ForgeSettings(BaseModel):
    """Where the forge API is and how to authenticate; secrets only by reference (file or env var)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: str | None = None
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
        if self.kind is not None:
            # The table imports every forge (and httpx), which import us; and a push-only configuration
            # (no kind) never needs it: ``plan`` starts 0.1 s sooner without (``bench/startup.py``).
            from image_updater.forge.factory import FORGES

            if self.kind not in FORGES:
                raise ValueError(f"kind {self.kind!r} is not a forge this client knows: {', '.join(FORGES)}")
            if self.github_app is not None and not FORGES[self.kind].app_auth:
                raise ValueError(f"github_app is only for kind github, not {self.kind}")
        if self.api_url is not None and not self.api_url.startswith(("http://", "https://")):
            raise ValueError(f"api_url must start with http:// or https://, got {self.api_url!r}")
        return self


class PullRequestOptions(BaseModel):
    """What a forge is asked for when it opens a pull request: labels, reviewers, draft, auto-merge.

    The rest of ``git.write.pull_request`` (branch, grouping, title and body templates) is
    delivery's: see ``delivery.PullRequestOptions``, which extends this model.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    labels: list[str] = Field(default_factory=list)
    reviewers: list[str] = Field(default_factory=list)
    draft: bool = False
    auto_merge: bool = False

    @field_validator("labels", "reviewers")
    @classmethod
    def _no_blank_names(cls, value: list[str]) -> list[str]:
        if any(not item.strip() or "," in item for item in value):
            raise ValueError("names must be non-empty and must not contain commas")
        return value

    @model_validator(mode="after")
    def _draft_or_auto_merge(self) -> PullRequestOptions:
        if self.draft and self.auto_merge:
            raise ValueError("draft and auto_merge exclude each other: no forge merges a draft")
        return self
