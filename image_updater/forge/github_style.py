"""The pull-request client for forges whose REST API is modelled on GitHub's (GitHub, Gitea/Forgejo).

Paths, pull-request JSON and the update/close/label requests are the same on both, so they are
written once here; a subclass states only how its forge differs: how a draft is marked, where
reviewers go, how the open-pull-request listing is filtered, and what auto-merge needs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from image_updater.forge.api import ApiClient, best_effort
from image_updater.forge.model import PullRequest, TitleDraftMarker, closing_body, split_reviewers
from image_updater.forge.settings import PullRequestSettings


class GitHubStyleForge:
    """``repos/{owner}/{repo}/pulls`` and ``issues/{n}/labels``; see the subclasses for what differs."""

    name: str
    #: None: drafts are the API's ``draft`` flag; otherwise a title prefix the forge recognises.
    draft_marker: ClassVar[TitleDraftMarker | None] = None
    #: True: reviewers travel in the create request; False: a ``requested_reviewers`` call follows it.
    reviewers_on_create: ClassVar[bool] = False
    #: Fields the create request always carries beyond title, head, base, body (and draft).
    create_extras: ClassVar[Mapping[str, Any]] = {}
    #: A full listing page; a shorter one is the last.
    list_page_size: ClassVar[int] = 100
    #: False when the listing is filtered to the head branch server-side, so one page holds every match.
    list_pages_through: ClassVar[bool] = False

    def __init__(self, api: ApiClient, owner: str, repo: str) -> None:
        self.api = api
        self.owner = owner
        self.repo = repo
        self._base = f"repos/{owner}/{repo}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.owner}/{self.repo} via {self.api!r})"

    def check_settings(self, settings: PullRequestSettings) -> None:
        """Every setting is honoured unless a subclass says otherwise."""

    def _list_query(self, head: str, base: str, page: int) -> tuple[str, dict[str, Any]]:
        """(what the listing is, for errors; its query parameters) for one page of open pull requests."""
        raise NotImplementedError

    def _from_this_repo(self, item: Any) -> bool:
        """Whether a listed pull request's head branch lives in this repository rather than a fork."""
        return True

    async def _schedule_merge(self, pr: PullRequest) -> None:
        """Have the forge merge ``pr`` once its checks pass; forges without it refuse ``auto_merge``."""
        raise NotImplementedError

    def _parse(self, item: Any) -> PullRequest:
        draft = bool(item.get("draft") or False)
        title = str(item["title"])
        return PullRequest(
            number=int(item["number"]),
            url=str(item["html_url"]),
            head=str(item["head"]["ref"]),
            base=str(item["base"]["ref"]),
            title=self.draft_marker.read(title, draft) if self.draft_marker else title,
            body=str(item.get("body") or ""),
            state=str(item["state"]),
            draft=draft,
        )

    def _title(self, title: str, draft: bool) -> str:
        return self.draft_marker.write(title, draft) if self.draft_marker else title

    @staticmethod
    def _reviewers(settings: PullRequestSettings) -> dict[str, list[str]]:
        users, teams = split_reviewers(settings.reviewers)
        return {key: names for key, names in (("reviewers", users), ("team_reviewers", teams)) if names}

    async def find_open_pull_request(self, head: str, base: str) -> PullRequest | None:
        page = 1
        while True:
            doing, params = self._list_query(head, base, page)
            found = await self.api.call("GET", f"{self._base}/pulls", doing=doing, params=params) or []
            matches = [
                pr
                for pr, item in ((self._parse(item), item) for item in found)
                if pr.head == head and pr.base == base and self._from_this_repo(item)
            ]
            if matches:
                return min(matches, key=lambda pr: pr.number)
            if not self.list_pages_through or len(found) < self.list_page_size:
                return None
            page += 1

    async def open_pull_request(
        self, head: str, base: str, title: str, body: str, settings: PullRequestSettings
    ) -> PullRequest:
        self.check_settings(settings)
        request: dict[str, Any] = {
            "title": self._title(title, settings.draft),
            "head": head,
            "base": base,
            "body": body,
        }
        if self.draft_marker is None:
            request["draft"] = settings.draft
        if self.reviewers_on_create:
            request.update(self._reviewers(settings))
        created = self._parse(
            await self.api.call(
                "POST",
                f"{self._base}/pulls",
                doing=f"opening a pull request {head} → {base} on {self.owner}/{self.repo}",
                json={**request, **self.create_extras},
            )
        )
        await self._decorate(created, settings)
        return created

    async def _decorate(self, pr: PullRequest, settings: PullRequestSettings) -> None:
        """Labels, reviewers and auto-merge are extras: a refusal is logged, the opened pull request stands."""
        if settings.labels:
            await best_effort(
                self.api.call(
                    "POST",
                    f"{self._base}/issues/{pr.number}/labels",
                    doing=f"labelling pull request #{pr.number}",
                    json={"labels": settings.labels},
                )
            )
        reviewers = {} if self.reviewers_on_create else self._reviewers(settings)
        if reviewers:
            await best_effort(
                self.api.call(
                    "POST",
                    f"{self._base}/pulls/{pr.number}/requested_reviewers",
                    doing=f"requesting reviewers on pull request #{pr.number}",
                    json=reviewers,
                )
            )
        if settings.auto_merge:
            await best_effort(self._schedule_merge(pr))

    async def update_pull_request(self, pr: PullRequest, title: str, body: str) -> PullRequest:
        return self._parse(
            await self.api.call(
                "PATCH",
                f"{self._base}/pulls/{pr.number}",
                doing=f"updating pull request #{pr.number}",
                json={"title": self._title(title, pr.draft), "body": body},
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
