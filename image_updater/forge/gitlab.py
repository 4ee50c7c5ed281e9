"""GitLab merge requests API v4 (gitlab.com or self-managed), as summarised in our facts notes.

Drafts are a ``Draft:`` title prefix; reviewers are numeric user IDs because the API takes
``reviewer_ids`` and looking users up is outside the endpoints this client relies on.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import quote

from image_updater.errors import ConfigError
from image_updater.forge.api import ApiClient, best_effort
from image_updater.forge.model import PullRequest, PullRequestFilter, TitleDraftMarker
from image_updater.forge.remote import RemoteRepository
from image_updater.forge.rest import RestForge
from image_updater.forge.settings import PullRequestOptions


class GitLabForge(RestForge):
    name = "GitLab"
    kind = "gitlab"
    api_suffix = "/api/v4"
    public_host = "gitlab.com"
    public_api = "https://gitlab.com/api/v4"
    token_header = "PRIVATE-TOKEN"
    token_scheme = None
    draft_marker = TitleDraftMarker("Draft: ", ("Draft:", "[Draft]", "(Draft)"))
    edit_method = "PUT"
    body_field = "description"
    close_fields: ClassVar[Mapping[str, str]] = {"state_event": "close"}

    @classmethod
    def for_remote(cls, api: ApiClient, remote: RemoteRepository, named_by: str) -> GitLabForge:
        return cls(api, remote.path)

    def __init__(self, api: ApiClient, project: str) -> None:
        super().__init__(api, project)
        self.project = project
        self._base = f"projects/{quote(project, safe='')}/merge_requests"

    def check_settings(self, settings: PullRequestOptions) -> None:
        names = [r for r in settings.reviewers if not r.isdigit()]
        if names:
            raise ConfigError(
                f"GitLab reviewers must be numeric user IDs, not {', '.join(names)}",
                key="git.write.pull_request.reviewers",
            )

    def _path(self, number: int) -> str:
        return f"{self._base}/{number}"

    def _called(self, number: int) -> str:
        return f"merge request !{number} in {self.project}"

    def _parse(self, item: Any) -> PullRequest:
        draft = bool(item.get("draft", item.get("work_in_progress", False)))
        return PullRequest(
            number=int(item["iid"]),
            url=str(item["web_url"]),
            head=str(item["source_branch"]),
            base=str(item["target_branch"]),
            title=self._read_title(str(item["title"]), draft),
            body=str(item.get("description") or ""),
            state=str(item["state"]),
            draft=draft,
            merged=item["state"] == "merged",
        )

    async def find_open_pull_request(self, head: str, base: str) -> PullRequest | None:
        found = await self.api.call(
            "GET",
            self._base,
            doing=f"listing merge requests from {head} in {self.project}",
            params={"state": "opened", "source_branch": head, "target_branch": base, "per_page": 100},
        )
        return self._oldest(map(self._parse, found or []), head, base)

    async def find_closed_pull_request(self, head: str, base: str, wanted: PullRequestFilter) -> PullRequest | None:
        """GitLab's ``closed`` state excludes merged merge requests, which are ``merged``."""
        found = await self.api.call(
            "GET",
            self._base,
            doing=f"listing closed merge requests from {head} in {self.project}",
            params={
                "state": "closed",
                "source_branch": head,
                "target_branch": base,
                "order_by": "created_at",
                "sort": "desc",
                "per_page": 100,
            },
        )
        return self._declined(map(self._parse, found or []), head, base, wanted)

    async def open_pull_request(
        self, head: str, base: str, title: str, body: str, settings: PullRequestOptions
    ) -> PullRequest:
        self.check_settings(settings)
        request: dict[str, Any] = {
            "source_branch": head,
            "target_branch": base,
            "description": body,
            "title": self._title(title, settings.draft),
            "remove_source_branch": True,
        }
        if settings.labels:
            request["labels"] = ",".join(settings.labels)
        if settings.reviewers:
            request["reviewer_ids"] = [int(r) for r in settings.reviewers]
        created = self._parse(
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
                    f"{self._path(created.number)}/merge",
                    json={"auto_merge": True},
                    doing=f"setting merge request !{created.number} to merge when its pipeline succeeds",
                )
            )
        return created
