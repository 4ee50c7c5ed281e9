"""What every policy kind is: how it reads a tag into a key, how keys compare, and how it words a choice.

A kind states only its differences from :class:`Kind` (Flux's one file per policer); ``select`` and
``metadata_needed`` are written once against this class, so a new kind is one module plus one row
of ``KINDS`` and nothing in the selection changes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from image_updater.policy.models import PolicySpec, TagFacts


@dataclass(frozen=True)
class Ranked:
    """A tag the policy can order: ``key`` is compared, ``shown`` explains it in reasons."""

    tag: str
    key: Any
    shown: str


@dataclass(frozen=True)
class Rejected:
    tag: str
    reason: str


class Kind:
    """One policy kind. Keys read from the tag text unless ``needs_metadata`` says from the registry."""

    #: The kind's name, as plan, docs and ``PolicySpec.kind`` say it.
    name: ClassVar[str]
    #: The ``policy:`` key that selects this kind (``order`` selects both orders).
    key: ClassVar[str]
    #: A ``policy:`` mapping choosing this kind, for the docs and the conformance test.
    example: ClassVar[Mapping[str, Any]]
    #: Keys come from the registry (creation time, digest), so candidates need their metadata fetched.
    needs_metadata: ClassVar[bool] = False
    #: The current tag's metadata is fetched too, so an image is never moved to an older build.
    reads_current_facts: ClassVar[bool] = False
    #: The key is a digest, written beside the tag (``tag@sha256:…``).
    writes_digest: ClassVar[bool] = False

    def chosen_by(self, spec: PolicySpec) -> bool:
        """Whether ``spec`` names this kind."""
        raise NotImplementedError

    def admits(self, spec: PolicySpec, tag: str) -> str | None:
        """Why ``tag`` can never be a candidate of this kind, before any reading; None when it can."""
        return None

    def read(
        self, spec: PolicySpec, tag: str, text: str, facts: TagFacts | None, *, for_current: bool
    ) -> Ranked | Rejected:
        """The key of ``tag``: from ``text`` (the tag or its ``extract``), or from ``facts`` when
        ``needs_metadata``. ``for_current``: the current tag is read, not a candidate."""
        raise NotImplementedError

    def current(
        self, spec: PolicySpec, tag: str | None, digest: str | None, facts: TagFacts | None, text: str | None
    ) -> Ranked | None:
        """The current reference as this kind orders it; None when it cannot be ordered (no downgrade guard)."""
        if tag is None or (text is None and not self.needs_metadata):
            return None
        result = self.read(spec, tag, text or tag, facts, for_current=True)
        return result if isinstance(result, Ranked) else None

    def compare(self, spec: PolicySpec, a: Any, b: Any) -> int:
        """-1/0/1, 1 meaning ``a`` is preferred; greater keys win."""
        return 0 if a == b else (1 if a > b else -1)

    def unusable(self, spec: PolicySpec, verdicts: Mapping[str, str]) -> str | None:
        """Why nothing could be chosen, when the kind can say it better than "all N tags were rejected"."""
        return None

    def phrase(self, spec: PolicySpec, best: Ranked) -> str:
        """Why ``best`` wins, completing "kept X: already the …" and "Y: …" in plan and commit texts."""
        raise NotImplementedError

    def describe(self, spec: PolicySpec) -> str:
        """The kind's part of ``PolicySpec.describe`` (``semver '^1.2'``)."""
        raise NotImplementedError
