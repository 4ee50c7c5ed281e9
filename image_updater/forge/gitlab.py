"""GitLab merge requests API v4 (gitlab.com or self-managed), as summarised in our facts notes.

Drafts are a ``Draft:`` title prefix; reviewers are numeric user IDs because the API takes
``reviewer_ids`` and looking users up is outside the endpoints this client relies on.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from image_updater.errors import ConfigError
from image_updater.forge.api import ApiClient, best_effort
from image_updater.forge.model import PullRequest, TitleDraftMarker, closing_body
from image_updater.forge.settings import PullRequestSettings

DRAFT = TitleDraftMarker("Draft: ", ("Draft:", "[Draft]", "(Draft)"))


def _parse(item: Any) -> PullRequest:
    draft = bool(item.get("draft", item.get("work_in_progress", False)))
    return PullRequest(
        number=int(item["iid"]),
        url=str(item["web_url"]),
        head=str(item["source_branch"]),
        base=str(item["target_branch"]),
        title=DRAFT.read(str(item["title"]), draft),
        body=str(item.get("description") or ""),
        state=str(item["state"]),
        draft=draft,
    )


class GitLabForge:
    name = "GitLab"

    def __init__(self, api: ApiClient, project: str) -> None:
        self.api = api
        self.project = project
        self._base = f"projects/{quote(project, safe='')}/merge_requests"

    def __repr__(self) -> str:
        return f"GitLabForge({self.project} via {self.api!r})"

    def check_settings(self, settings: PullRequestSettings) -> None:
        names = [r for r in settings.reviewers if not r.isdigit()]
        if names:
            raise ConfigError(
                f"GitLab reviewers must be numeric user IDs, not {', '.join(names)}",
                key="git.write.pull_request.reviewers",
            )

    async def find_open_pull_request(self, head: str, base: str) -> PullRequest | None:
        found = await self.api.call(
            "GET",
            self._base,
            doing=f"listing merge requests from {head} in {self.project}",
            params={"state": "opened", "source_branch": head, "target_branch": base, "per_page": 100},
        )
        matches = [pr for pr in map(_parse, found or []) if pr.head == head and pr.base == base]
        return min(matches, key=lambda pr: pr.number) if matches else None

    async def open_pull_request(
        self, head: str, base: str, title: str, body: str, settings: PullRequestSettings
    ) -> PullRequest:
        self.check_settings(settings)
        request: dict[str, Any] = {
            "source_branch": head,
            "target_branch": base,
            "description": body,
            "title": DRAFT.write(title, settings.draft),
            "remove_source_branch": True,
        }
        if settings.labels:
            request["labels"] = ",".join(settings.labels)
        if settings.reviewers:
            request["reviewer_ids"] = [int(r) for r in settings.reviewers]
        created = _parse(
            await self.api.call(
                "POST",
                self._base,
                doing=f"opening a merge request {head} → {base} in {self.project}",
                json=request,
            )
        )
        if settings.auto_merge:
            await best_effort(
                self.api.call(
                    "PUT",
                    f"{self._base}/{created.number}/merge",
                    json={"auto_merge": True},
                    doing=f"setting merge request !{created.number} to merge when its pipeline succeeds",
                )
            )
        return created

    async def update_pull_request(self, pr: PullRequest, title: str, body: str) -> PullRequest:
        return _parse(
            await self.api.call(
                "PUT",
                f"{self._base}/{pr.number}",
                doing=f"updating merge request !{pr.number} in {self.project}",
                json={"title": DRAFT.write(title, pr.draft), "description": body},
            )
        )

    async def close_pull_request(self, pr: PullRequest, comment: str) -> None:
        await self.api.call(
            "PUT",
            f"{self._base}/{pr.number}",
            doing=f"closing merge request !{pr.number} in {self.project}",
            json={"state_event": "close", "description": closing_body(comment, pr.body)},
        )

    async def aclose(self) -> None:
        await self.api.aclose()
