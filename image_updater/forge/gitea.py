"""Gitea / Forgejo API v1, using only operations in Gitea's published Swagger description.

Gitea's pull list cannot filter by head branch, so the open pull requests into the base branch
are paged through; drafts are a ``WIP:`` title prefix (Gitea's default work-in-progress marker).
"""

from __future__ import annotations

from typing import Any

from image_updater.forge.github_style import GitHubStyleForge
from image_updater.forge.model import PullRequest, TitleDraftMarker


class GiteaForge(GitHubStyleForge):
    """Reviewers (``org/team`` as team reviewers) go in the create request; auto-merge is supported."""

    name = "Gitea"
    kind = "gitea"
    api_suffix = "/api/v1"
    token_scheme = "token"
    draft_marker = TitleDraftMarker("WIP: ", ("WIP:", "[WIP]"))
    reviewers_on_create = True
    list_page_size = 50
    list_pages_through = True

    def _list_query(self, head: str, base: str, state: str, page: int) -> tuple[str, dict[str, Any]]:
        """Closed ones most recently closed first, so a declined update is usually on the first page."""
        order = {"sort": "recentclose"} if state == "closed" else {}
        return (
            f"listing {state} pull requests into {base} on {self._slug}",
            {"state": state, "base_branch": base, "page": page, "limit": self.list_page_size, **order},
        )

    def _merged(self, item: Any) -> bool:
        """Gitea lists merged pull requests as ``closed`` with ``merged: true``."""
        return bool(item.get("merged") or False)

    @property
    def _slug(self) -> str:
        return f"{self.owner}/{self.repo}".lower()

    def _from_this_repo(self, item: Any) -> bool:
        """Forks may use the same branch name; a head naming no repository is taken as ours."""
        repo = (item.get("head") or {}).get("repo") or {}
        return str(repo.get("full_name") or "").lower() in ("", self._slug)

    async def _schedule_merge(self, pr: PullRequest) -> None:
        await self.api.call(
            "POST",
            f"{self._path(pr.number)}/merge",
            doing=f"scheduling pull request #{pr.number} to merge when checks succeed",
            json={"do": "merge", "merge_when_checks_succeed": True, "delete_branch_after_merge": True},
        )
