"""What a cycle learns and decides, as plain data: the plan, the report and the commit all read it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from image_updater.cycle.settings import ImageSettings
from image_updater.delivery import Change
from image_updater.manifests import FoundImage, TextEdit
from image_updater.policy import Decision
from image_updater.registry import TagMetadata


def version_of(tag: str | None, digest: str | None) -> str:
    """A reference's version as plans and reports write it: ``tag``, ``tag@digest``, ``@digest`` or ``(none)``."""
    return (tag or "") + (f"@{digest}" if digest else "") or "(none)"


@dataclass(frozen=True)
class Binding:
    """A reference found in the repo, tied to the configured image that governs it."""

    found: FoundImage
    image: ImageSettings


@dataclass(frozen=True)
class Finding:
    """Something configured or found that has no effect, said out loud instead of skipped in silence.

    ``kind`` is stable (metrics label it): ``unreferenced_image``, ``empty_path``, ``glob_path``,
    ``unknown_policy``, ``skipped_reference``.
    """

    kind: str
    message: str
    path: str | None = None
    line: int | None = None

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}" if self.path and self.line else self.path or ""


@dataclass
class ImageScan:
    """The registry's answer for one configured image: its tags and whatever metadata policies need."""

    image: ImageSettings
    tags: list[str] | None = None
    metadata: dict[str, TagMetadata] = field(default_factory=dict)
    error: str | None = None
    #: Promotion: why the image stays where it is while the target it follows soaks a newer tag.
    waiting: str | None = None


@dataclass(frozen=True)
class FileEdit:
    """One file's edits this cycle: the verified replacements (``edit``; None when they failed) and the
    way to read the bytes they were verified on.

    The bytes before and after are made when asked for, one file at a time: a plan touching 8,000
    files never holds 8,000 files (``bench/repo_scale.py``). Reading checks the digest the file was
    indexed with, so bytes changed since are an error, never overwritten.
    """

    path: str
    changes: tuple[Change, ...]
    edit: TextEdit | None
    source: Callable[[], bytes] = field(repr=False, compare=False)
    error: str | None = None
    #: A file the sources create: people read its diff from nothing, not from its current values.
    created: bool = False

    @property
    def rendered(self) -> bool:
        return self.edit is not None

    @property
    def changed(self) -> bool:
        return self.edit is not None and bool(self.edit.splices)

    def before(self) -> bytes:
        """The bytes as people read them before (nothing for a file being created)."""
        return b"" if self.created else self.source()

    def after(self) -> bytes:
        return self.versions()[1]

    def versions(self) -> tuple[bytes, bytes]:
        """``(before(), after())`` from one read of the file (each reads, digests and may revert it)."""
        if self.edit is None:
            raise ValueError(f"{self.path}: its edits did not render ({self.error})")
        data = self.source()
        return (b"" if self.created else data), self.edit.apply(data)


@dataclass
class CyclePlan:
    """The cycle's plan for one checkout of the config repo: every decision, and the new bytes of each file."""

    files: list[FileEdit] = field(default_factory=list)
    decisions: dict[tuple[str, str | None], Decision] = field(default_factory=dict)
    bindings: list[Binding] = field(default_factory=list)
    skipped: list[FoundImage] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    failed_images: set[str] = field(default_factory=set)  # withheld everywhere this cycle: an error touched them

    @property
    def changes(self) -> list[Change]:
        return [c for f in self.files if f.rendered for c in f.changes]

    @property
    def changed_files(self) -> list[FileEdit]:
        return [f for f in self.files if f.changed]
