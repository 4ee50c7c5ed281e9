"""The forge protocol: what every forge client answers, and how our own closes are marked.

Every forge is a peer behind :class:`Forge`; the decisions built on it (open, update, close,
declined) are written once, in ``delivery/pull_requests.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from image_updater.forge.settings import PullRequestOptions


@dataclass(frozen=True)
class PullRequest:
    """A pull/merge request as the forge holds it.

    ``title`` is the title without the forge's draft marker (GitLab ``Draft:``, Gitea ``WIP:``);
    ``draft`` says whether the marker or flag is set, so updates keep what a human chose.
    ``merged`` tells a merged pull request from one closed without merging (GitHub and Gitea
    report both as ``closed``).
    """

    number: int
    url: str
    head: str
    base: str
    title: str
    body: str
    state: str
    draft: bool = False
    merged: bool = False


PullRequestFilter = Callable[["PullRequest"], bool]


class Forge(Protocol):
    """One forge's pull-request API; implementations live beside this module."""

    name: str

    def check_settings(self, settings: PullRequestOptions) -> None:
        """Raise ConfigError for settings this forge cannot honour, before any request is made."""

    async def find_open_pull_request(self, head: str, base: str) -> PullRequest | None: ...

    async def find_closed_pull_request(self, head: str, base: str, wanted: PullRequestFilter) -> PullRequest | None:
        """The newest pull request from ``head`` into ``base`` a person closed *without merging*, of those
        ``wanted`` accepts (delivery recognises its own updates by the marker it writes into bodies)."""

    async def open_pull_request(
        self, head: str, base: str, title: str, body: str, settings: PullRequestOptions
    ) -> PullRequest: ...

    async def update_pull_request(self, pr: PullRequest, title: str, body: str) -> PullRequest: ...

    async def close_pull_request(self, pr: PullRequest, comment: str) -> None: ...

    async def aclose(self) -> None: ...


#: Appended to the title of a pull request we close ourselves (Renovate's marker), so our own closes
#: never look like a person declining that update.
AUTOCLOSED_SUFFIX = " - autoclosed"


def closing_title(title: str) -> str:
    """The title a pull request we close is left with: no longer equal to any title we render."""
    return title if title.endswith(AUTOCLOSED_SUFFIX) else title + AUTOCLOSED_SUFFIX


def closing_body(comment: str, body: str) -> str:
    """The body a closed pull request is left with: the closing note on top, the old body below.

    None of the API descriptions we validate against has a comment endpoint, so the note goes
    into the body, in the same request that closes the pull request.
    """
    return f"{comment.strip()}\n\n---\n\n{body}" if body.strip() else comment.strip()


def split_reviewers(reviewers: list[str]) -> tuple[list[str], list[str]]:
    """(users, team slugs): ``org/team`` names a team, anything else a user login."""
    return ([r for r in reviewers if "/" not in r], [r.split("/", 1)[1] for r in reviewers if "/" in r])


def strip_draft_marker(title: str, markers: tuple[str, ...]) -> str:
    """The title without a leading draft marker such as ``Draft:`` or ``[WIP]`` (case-insensitive)."""
    for marker in markers:
        if title[: len(marker)].lower() == marker.lower():
            return title[len(marker) :].lstrip()
    return title


@dataclass(frozen=True)
class TitleDraftMarker:
    """Drafts on forges whose API has no writable draft flag: a title prefix (GitLab, Gitea).

    ``prefix`` is what we write; ``markers`` are every spelling the forge itself treats as a draft,
    all stripped on read so :attr:`PullRequest.title` compares equal to the rendered title.
    """

    prefix: str
    markers: tuple[str, ...]

    def write(self, title: str, draft: bool) -> str:
        return self.prefix + title if draft else title

    def read(self, title: str, draft: bool) -> str:
        return strip_draft_marker(title, self.markers) if draft else title


def needs_update(existing: PullRequest, title: str, body: str) -> bool:
    """Whether an open pull request's title or body differ from what this cycle would write."""
    return not (_same_text(existing.title, title) and _same_text(existing.body, body))


def _same_text(held: str, wanted: str) -> bool:
    """Equal up to what forges normalise on save (CRLF, surrounding whitespace)."""
    return held.replace("\r\n", "\n").strip() == wanted.replace("\r\n", "\n").strip()
