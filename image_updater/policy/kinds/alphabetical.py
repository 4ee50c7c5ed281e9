"""``order: alphabetical``: the greatest (``asc``) or least (``desc``) tag text (Flux, argocd ``name``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from image_updater.policy.kinds.base import Ranked, Rejected
from image_updater.policy.kinds.order import Order

if TYPE_CHECKING:
    from image_updater.policy.models import PolicySpec, TagFacts


class Alphabetical(Order):
    name = "alphabetical"
    example: ClassVar[Mapping[str, Any]] = {"order": "alphabetical", "filter": "^main-(?P<ts>.+)$", "extract": "$ts"}

    def read(
        self, spec: PolicySpec, tag: str, text: str, facts: TagFacts | None, *, for_current: bool
    ) -> Ranked | Rejected:
        return Ranked(tag, text, text)


ALPHABETICAL = Alphabetical()
