"""``semver: RANGE``: the highest version inside a Masterminds range (Flux, argocd-image-updater)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from image_updater.policy.filters import looks_like_commit_hash
from image_updater.policy.kinds.base import Kind, Ranked, Rejected
from image_updater.policy.semver_range import parse_version

if TYPE_CHECKING:
    from image_updater.policy.models import PolicySpec, TagFacts


class Semver(Kind):
    name = "semver"
    key = "semver"
    example: ClassVar[Mapping[str, Any]] = {"semver": "^1.2"}

    def chosen_by(self, spec: PolicySpec) -> bool:
        return spec.semver is not None

    def read(
        self, spec: PolicySpec, tag: str, text: str, facts: TagFacts | None, *, for_current: bool
    ) -> Ranked | Rejected:
        if looks_like_commit_hash(text):
            return Rejected(tag, f"commit hash {text!r} is not read as a version")
        lenient = spec.lenient
        if spec.compatible_suffix:
            text = text.partition("-")[0]  # the suffix is a variant (alpine), not a pre-release
            lenient = True
        version = parse_version(text, lenient=lenient)
        if version is None:
            return Rejected(tag, "not semver" if lenient else "not semver (set lenient for 1.2 / 1 style tags)")
        if not for_current:
            why = spec.semver_range.rejection(version)
            if why is not None:
                return Rejected(tag, why)
        return Ranked(tag, version, str(version))

    def phrase(self, spec: PolicySpec, best: Ranked) -> str:
        return f"highest version in range {spec.semver!r}"

    def describe(self, spec: PolicySpec) -> str:
        return f"semver {spec.semver!r}" + (" (lenient)" if spec.lenient else "")


SEMVER = Semver()
