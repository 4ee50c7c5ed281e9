"""The seam between the cycle and delivery: what was planned, and a way to plan it again on another head.

Delivery never imports the cycle. It is handed an :class:`Edits`: the changes the cycle planned on
the head it synced, and ``apply``, which writes the edits for some images into a work tree,
re-planning first when that tree holds another head (the remote moved) or only some images are
wanted (one pull-request group).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from image_updater.delivery.model import Change


@dataclass
class Applied:
    """What one ``apply`` wrote: the changes, the images an error withheld, and those errors."""

    changes: list[Change] = field(default_factory=list)
    failed: set[str] = field(default_factory=set)
    errors: list[str] = field(default_factory=list)


class Edits(Protocol):
    @property
    def head(self) -> str:
        """The commit the cycle synced and planned on."""

    @property
    def changes(self) -> Sequence[Change]:
        """Every change planned on the head the cycle synced (files whose edits all rendered)."""

    @property
    def changed(self) -> bool:
        """Whether any file's bytes change."""

    @property
    def failed(self) -> frozenset[str]:
        """Images withheld everywhere this cycle because an error touched them."""

    def apply(self, root: Path, head: str, images: frozenset[str] | None) -> Applied:
        """Write the edits of ``images`` (None: all) into the work tree at ``root``, which holds ``head``."""
