"""Choosing a tag for an image: pure functions of (tags, current tag, options) → a decision with reasons.

The caller lists tags, asks :func:`metadata_needed` which tags need a manifest/config fetch, fetches
those into :class:`TagFacts`, and calls :func:`select`. See docs/policies.md for every option.
"""

from image_updater.policy.kinds import KIND_KEYS, KINDS, Kind
from image_updater.policy.models import Decision, PolicySpec, SelectionRules, TagFacts, Verdict
from image_updater.policy.selection import Selector, metadata_needed, select
from image_updater.policy.semver_range import SemverRange, parse_version

__all__ = [
    "KINDS",
    "KIND_KEYS",
    "Decision",
    "Kind",
    "PolicySpec",
    "SelectionRules",
    "Selector",
    "SemverRange",
    "TagFacts",
    "Verdict",
    "metadata_needed",
    "parse_version",
    "select",
]
