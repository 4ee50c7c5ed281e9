"""What every forge client does alike once its paths, field names and wording are known.

Updating, closing and picking the open pull request for a branch pair are the same steps on
GitHub, Gitea and GitLab; only the HTTP verb, the body field and the close fields differ.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from image_updater.forge.api import ApiClient
from image_updater.forge.model import (
    AUTOCLOSED_SUFFIX,
    PullRequest,
    PullRequestFilter,
    TitleDraftMarker,
    closing_body,
    closing_title,
)
from image_updater.forge.remote import RemoteRepository
from image_updater.forge.settings import PullRequestOptions


class RestForge:
    """A forge's pull-request resource; subclasses name its paths, fields and JSON shape."""

    name: str
    #: The ``git.forge.kind`` value naming this forge (the key of ``factory.FORGES``).
    kind: ClassVar[str]
    #: Where the API lives on a self-hosted instance's web host.
    api_suffix: ClassVar[str]
    #: The public instance, whose host implies this forge and whose API is elsewhere.
    public_host: ClassVar[str | None] = None
    public_api: ClassVar[str | None] = None
    #: How a token travels: the header, and the scheme word before it (None: the bare token).
    token_header: ClassVar[str] = "Authorization"
    token_scheme: ClassVar[str | None] = "Bearer"
    #: Headers every request carries (API version pins).
    api_headers: ClassVar[Mapping[str, str]] = {}
    #: Whether GitHub App installation tokens work here.
    app_auth: ClassVar[bool] = False
    #: None: drafts are the API's ``draft`` flag; otherwise a title prefix the forge recognises.
    draft_marker: ClassVar[TitleDraftMarker | None] = None
    #: The verb that edits a pull request (``PATCH`` on GitHub-style forges, ``PUT`` on GitLab).
    edit_method: ClassVar[str]
    #: The field holding the pull-request description.
    body_field: ClassVar[str]
    #: The fields that close a pull request.
    close_fields: ClassVar[Mapping[str, str]]

    def __init__(self, api: ApiClient, where: str) -> None:
        self.api = api
        self._where = where

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._where} via {self.api!r})"

    @classmethod
    def for_remote(cls, api: ApiClient, remote: RemoteRepository, named_by: str) -> RestForge:
        """The client for ``remote`` (``named_by``: the settings key that named its repository)."""
        raise NotImplementedError

    def check_settings(self, settings: PullRequestOptions) -> None:
        """Every setting is honoured unless a subclass says otherwise."""

    async def find_open_pull_request(self, head: str, base: str) -> PullRequest | None:
        raise NotImplementedError

    async def find_closed_pull_request(self, head: str, base: str, wanted: PullRequestFilter) -> PullRequest | None:
        raise NotImplementedError

    async def open_pull_request(
        self, head: str, base: str, title: str, body: str, settings: PullRequestOptions
    ) -> PullRequest:
        raise NotImplementedError

    def _parse(self, item: Any) -> PullRequest:
        raise NotImplementedError

    def _path(self, number: int) -> str:
        """The API path of one pull request."""
        raise NotImplementedError

    def _called(self, number: int) -> str:
        """How errors name one pull request, in the forge's own words."""
        raise NotImplementedError

    def _title(self, title: str, draft: bool) -> str:
        return self.draft_marker.write(title, draft) if self.draft_marker else title

    def _read_title(self, title: str, draft: bool) -> str:
        return self.draft_marker.read(title, draft) if self.draft_marker else title

    @staticmethod
    def _declined(prs: Iterable[PullRequest], head: str, base: str, wanted: PullRequestFilter) -> PullRequest | None:
        """The newest pull request from ``head`` into ``base`` a person closed unmerged for which ``wanted``
        holds; our own closes carry the autoclosed suffix and never count."""
        matches = [
            pr
            for pr in prs
            if (pr.head, pr.base, pr.state, pr.merged) == (head, base, "closed", False)
            and wanted(pr)
            and not pr.title.endswith(AUTOCLOSED_SUFFIX)
        ]
        return max(matches, key=lambda pr: pr.number) if matches else None

    @staticmethod
    def _oldest(prs: Iterable[PullRequest], head: str, base: str) -> PullRequest | None:
        """The lowest-numbered pull request from ``head`` into ``base``: listings may filter loosely."""
        matches = [pr for pr in prs if pr.head == head and pr.base == base]
        return min(matches, key=lambda pr: pr.number) if matches else None

    async def update_pull_request(self, pr: PullRequest, title: str, body: str) -> PullRequest:
        return self._parse(
            await self.api.call(
                self.edit_method,
                self._path(pr.number),
                doing=f"updating {self._called(pr.number)}",
                json={"title": self._title(title, pr.draft), self.body_field: body},
            )
        )

    async def close_pull_request(self, pr: PullRequest, comment: str) -> None:
        await self.api.call(
            self.edit_method,
            self._path(pr.number),
            doing=f"closing {self._called(pr.number)}",
            json={
                **self.close_fields,
                "title": self._title(closing_title(pr.title), pr.draft),
                self.body_field: closing_body(comment, pr.body),
            },
        )

    async def aclose(self) -> None:
        await self.api.aclose()
