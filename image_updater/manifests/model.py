"""The public records of the manifests package and the private locators the edit engine needs.

A ``FoundImage`` carries its ``Locator``: the exact character spans of the scalars that hold the
image's name, tag and digest (or one scalar holding the whole reference), so ``render`` can replace
exactly those characters and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dataclass_field

from image_updater.reference import ImageReference


@dataclass(frozen=True)
class Slot:
    """One scalar in the text: character span (quotes included), parsed value and quoting style."""

    start: int
    end: int
    value: str
    style: str  # "" plain, "'" single, '"' double
    line: int  # 1-based
    key: str = ""  # the mapping key holding this scalar ("" in a list)


@dataclass(frozen=True)
class Insertion:
    """Where a missing sibling key may be added: a new line, same indentation as its siblings."""

    offset: int  # end of the line after which the new line goes (before its line break)
    indent: str
    newline: str
    keys: tuple[tuple[str, str], ...]  # (role, key) e.g. ("tag", "newTag")

    def key_for(self, role: str) -> str | None:
        return dict(self.keys).get(role)


@dataclass(frozen=True)
class Locator:
    """Where an image's parts live. Either ``full`` (one scalar with ``prefix`` + reference) or parts.

    ``partial`` marks a Flux field marker (``:tag``/``:name``/``:digest``): the other parts live
    elsewhere, so an edit simply leaves them alone instead of failing for lack of a slot.
    """

    full: Slot | None = None
    prefix: str = ""
    name: Slot | None = None
    registry: Slot | None = None
    tag: Slot | None = None
    digest: Slot | None = None
    insertion: Insertion | None = None
    partial: bool = False

    def slots(self) -> tuple[Slot, ...]:
        return tuple(s for s in (self.full, self.registry, self.name, self.tag, self.digest) if s is not None)


@dataclass(frozen=True)
class FoundImage:
    """One image location in one file, as a manager found it.

    For a Flux ``:tag`` or ``:digest`` marker, ``reference.name`` is the name from a sibling scalar
    (a ``:name`` marker of the same policy, else ``newName``/``repository``/``image``/``name``) or
    ``""`` when none exists; markers are matched by ``policy``, never by name.
    """

    path: str
    line: int
    manager: str
    reference: ImageReference | None
    policy: str | None = None
    skipped: str | None = None
    marker_field: str = ""  # "" whole reference, or "tag" / "name" / "digest" (Flux field markers)
    locator: Locator = dataclass_field(default_factory=Locator, repr=False, compare=False)


@dataclass(frozen=True)
class ImageEdit:
    """What to write. ``digest=None`` with a changed tag removes an existing digest.

    ``name`` (optional) rewrites the image name too, as Flux full and ``:name`` markers do when the
    policy's repository differs from the file; a plain tag edit never touches the name.
    """

    found: FoundImage
    tag: str | None
    digest: str | None = None
    name: str | None = None
