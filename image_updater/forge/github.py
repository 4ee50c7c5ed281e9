"""GitHub REST (github.com or Enterprise): only operations present in GitHub's published description.

Auto-merge is GraphQL-only on GitHub (``enablePullRequestAutoMerge``), so it is refused as a
config error rather than silently ignored or replaced by an immediate merge.
"""

from __future__ import annotations

from typing import Any

from image_updater.errors import ConfigError
from image_updater.forge.api import ApiClient, best_effort
from image_updater.forge.model import PullRequest, closing_body, split_reviewers
from image_updater.forge.settings import PullRequestSettings

API_HEADERS = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}


def _parse(item: Any) -> PullRequest:
    return PullRequest(
        number=int(item["number"]),
        url=str(item["html_url"]),
        head=str(item["head"]["ref"]),
        base=str(item["base"]["ref"]),
        title=str(item["title"]),
        body=str(item.get("body") or ""),
        state=str(item["state"]),
        draft=bool(item.get("draft") or False),
    )


class GitHubForge:
    name = "GitHub"

    def __init__(self, api: ApiClient, owner: str, repo: str) -> None:
        self.api = api
        self.owner = owner
        self.repo = repo
        self._base = f"repos/{owner}/{repo}"

    def __repr__(self) -> str:
        return f"GitHubForge({self.owner}/{self.repo} via {self.api!r})"

    def check_settings(self, settings: PullRequestSettings) -> None:
        if settings.auto_merge:
            raise ConfigError(
                "GitHub offers auto-merge only through GraphQL, which this client does not use",
                key="git.write.pull_request.auto_merge",
            )

    async def find_open_pull_request(self, head: str, base: str) -> PullRequest | None:
        found = await self.api.call(
            "GET",
            f"{self._base}/pulls",
            doing=f"listing pull requests from {head} on {self.owner}/{self.repo}",
            params={"state": "open", "head": f"{self.owner}:{head}", "base": base, "per_page": 100},
        )
        matches = [pr for pr in map(_parse, found or []) if pr.head == head and pr.base == base]
        return min(matches, key=lambda pr: pr.number) if matches else None

    async def open_pull_request(
        self, head: str, base: str, title: str, body: str, settings: PullRequestSettings
    ) -> PullRequest:
        self.check_settings(settings)
        created = _parse(
            await self.api.call(
                "POST",
                f"{self._base}/pulls",
                doing=f"opening a pull request {head} → {base} on {self.owner}/{self.repo}",
                json={
                    "title": title,
                    "head": head,
                    "base": base,
                    "body": body,
                    "draft": settings.draft,
                    "maintainer_can_modify": True,
                },
            )
        )
        await self._decorate(created, settings)
        return created

    async def _decorate(self, pr: PullRequest, settings: PullRequestSettings) -> None:
        """Labels and reviewers are extras: a refusal is logged, the opened pull request stands."""
        users, teams = split_reviewers(settings.reviewers)
        if settings.labels:
            await best_effort(
                self.api.call(
                    "POST",
                    f"{self._base}/issues/{pr.number}/labels",
                    doing=f"labelling pull request #{pr.number}",
                    json={"labels": settings.labels},
                )
            )
        if users or teams:
            await best_effort(
                self.api.call(
                    "POST",
                    f"{self._base}/pulls/{pr.number}/requested_reviewers",
                    doing=f"requesting reviewers on pull request #{pr.number}",
                    json={"reviewers": users, "team_reviewers": teams},
                )
            )

    async def update_pull_request(self, pr: PullRequest, title: str, body: str) -> PullRequest:
        return _parse(
            await self.api.call(
                "PATCH",
                f"{self._base}/pulls/{pr.number}",
                doing=f"updating pull request #{pr.number}",
                json={"title": title, "body": body},
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
