"""Promotion (Jenkins X's core): an image in one target follows another target, after a soak.

Target B's image moves to a tag target A's files carry once A has carried it for at least ``soak``, as
A's Git history records it: the committer time of the commit that last changed the line holding it on
A's branch (``git blame``), so a person's commit counts like ours. B's own policy still decides among
the tags that have soaked, so B never leaves its range and never moves down unless told.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from image_updater.cycle.index import RepoIndex
from image_updater.cycle.model import ImageScan
from image_updater.cycle.settings import FollowSettings, ImageSettings
from image_updater.gitops import ConfigRepo
from image_updater.reference import canonical_name


@dataclass(frozen=True)
class Indexed:
    """What a target's sync and index left: what the targets that follow it read."""

    target: str
    head: str
    index: RepoIndex
    repo: ConfigRepo
    #: Planned on what the checkout last held, without asking the remote (``ConfigRepo.known``).
    unsynced: bool = False


def carried(source: Indexed, image: ImageSettings) -> dict[str, float]:
    """Tag → when the followed target came to carry it: the latest arrival among its references of the
    same repository that hold that tag (a tag counts as carried once every file that holds it got it).

    Runs ``git blame`` once per reference: call it from a thread."""
    repository = canonical_name(image.image)
    since: dict[str, float] = {}
    for binding in source.index.bindings:
        ref = binding.found.reference
        if ref is None or ref.tag is None or canonical_name(binding.image.image) != repository:
            continue
        arrived = source.repo.line_committed_at(source.head, binding.found.path, binding.found.line)
        since[ref.tag] = max(since.get(ref.tag, 0.0), arrived)
    return since


def _human(seconds: float) -> str:
    """``25h``, ``2.5h``, ``45m``, ``30s``: how long, as plan says it."""
    for unit, size in (("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:.1f}".rstrip("0").rstrip(".") + unit
    return f"{seconds:.0f}s"


def soaked(scan: ImageScan, follow: FollowSettings, since: Mapping[str, float], now: float) -> ImageScan:
    """The scan narrowed to the tags the followed target has carried for ``soak``, and why it waits for
    the others (``waiting: staging has carried 1.4.0 for 3h of 24h``)."""
    if scan.tags is None:
        return scan
    listed = set(scan.tags)
    ready = sorted(tag for tag, at in since.items() if now - at >= follow.soak and tag in listed)
    pending = [
        f"{follow.target} has carried {tag} for {_human(max(0.0, now - at))} of {_human(follow.soak)}"
        for tag, at in sorted(since.items(), key=lambda item: -item[1])
        if now - at < follow.soak
    ]
    if not since:
        pending = [f"{follow.target} carries no {scan.image.image}"]
    waiting = "waiting: " + "; ".join(pending) if pending else None
    return replace(scan, tags=ready, waiting=waiting)


def unreadable(scan: ImageScan, follow: FollowSettings, error: BaseException) -> ImageScan:
    """The followed target could not be read this cycle: nothing moves, and the report says why."""
    return replace(scan, tags=[], waiting=f"waiting: cannot read target {follow.target}: {error}")
