"""What the registry knows about one tag beyond its name: digest, creation time, platforms offered.

The registry fills it in for the tags a policy asks about; policies read it through their own
``TagFacts`` protocol, so neither package imports the other.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class TagMetadata:
    digest: str | None = None
    created: datetime | None = None
    platforms: frozenset[str] = frozenset()
