"""``newest_build: true``: the most recently built image, by its config's creation time (argocd-image-updater)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar

from image_updater.policy.kinds.base import Kind, Ranked, Rejected

if TYPE_CHECKING:
    from image_updater.policy.models import PolicySpec, TagFacts


def _format_time(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


class NewestBuild(Kind):
    name = "newest_build"
    key = "newest_build"
    example: ClassVar[Mapping[str, Any]] = {"newest_build": True, "filter": "^main-"}
    needs_metadata = True
    reads_current_facts = True

    def chosen_by(self, spec: PolicySpec) -> bool:
        return spec.newest_build

    def read(
        self, spec: PolicySpec, tag: str, text: str, facts: TagFacts | None, *, for_current: bool
    ) -> Ranked | Rejected:
        """Naive creation times are read as UTC."""
        if facts is None:
            return Rejected(tag, "no metadata fetched for this tag")
        if facts.created is None:
            return Rejected(tag, "no creation time in the image config")
        created = facts.created if facts.created.tzinfo is not None else facts.created.replace(tzinfo=UTC)
        return Ranked(tag, created, _format_time(created))

    def phrase(self, spec: PolicySpec, best: Ranked) -> str:
        return f"newest build (created {best.shown})"

    def describe(self, spec: PolicySpec) -> str:
        return "newest build"


NEWEST_BUILD = NewestBuild()
