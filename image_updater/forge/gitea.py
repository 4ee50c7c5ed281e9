"""Gitea / Forgejo API v1, using only operations in Gitea's published Swagger description.

Gitea's pull list cannot filter by head branch, so the open pull requests into the base branch
are paged through; drafts are a ``WIP:`` title prefix (Gitea's default work-in-progress marker).
"""

from __future__ import annotations

from typing import Any

from image_updater.forge.api import ApiClient, best_effort
from image_updater.forge.model import PullRequest, closing_body, split_reviewers, strip_draft_marker
from image_updater.forge.settings import PullRequestSettings

DRAFT_PREFIX = "WIP: "
DRAFT_MARKERS = ("WIP:", "[WIP]")
PAGE_SIZE = 50


def _parse(item: Any) -> PullRequest:
    draft = bool(item.get("draft") or False)
    title = str(item["title"])
    return PullRequest(
        number=int(item["number"]),
        url=str(item["html_url"]),
        head=str(item["head"]["ref"]),
        base=str(item["base"]["ref"]),
        title=strip_draft_marker(title, DRAFT_MARKERS) if draft else title,
        body=str(item.get("body") or ""),
        state=str(item["state"]),
        draft=draft,
    )


def _head_repo(item: Any) -> str:
    repo = (item.get("head") or {}).get("repo") or {}
    return str(repo.get("full_name") or "").lower()


class GiteaForge:
    name = "Gitea"

    def __init__(self, api: ApiClient, owner: str, repo: str) -> None:
        self.api = api
        self.owner = owner
        self.repo = repo
        self._base = f"repos/{owner}/{repo}"

    def __repr__(self) -> str:
        return f"GiteaForge({self.owner}/{self.repo} via {self.api!r})"

    def check_settings(self, settings: PullRequestSettings) -> None:
        """Gitea takes every setting; reviewers ``org/team`` become team reviewers."""

    async def find_open_pull_request(self, head: str, base: str) -> PullRequest | None:
        ours = f"{self.owner}/{self.repo}".lower()
        page = 1
        while True:
            found = (
                await self.api.call(
                    "GET",
                    f"{self._base}/pulls",
                    doing=f"listing pull requests into {base} on {ours}",
                    params={"state": "open", "base_branch": base, "page": page, "limit": PAGE_SIZE},
                )
                or []
            )
            for item in found:
                pr = _parse(item)
                if pr.head == head and pr.base == base and _head_repo(item) in ("", ours):
                    return pr
            if len(found) < PAGE_SIZE:
                return None
            page += 1

    async def open_pull_request(
        self, head: str, base: str, title: str, body: str, settings: PullRequestSettings
    ) -> PullRequest:
        request: dict[str, Any] = {
            "head": head,
            "base": base,
            "body": body,
            "title": DRAFT_PREFIX + title if settings.draft else title,
        }
        users, teams = split_reviewers(settings.reviewers)
        if users:
            request["reviewers"] = users
        if teams:
            request["team_reviewers"] = teams
        created = _parse(
            await self.api.call(
                "POST",
                f"{self._base}/pulls",
                doing=f"opening a pull request {head} → {base} on {self.owner}/{self.repo}",
                json=request,
            )
        )
        if settings.labels:
            await best_effort(
                self.api.call(
                    "POST",
                    f"{self._base}/issues/{created.number}/labels",
                    doing=f"labelling pull request #{created.number}",
                    json={"labels": settings.labels},
                )
            )
        if settings.auto_merge:
            await best_effort(
                self.api.call(
                    "POST",
                    f"{self._base}/pulls/{created.number}/merge",
                    doing=f"scheduling pull request #{created.number} to merge when checks succeed",
                    json={
                        "do": "merge",
                        "merge_when_checks_succeed": True,
                        "delete_branch_after_merge": True,
                    },
                )
            )
        return created

    async def update_pull_request(self, pr: PullRequest, title: str, body: str) -> PullRequest:
        return _parse(
            await self.api.call(
                "PATCH",
                f"{self._base}/pulls/{pr.number}",
                doing=f"updating pull request #{pr.number}",
                json={"title": DRAFT_PREFIX + title if pr.draft else title, "body": body},
            )
        )

    async def close_pull_request(self, pr: PullRequest, comment: str) -> None:
        await self.api.call(
            "PATCH",
            f"{self._base}/pulls/{pr.number}",
            doing=f"closing pull request #{pr.number}",
            json={"state": "closed", "body": closing_body(comment, pr.body)},
        )

    async def aclose(self) -> None:
        await self.api.aclose()
