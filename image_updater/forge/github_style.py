"""The pull-request client for forges whose REST API is modelled on GitHub's (GitHub, Gitea/Forgejo).

Paths, pull-request JSON and the open/label requests are the same on both, so they are written
once here; a subclass states only how its forge differs: how a draft is marked, where reviewers
go, how the open-pull-request listing is filtered, and what auto-merge needs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar

from image_updater.errors import ConfigError
from image_updater.forge.api import ApiClient, best_effort
from image_updater.forge.model import PullRequest, PullRequestFilter, split_reviewers
from image_updater.forge.remote import RemoteRepository
from image_updater.forge.rest import RestForge
from image_updater.forge.settings import PullRequestOptions


class GitHubStyleForge(RestForge):
    """``repos/{owner}/{repo}/pulls`` and ``issues/{n}/labels``; see the subclasses for what differs."""

    edit_method = "PATCH"
    body_field = "body"
    close_fields: ClassVar[Mapping[str, str]] = {"state": "closed"}
    #: True: reviewers travel in the create request; False: a ``requested_reviewers`` call follows it.
    reviewers_on_create: ClassVar[bool] = False
    #: Fields the create request always carries beyond title, head, base, body (and draft).
    create_extras: ClassVar[Mapping[str, Any]] = {}
    #: A full listing page; a shorter one is the last.
    list_page_size: ClassVar[int] = 100
    #: False when the listing is filtered to the head branch server-side, so one page holds every match.
    list_pages_through: ClassVar[bool] = False

    @classmethod
    def for_remote(cls, api: ApiClient, remote: RemoteRepository, named_by: str) -> GitHubStyleForge:
        owner, _, repo = remote.path.partition("/")
        if "/" in repo:
            raise ConfigError(
                f"{cls.kind} repositories are owner/repo, but {named_by} names {remote.path}", key=named_by
            )
        return cls(api, owner, repo)

    def __init__(self, api: ApiClient, owner: str, repo: str) -> None:
        super().__init__(api, f"{owner}/{repo}")
        self.owner = owner
        self.repo = repo
        self._base = f"repos/{owner}/{repo}"

    def _list_query(self, head: str, base: str, state: str, page: int) -> tuple[str, dict[str, Any]]:
        """(what the listing is, for errors; its query parameters) for one page of ``state`` pull requests."""
        raise NotImplementedError

    def _merged(self, item: Any) -> bool:
        """Whether a listed pull request was merged (both forges list merged ones as ``closed``)."""
        raise NotImplementedError

    def _from_this_repo(self, item: Any) -> bool:
        """Whether a listed pull request's head branch lives in this repository rather than a fork."""
        return True

    async def _schedule_merge(self, pr: PullRequest) -> None:
        """Have the forge merge ``pr`` once its checks pass; forges without it refuse ``auto_merge``."""
        raise NotImplementedError

    def _path(self, number: int) -> str:
        return f"{self._base}/pulls/{number}"

    def _called(self, number: int) -> str:
        return f"pull request #{number}"

    def _parse(self, item: Any) -> PullRequest:
        draft = bool(item.get("draft") or False)
        return PullRequest(
            number=int(item["number"]),
            url=str(item["html_url"]),
            head=str(item["head"]["ref"]),
            base=str(item["base"]["ref"]),
            title=self._read_title(str(item["title"]), draft),
            body=str(item.get("body") or ""),
            state=str(item["state"]),
            draft=draft,
            merged=self._merged(item),
        )

    @staticmethod
    def _reviewers(settings: PullRequestOptions) -> dict[str, list[str]]:
        users, teams = split_reviewers(settings.reviewers)
        return {key: names for key, names in (("reviewers", users), ("team_reviewers", teams)) if names}

    async def find_open_pull_request(self, head: str, base: str) -> PullRequest | None:
        return await self._find(head, base, "open", lambda prs: self._oldest(prs, head, base))

    async def find_closed_pull_request(self, head: str, base: str, wanted: PullRequestFilter) -> PullRequest | None:
        return await self._find(head, base, "closed", lambda prs: self._declined(prs, head, base, wanted))

    async def _find(
        self, head: str, base: str, state: str, pick: Callable[[Iterable[PullRequest]], PullRequest | None]
    ) -> PullRequest | None:
        """The first listing page on which ``pick`` chooses a pull request of ours, paging where needed."""
        page = 1
        while True:
            doing, params = self._list_query(head, base, state, page)
            found = await self.api.call("GET", f"{self._base}/pulls", doing=doing, params=params) or []
            ours = pick([self._parse(item) for item in found if self._from_this_repo(item)])
            if ours is not None or not self.list_pages_through or len(found) < self.list_page_size:
                return ours
            page += 1

    async def open_pull_request(
        self, head: str, base: str, title: str, body: str, settings: PullRequestOptions
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

    async def _decorate(self, pr: PullRequest, settings: PullRequestOptions) -> None:
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
                    f"{self._path(pr.number)}/requested_reviewers",
                    doing=f"requesting reviewers on pull request #{pr.number}",
                    json=reviewers,
                )
            )
        if settings.auto_merge:
            await best_effort(self._schedule_merge(pr))
