"""``digest: TAG``: follow one mutable tag (``latest``) and write ``TAG@sha256:…`` when its digest moves.

The key is the digest the tag points at (the index digest for multi-arch images); the current key is
the digest the file carries. Digests are not ordered: a different one is simply the one to move to,
and the same one means nothing to do, whatever tag name the file carries beside it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from image_updater.policy.kinds.base import Kind, Ranked, Rejected

if TYPE_CHECKING:
    from image_updater.policy.models import PolicySpec, TagFacts


class Digest(Kind):
    name = "digest"
    key = "digest"
    example: ClassVar[Mapping[str, Any]] = {"digest": "latest"}
    needs_metadata = True
    writes_digest = True

    def chosen_by(self, spec: PolicySpec) -> bool:
        return spec.digest is not None

    def admits(self, spec: PolicySpec, tag: str) -> str | None:
        return None if tag == spec.digest else f"not the tracked tag {spec.digest!r}"

    def read(
        self, spec: PolicySpec, tag: str, text: str, facts: TagFacts | None, *, for_current: bool
    ) -> Ranked | Rejected:
        if facts is None or facts.digest is None:
            return Rejected(tag, "no digest fetched for this tag")
        return Ranked(tag, facts.digest, facts.digest)

    def current(
        self, spec: PolicySpec, tag: str | None, digest: str | None, facts: TagFacts | None, text: str | None
    ) -> Ranked | None:
        return Ranked(tag or "", digest, digest) if digest is not None else None

    def compare(self, spec: PolicySpec, a: Any, b: Any) -> int:
        return 0 if a == b else 1

    def unusable(self, spec: PolicySpec, verdicts: Mapping[str, str]) -> str | None:
        why = verdicts.get(spec.digest or "", "it is not in the registry's tag list")
        return f"tracked tag {spec.digest!r} is not usable: {why}"

    def phrase(self, spec: PolicySpec, best: Ranked) -> str:
        return f"digest of tracked tag {spec.digest!r}"

    def describe(self, spec: PolicySpec) -> str:
        return f"digest of {spec.digest!r}"


DIGEST = Digest()
