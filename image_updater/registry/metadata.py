"""What the registry knows about one tag beyond its name: the facts policies may order or filter by."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class TagMetadata:
    """What policies may filter or order by beyond the tag's name.

    ``digest`` is the manifest or index digest the tag points to; ``platforms`` holds ``os/arch`` for every
    platform offered and also ``os/arch/variant`` when a variant is given, so membership tests suffice.
    """

    digest: str | None
    created: datetime | None
    platforms: frozenset[str] = field(default_factory=frozenset)
