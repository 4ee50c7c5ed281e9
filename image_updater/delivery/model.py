"""What a delivery carries and what it did, as plain data: the commit, the pull request and the plan read it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Change:
    """One reference moved: the one record behind commit messages, pull-request bodies and the plan."""

    image: str
    old: str
    new: str
    path: str
    line: int
    policy: str
    reason: str


@dataclass
class GroupOutcome:
    """What delivery did for one group (the whole cycle in push mode)."""

    group: str
    action: str  # pushed | unchanged | would-push | pr-opened | pr-updated | pr-unchanged | pr-closed | pr-declined | …
    commit: str | None = None
    attempts: int = 0
    branch: str | None = None
    pull_request: str | None = None
    title: str | None = None
    changes: tuple[Change, ...] = ()
    pushed: bool = False
