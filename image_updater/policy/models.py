"""The policy's configuration keys and its result types.

Every regex and range is compiled while the configuration loads, so a typo fails at start-up with the
key and the bad value named, never halfway through a cycle.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Literal, Protocol

import pydantic

from image_updater.policy.filters import compile_regex, compile_template
from image_updater.policy.kinds import KIND_KEYS, KINDS, Kind
from image_updater.policy.semver_range import SemverRange
from image_updater.reference import is_valid_tag

if TYPE_CHECKING:
    OrderKind = str
else:  # derived from the kinds table: every kind the `order:` key selects
    OrderKind = Literal[tuple(kind.name for kind in KINDS.values() if kind.key == "order")]

_PLATFORM_RE = re.compile(r"^[a-z0-9_]+/[a-z0-9_]+(?:/[a-z0-9_.]+)?$")


class PolicySpec(pydantic.BaseModel):
    """The ``policy:`` mapping of one configured image: exactly one kind, optionally a tag filter."""

    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)

    semver: str | None = None
    lenient: bool = False
    filter: str | None = None
    extract: str | None = None
    order: OrderKind | None = None
    direction: Literal["asc", "desc"] = "asc"
    newest_build: bool = False
    digest: str | None = None
    compatible_suffix: bool = False

    @pydantic.model_validator(mode="before")
    @classmethod
    def _a_mapping(cls, value: object) -> object:
        """``policy: "^1.0"`` is the commonest slip: say what the mapping looks like, with the value given."""
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            written = str(value).replace("'", "''")
            raise ValueError(f"policy is a mapping, e.g. policy: {{semver: '{written}'}}")
        return value

    @pydantic.model_validator(mode="after")
    def _check(self) -> PolicySpec:
        chosen = list(dict.fromkeys(kind.key for kind in KINDS.values() if kind.chosen_by(self)))
        if len(chosen) != 1:
            found = ", ".join(chosen) if chosen else "none"
            raise ValueError(f"policy needs exactly one of {', '.join(KIND_KEYS)} (found: {found})")
        if self.semver is not None:
            SemverRange.parse(self.semver)  # a typo fails at load, naming the range
        elif self.lenient:
            raise ValueError("policy.lenient only applies to a semver policy")
        if "direction" in self.model_fields_set and self.order is None:
            raise ValueError("policy.direction only applies to an order policy")
        if self.filter is not None:
            compile_regex(self.filter, "policy.filter")
        if self.extract is not None:
            if self.filter is None:
                raise ValueError("policy.extract needs policy.filter (the regex whose groups it uses)")
            if self.newest_build:
                raise ValueError("policy.extract has no effect with newest_build (it orders by build time)")
            compile_template(self.extract, self.filter)
        if self.digest is not None:
            if not is_valid_tag(self.digest):
                raise ValueError(f"policy.digest: {self.digest!r} is not a valid tag to track")
            if self.filter is not None or self.compatible_suffix:
                raise ValueError("policy.digest tracks one tag: filter, extract and compatible_suffix do not apply")
        return self

    @functools.cached_property
    def policy_kind(self) -> Kind:
        """The kind this spec names (exactly one, checked at load). Cached: it is read for every reference
        and tag of every cycle, and a pydantic private attribute costs 4 µs a read (35 times a cache's)."""
        return next(kind for kind in KINDS.values() if kind.chosen_by(self))

    @property
    def kind(self) -> str:
        return self.policy_kind.name

    @functools.cached_property
    def semver_range(self) -> SemverRange:
        assert self.semver is not None, "only for semver policies"
        return SemverRange.parse(self.semver)

    def describe(self) -> str:
        """One phrase naming the policy for people (plan, commit and PR texts): ``semver '^1.2'``,
        ``numerical desc of $ts, filter '^main-'``, ``semver '*', same suffix``."""
        kind = self.policy_kind.describe(self)
        extras = [f"filter {self.filter!r}"] if self.filter else []
        extras += ["same suffix"] if self.compatible_suffix else []
        return ", ".join([kind, *extras])


class SelectionRules(pydantic.BaseModel):
    """Image-level tag filters applied before any policy; the config's image model inherits these keys."""

    model_config = pydantic.ConfigDict(extra="forbid")

    allow: str | None = None
    ignore: list[str] = pydantic.Field(default_factory=list)
    #: Unanchored regexes; a tag matching any is dropped before ``ignore`` (Flux's ``exclusionList``).
    exclude: list[str] = pydantic.Field(default_factory=list)
    platforms: list[str] = pydantic.Field(default_factory=list)
    #: ``all``: a candidate must offer every listed platform; ``any``: one of them (argocd-image-updater).
    platforms_match: Literal["all", "any"] = "all"
    allow_downgrade: bool = False
    include_artifacts: bool = False

    @pydantic.field_validator("allow")
    @classmethod
    def _allow_compiles(cls, value: str | None) -> str | None:
        if value is not None:
            compile_regex(value, "allow")
        return value

    @pydantic.field_validator("exclude")
    @classmethod
    def _exclude_compiles(cls, value: list[str]) -> list[str]:
        for index, pattern in enumerate(value):
            compile_regex(pattern, f"exclude[{index}]")
        return value

    @pydantic.field_validator("platforms")
    @classmethod
    def _platforms_wellformed(cls, value: list[str]) -> list[str]:
        for platform in value:
            if not _PLATFORM_RE.match(platform):
                raise ValueError(f"platforms: {platform!r} is not os/arch or os/arch/variant")
        return value

    @pydantic.model_validator(mode="after")
    def _platforms_match_needs_platforms(self) -> SelectionRules:
        if "platforms_match" in self.model_fields_set and self.platforms_match != "all" and not self.platforms:
            raise ValueError(f"platforms_match: {self.platforms_match} needs platforms (the list it matches)")
        return self


class TagFacts(Protocol):
    """What a policy reads about one tag beyond its name (only for tags :func:`metadata_needed` names).

    A protocol, so the pure policy code never imports the registry that fills it in
    (``registry.TagMetadata`` is the one the cycle passes).
    """

    @property
    def digest(self) -> str | None: ...

    @property
    def created(self) -> datetime | None: ...

    @property
    def platforms(self) -> frozenset[str]: ...


@dataclass(frozen=True, slots=True)
class Verdict:
    tag: str
    accepted: bool
    reason: str


@dataclass(frozen=True, eq=False)
class Decision:
    """The outcome for one image: what to write, whether the file changes, and why for every tag.

    The verdicts are worked out when first asked for (``plan -v``, ``--json``, ``test``): a plan of a
    10,000-file repository decides 6,000 current versions, and their 270,000 verdicts were a fifth of its
    memory while a cycle only reads the choice.
    """

    current: str | None
    chosen: str | None
    digest: str | None
    changed: bool
    reason: str
    explain: Callable[[], tuple[Verdict, ...]] = field(repr=False)

    @functools.cached_property
    def verdicts(self) -> tuple[Verdict, ...]:
        return self.explain()

    def _compared(self) -> tuple[object, ...]:
        return (self.current, self.chosen, self.digest, self.changed, self.reason)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Decision):
            return NotImplemented
        return self._compared() == other._compared() and self.verdicts == other.verdicts

    def __hash__(self) -> int:
        return hash(self._compared())

    def verdict(self, tag: str) -> Verdict:
        for verdict in self.verdicts:
            if verdict.tag == tag:
                return verdict
        raise KeyError(tag)
