"""The forge protocol and the one decision built on it: open, update or leave a pull request.

Every forge is a peer behind :class:`Forge`; :func:`ensure_pull_request` is written once against it,
so "never a second PR per group" and "no no-op updates" hold for all of them alike.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal, Protocol

from image_updater.errors import ForgeError
from image_updater.forge.render import update_key_of
from image_updater.forge.settings import PullRequestSettings

log = logging.getLogger(__name__)

EnsureAction = Literal["opened", "updated", "unchanged", "declined"]


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


class Forge(Protocol):
    """One forge's pull-request API; implementations live beside this module."""

    name: str

    def check_settings(self, settings: PullRequestSettings) -> None:
        """Raise ConfigError for settings this forge cannot honour, before any request is made."""

    async def find_open_pull_request(self, head: str, base: str) -> PullRequest | None: ...

    async def find_closed_pull_request(self, head: str, base: str, update: str) -> PullRequest | None:
        """The newest pull request from ``head`` into ``base`` closed *without merging* under ``title``."""

    async def open_pull_request(
        self, head: str, base: str, title: str, body: str, settings: PullRequestSettings
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


async def ensure_pull_request(
    forge: Forge, head: str, base: str, title: str, body: str, settings: PullRequestSettings
) -> tuple[PullRequest, EnsureAction]:
    """Make exactly one open pull request from ``head`` to ``base`` carry this title and body.

    If opening fails because one already exists (another instance won a race, or the listing
    lagged), the existing one is adopted instead of failing the cycle. A pull request a person
    closed unmerged for this very update (the ``update_key`` marker ``render_pull_request`` writes into
    the body) is not opened again: it is returned as ``"declined"``.
    """
    forge.check_settings(settings)
    existing = await forge.find_open_pull_request(head, base)
    if existing is None:
        update = update_key_of(body)  # a body without our marker names no update that could be declined
        declined = await find_declined_pull_request(forge, head, base, update, settings) if update else None
        if declined is not None:
            return declined, "declined"
        try:
            opened = await forge.open_pull_request(head, base, title, body, settings)
        except ForgeError as exc:
            existing = await forge.find_open_pull_request(head, base)
            if existing is None:
                raise
            log.info(
                "%s: pull request for %s already existed (%s); adopting #%d",
                forge.name,
                head,
                exc,
                existing.number,
            )
        else:
            log.info("%s: opened pull request #%d %s", forge.name, opened.number, opened.url)
            return opened, "opened"
    if not needs_update(existing, title, body):
        return existing, "unchanged"
    updated = await forge.update_pull_request(existing, title, body)
    log.info("%s: updated pull request #%d %s", forge.name, updated.number, updated.url)
    return updated, "updated"


async def find_declined_pull_request(
    forge: Forge, head: str, base: str, update: str, settings: PullRequestSettings
) -> PullRequest | None:
    """The pull request a person declined for exactly this update, unless ``recreate_declined`` is set.

    Renovate's rule: closing without merging declines *this* update (``update`` is
    ``render.update_key``: every image with its target, kept in our PR bodies), so it is not proposed
    again; a newer tag is another update and gets a new pull request. Call it only when no pull
    request from ``head`` is open: an open one is ours to keep updating.
    """
    if settings.recreate_declined:
        return None
    declined = await forge.find_closed_pull_request(head, base, update)
    if declined is not None:
        log.info("%s: %s was closed without merging by a person; not opening it again", forge.name, declined.url)
    return declined


def same_title(held: str, wanted: str) -> bool:
    """Whether a pull request's title is the one this cycle would write, up to forge normalisation."""
    return _same_text(held, wanted)


def needs_update(existing: PullRequest, title: str, body: str) -> bool:
    """Whether an open pull request's title or body differ from what this cycle would write."""
    return not (_same_text(existing.title, title) and _same_text(existing.body, body))


def _same_text(held: str, wanted: str) -> bool:
    """Equal up to what forges normalise on save (CRLF, surrounding whitespace)."""
    return held.replace("\r\n", "\n").strip() == wanted.replace("\r\n", "\n").strip()
