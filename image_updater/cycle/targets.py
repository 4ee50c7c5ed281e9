"""From settings to the targets a cycle runs: effective image settings per target, and the rules that
keep a reference from being governed by two different policies.

A reference is bound by place: to the entry whose target (``git.url`` + ``git.branch`` + ``git.paths``)
holds the file. Two entries that could bind the same reference with different settings (same image
repository, overlapping scope) are refused at load, naming both and the path they share; nothing is
ever decided by "first match wins".
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Sequence
from itertools import combinations

from image_updater.cycle.settings import FollowSettings, ImageOverride, ImageSettings, Target, TargetSettings
from image_updater.delivery import RepoSettings
from image_updater.policy import SelectionRules
from image_updater.reference import canonical_name
from image_updater.sources import SourceKind, SourceSettings
from image_updater.validation import Located

DEFAULT_TARGET = "default"
#: The settings that decide what a reference becomes; two entries equal in these govern it alike. Derived from
#: the selection rules, so a rule added there counts here (``pin_digest`` and ``platforms_match`` were missed).
_DECIDING = ("image", "policy", "pin_digest", *SelectionRules.model_fields)


Placed = tuple[TargetSettings, tuple[str | int, ...]]


def targets_of(git: RepoSettings | None, targets: Sequence[TargetSettings]) -> list[Placed]:
    """Each target with its settings key; the top-level ``git:`` is one implicit target named ``default``."""
    implicit: list[Placed] = [(TargetSettings(name=DEFAULT_TARGET, git=git), ("git",))] if git is not None else []
    return implicit + [(target, ("targets", index)) for index, target in enumerate(targets)]


def workdir_of(target: TargetSettings, root: str) -> str:
    """``git.workdir`` when set; else ``ROOT/checkout`` for the implicit target (today's default path) and
    ``ROOT/targets/NAME`` for a listed one."""
    if "workdir" in target.git.model_fields_set:
        return target.git.workdir
    return posixpath.join(root, "checkout" if target.name == DEFAULT_TARGET else f"targets/{target.name}")


def resolve(
    targets: Sequence[Placed],
    images: Sequence[ImageSettings],
    root: str = ".image-updater",
    sources: Sequence[SourceKind] = (),
    source_settings: SourceSettings | None = None,
) -> list[Target]:
    """Each target with the effective settings of every image that applies there, and the sources it reads
    (its own ``sources``, else the top-level ones); raises ``Located`` (a ValueError naming its settings key)
    for a name no entry has or a follow that cannot be served."""
    entries = {image.name: image for image in images}
    names = {target.name for target, _ in targets}
    resolved = []
    for target, key in targets:
        where = (*key, "images")
        chosen: list[ImageSettings] = []
        follow: dict[str, FollowSettings] = {}
        for i_index, item in enumerate(target.images if target.images is not None else list(entries)):
            override = item if isinstance(item, ImageOverride) else ImageOverride(name=item)
            entry = entries.get(override.name)
            if entry is None:
                raise Located(
                    (*where, i_index),
                    f"target {target.name}: no image entry is named "
                    f"{override.name!r} (known: {', '.join(sorted(entries))})",
                )
            chosen.append(_effective(entry, override, (*where, i_index)))
            if override.follow is not None:
                _check_follow(target.name, override.follow, names, (*where, i_index, "follow"))
                follow[entry.name] = override.follow
        reads = tuple(target.sources if target.sources is not None else sources)
        resolved.append(
            Target(
                target.name,
                target.git,
                tuple(chosen),
                workdir_of(target, root),
                follow,
                reads,
                source_settings or SourceSettings(),
            )
        )
    _no_follow_cycle(resolved)
    return resolved


def _effective(entry: ImageSettings, override: ImageOverride, where: tuple[str | int, ...]) -> ImageSettings:
    changes = override.changes()
    if not changes:
        return entry
    try:
        return ImageSettings.model_validate({**entry.model_dump(exclude_unset=True), **changes})
    except ValueError as exc:
        raise Located(where, f"image {entry.name} with this target's settings: {exc}") from None


def _check_follow(target: str, follow: FollowSettings, names: set[str], where: tuple[str | int, ...]) -> None:
    if follow.target == target:
        raise Located(where, f"target {target}: an image cannot follow its own target")
    if follow.target not in names:
        raise Located(
            where, f"target {target}: follows {follow.target!r}, which is no target (known: {', '.join(sorted(names))})"
        )


def _no_follow_cycle(targets: Sequence[Target]) -> None:
    """A → B → A would wait for itself forever."""
    edges = {(t.name, f.target) for t in targets for f in t.follow.values()}
    for start, _ in edges:
        seen, frontier = {start}, [start]
        while frontier:
            here = frontier.pop()
            for source, dest in edges:
                if source == here:
                    if dest == start:
                        raise ValueError(
                            f"targets follow each other in a circle through {start}: "
                            "promotion needs a first environment that follows none"
                        )
                    if dest not in seen:
                        seen.add(dest)
                        frontier.append(dest)


def shared_workdirs(targets: Sequence[Target]) -> list[str]:
    """Targets whose checkouts would be one folder: every sync would reset the other's work tree."""
    seen: dict[str, str] = {}
    found = []
    for target in targets:
        where = posixpath.normpath(target.workdir)
        if where in seen:
            found.append(
                f"targets {seen[where]} and {target.name} share the checkout {target.workdir}: "
                "give one of them its own git.workdir"
            )
        seen.setdefault(where, target.name)
    return found


def _scope(path: str) -> str:
    normal = posixpath.normpath(path.strip() or ".")
    return "" if normal == "." else normal


def overlap(paths_a: Iterable[str], paths_b: Iterable[str]) -> str | None:
    """The path both scopes cover (the deeper one of an overlapping pair), or None when they are disjoint."""
    for a in map(_scope, paths_a):
        for b in map(_scope, paths_b):
            if a == b or not a or not b or b.startswith(a + "/") or a.startswith(b + "/"):
                return max(a, b, key=len) or "."
    return None


def _repository(git: RepoSettings) -> tuple[str, str]:
    return git.url.rstrip("/").removesuffix(".git"), git.branch


def conflicts(targets: Sequence[Target]) -> list[str]:
    """Every pair of entries that could bind the same reference with different settings."""
    found: list[str] = []
    # Only entries for one image in one repository can meet: pairs within those groups, not all pairs
    # (200 images: 19,900 pairs and 40,000 name normalisations, 0.15 s of every plan's start-up).
    groups: dict[tuple[str, tuple[str, str]], list[tuple[Target, ImageSettings]]] = {}
    for t in targets:
        for image in t.images:
            if image.bind_by == "repository":
                groups.setdefault((canonical_name(image.image), _repository(t.git)), []).append((t, image))
    pairs = (pair for places in groups.values() for pair in combinations(places, 2))
    for (t1, a), (t2, b) in pairs:
        if a.name == b.name and t1.name == t2.name:
            continue
        shared = overlap(t1.git.paths, t2.git.paths)
        if shared is None or _deciding(a) == _deciding(b):
            continue
        found.append(
            f"images {a.name} (target {t1.name}) and {b.name} (target {t2.name}) would both govern "
            f"{canonical_name(a.image)} under {shared!r} of {t1.git.url} {t1.git.branch}, with different "
            "settings: give each target its own paths, or one entry with a per-target override"
        )
    return found


def _deciding(image: ImageSettings) -> tuple[object, ...]:
    return tuple(getattr(image, key) for key in _DECIDING)
