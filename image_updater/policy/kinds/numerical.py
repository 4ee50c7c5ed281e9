"""``order: numerical``: the greatest (``asc``) or least (``desc``) number (Flux's numerical policy)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from image_updater.errors import PolicyError
from image_updater.policy.filters import looks_like_commit_hash
from image_updater.policy.kinds.base import Ranked, Rejected
from image_updater.policy.kinds.order import Order

if TYPE_CHECKING:
    from image_updater.policy.models import PolicySpec, TagFacts

# What Go's strconv.ParseFloat accepts for ordinary numbers (Flux's numerical policy); no inf/nan/_.
_NUMBER_RE = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")


class Numerical(Order):
    name = "numerical"
    example: ClassVar[Mapping[str, Any]] = {"order": "numerical", "filter": "^build-(?P<n>[0-9]+)$", "extract": "$n"}

    def read(
        self, spec: PolicySpec, tag: str, text: str, facts: TagFacts | None, *, for_current: bool
    ) -> Ranked | Rejected:
        """A candidate that is not a number raises PolicyError naming the tag, as Flux fails the policy;
        the current tag only becomes unorderable instead, since it is not a candidate."""
        if looks_like_commit_hash(text):
            return Rejected(tag, f"commit hash {text!r} is not read as a number")
        if not _NUMBER_RE.match(text):
            if for_current:
                return Rejected(tag, f"{text!r} is not a number")
            extracted = f" (extracted {text!r})" if text != tag else ""
            raise PolicyError(
                f"numerical policy: tag {tag!r}{extracted} is not a number; narrow the candidates with policy.filter"
            )
        return Ranked(tag, Decimal(text), text)


NUMERICAL = Numerical()
