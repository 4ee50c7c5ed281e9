"""GitHub REST (github.com or Enterprise): only operations present in GitHub's published description.

Auto-merge is GraphQL-only on GitHub (``enablePullRequestAutoMerge``), so it is refused as a
config error rather than silently ignored or replaced by an immediate merge.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from image_updater.errors import ConfigError
from image_updater.forge.github_style import GitHubStyleForge
from image_updater.forge.settings import PullRequestOptions

API_HEADERS = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}


class GitHubForge(GitHubStyleForge):
    """Drafts are the API's flag; reviewers are a ``requested_reviewers`` call after opening."""

    name = "GitHub"
    kind = "github"
    api_suffix = "/api/v3"
    public_host = "github.com"
    public_api = "https://api.github.com"
    api_headers: ClassVar[Mapping[str, str]] = API_HEADERS
    app_auth = True
    create_extras: ClassVar[Mapping[str, Any]] = {"maintainer_can_modify": True}

    def check_settings(self, settings: PullRequestOptions) -> None:
        if settings.auto_merge:
            raise ConfigError(
                "GitHub offers auto-merge only through GraphQL, which this client does not use",
                key="git.write.pull_request.auto_merge",
            )

    def _list_query(self, head: str, base: str, state: str, page: int) -> tuple[str, dict[str, Any]]:
        """GitHub filters by ``owner:branch`` itself, so the first page holds the newest matches.

        Closed ones come newest first: the update that was declined last is the one that matters.
        """
        order = {"sort": "created", "direction": "desc"} if state == "closed" else {}
        return (
            f"listing {state} pull requests from {head} on {self.owner}/{self.repo}",
            {"state": state, "head": f"{self.owner}:{head}", "base": base, "per_page": self.list_page_size, **order},
        )

    def _merged(self, item: Any) -> bool:
        """GitHub lists merged pull requests as ``closed``; only ``merged_at`` tells them apart."""
        return item.get("merged_at") is not None
