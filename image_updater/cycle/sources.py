"""The one place where what the sources found becomes the cycle's images and targets.

A target that reads ``sources`` reads its checkout after each sync (``TargetSources.refresh``); the
records it gets back (``sources.SourceSet``) become, for this cycle:

- the target's own images: its configured entries plus the Argo CD images it serves (bound only in their
  write-back file, ``ImageSettings.scope``), minus entries that override a Flux policy served elsewhere;
- one derived target per served Flux ImageUpdateAutomation (``flux:<ns>/<name>``) and per Argo CD
  Application pushing to a branch of its own (``argocd:<ns>/<app>``), with images bound by marker or in
  their write-back file; each runs on the parent's repository, in a checkout of its own, after the parent;
- the files to create (``.argocd-source-<app>.yaml``), indexed as if they existed with the current values,
  so that an update renders, diffs and commits like any edit — and a file nothing changes is never written;
- the registry entries the objects imply (a Flux ``secretRef``, an argocd ``pull-secret``);
- what ``plan`` prints about them, and the errors that make ``plan`` and ``run --once`` exit 1.

``config.yaml`` wins: an ``images:`` entry named like a derived image (``flux-system:podinfo``,
``argocd:argocd/app:alias``; or a Flux policy's bare name) gives that image its settings, while the
binding (markers, write-back file) and the delivery (the automation) stay the source's.
"""

from __future__ import annotations

import posixpath
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from image_updater.cycle.settings import ImageSettings, Target
from image_updater.delivery import RepoSettings, WriteSettings
from image_updater.gitops import Author
from image_updater.logs import get_logger
from image_updater.registry import RegistrySettings
from image_updater.sources import Context, DerivedImage, DerivedTarget, Reader, SourceSet, covers, read_sources

log = get_logger(__name__)

#: Settings an ``images:`` entry gives the derived image it overrides; binding and delivery stay the source's.
_OVERRIDING = (
    "image",
    "policy",
    "allow",
    "ignore",
    "exclude",
    "platforms",
    "platforms_match",
    "allow_downgrade",
    "include_artifacts",
    "interval",
    "pin_digest",
    "group",
)


@dataclass
class Refreshed:
    """One cycle's view of a target that reads sources."""

    target: Target
    children: list[Target] = field(default_factory=list)
    created: dict[str, dict[str, bytes]] = field(default_factory=dict)  # target name → path → bytes
    registries: tuple[RegistrySettings, ...] = ()
    preamble: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    found: SourceSet = field(default_factory=SourceSet)
    images: dict[str, ImageSettings] = field(default_factory=dict)  # every derived image as the cycle uses it


class TargetSources:
    """The sources of one configured target, read again after every sync (parses kept across cycles)."""

    def __init__(
        self, target: Target, registries: Sequence[RegistrySettings] = (), *, has_targets: bool = False
    ) -> None:
        self.configured = target
        self._registries = tuple(registries)
        self._has_targets = has_targets
        self._reader = Reader()

    def refresh(self, root: Path) -> Refreshed:
        """This cycle's view of the target; a failure to read (a bug) leaves its configured images served."""
        target = self.configured
        context = Context(target.git, self._registries, target.source_settings, target.name, self._has_targets)
        try:
            found = read_sources(root, target.sources, context, self._reader)
        except Exception as exc:  # reading must never cost the configured images their cycle
            log.exception("reading sources failed", target=target.name)
            return Refreshed(target, errors=[f"reading sources failed ({type(exc).__name__}: {exc})"])
        return resolve_sources(target, found)


def derived_settings(image: DerivedImage) -> ImageSettings:
    """A derived image as an ``images:`` entry, with its binding (markers only, or its scope)."""
    assert image.policy is not None
    entry = ImageSettings(
        name=image.name,
        image=image.image,
        policy=image.policy,
        interval=image.interval,
        key_paths=list(image.key_paths),
        bind_by="name" if image.markers_only else "repository",
        pin_digest=image.pin_digest,
        **image.rules.model_dump(exclude_defaults=True),
    )
    return entry.with_scope(image.scope).with_origin(image.origin)


def _overridden(derived: ImageSettings, entry: ImageSettings, origin: str) -> ImageSettings:
    values = derived.model_dump(exclude_unset=True)
    values.update({k: getattr(entry, k) for k in _OVERRIDING if k in entry.model_fields_set})
    merged = ImageSettings.model_validate(values).with_scope(derived.scope)
    where = f"{entry.defined_at} {entry.name}" if entry.defined_at else f"config.yaml images entry {entry.name}"
    return merged.with_origin(f"{where} (overrides {origin})")


def resolve_sources(configured: Target, found: SourceSet) -> Refreshed:
    """What ``found`` makes of ``configured`` for one cycle (see the module docstring)."""
    out = Refreshed(configured, found=found)
    entries = {image.name: image for image in configured.images}
    moved: set[str] = set()
    placed: dict[str, list[ImageSettings]] = {}
    by_bare_name = _flux_by_bare_name(found)
    bare = {name for names in by_bare_name.values() if len(names) == 1 for name in names}
    for image in found.images:
        if image.policy is None:
            continue
        try:
            settings = derived_settings(image)
        except ValueError as exc:  # a combination the images: model refuses
            out.errors.append(f"{image.location}: image {image.name}: {exc}")
            continue
        entry = entries.get(image.name) or (entries.get(image.name.partition(":")[2]) if image.name in bare else None)
        if entry is not None:
            try:
                settings = _overridden(settings, entry, image.origin)
            except ValueError as exc:
                out.errors.append(f"image {entry.name} overriding {image.name}: {exc}")
                continue
        out.images[image.name] = settings
        if entry is not None:
            # It is the found image now, bound and delivered as the source says: also when the source
            # serves it nowhere (suspended, not selected), where left in config it would update by repository.
            moved.add(entry.name)
        if image.status != "served":
            continue
        for target in image.served_by:
            placed.setdefault(target, []).append(settings)
    own = [image for image in configured.images if image.name not in moved] + placed.get(configured.name, [])
    paths = _with_scopes(configured.git.paths, own)
    git = configured.git if paths == configured.git.paths else configured.git.model_copy(update={"paths": paths})
    out.target = replace(configured, images=tuple(own), git=git)
    order = {"ImageUpdateAutomation": 0}
    for derived in sorted(found.targets, key=lambda t: (order.get(t.kind, 1), t.id)):
        out.children.append(_child(configured, derived, placed.get(derived.id, [])))
    serving = {i.name: t for t, images in placed.items() for i in images}
    for path, data in found.created.items():
        owner = next((serving[i.name] for i in found.images if path in i.scope and i.name in serving), None)
        if owner is not None:
            out.created.setdefault(owner, {})[path] = data
    registries: dict[str, RegistrySettings] = {}
    for image in found.images:
        if image.registry is not None and image.status == "served":
            registries.setdefault(image.registry.prefix, image.registry)
    out.registries = tuple(registries.values())
    out.preamble = _preamble(configured, found, out)
    for name, namespaces in by_bare_name.items():
        if name not in entries or len(namespaces) < 2:
            continue
        out.preamble.append(
            f"  warning: images entry {name} overrides none of the Flux policies {', '.join(namespaces)} "
            f"(several namespaces have one of that name): name one as namespace:{name}"
        )
    out.errors += [_error(f) for f in found.errors]
    return out


def _flux_by_bare_name(found: SourceSet) -> dict[str, list[str]]:
    """Flux policies by their name without the namespace (``podinfo`` → ``a:podinfo``, ``b:podinfo``): a config
    entry named ``podinfo`` overrides the one policy of that name, and names none when several namespaces
    have one."""
    by_name: dict[str, list[str]] = {}
    for image in found.images:
        if image.source == "flux":
            by_name.setdefault(image.name.partition(":")[2], []).append(image.name)
    return by_name


def _with_scopes(paths: Sequence[str], images: Sequence[ImageSettings]) -> list[str]:
    """The target's paths plus the write-back files of its Argo CD images: the Application decides where."""
    out = list(paths)
    for image in images:
        for file in image.scope:
            folder = posixpath.normpath(file)
            if not any(covers(p, folder) for p in out):
                out.append(folder)
    return out


def _child(parent: Target, derived: DerivedTarget, images: Sequence[ImageSettings]) -> Target:
    git = parent.git
    author = Author(name=derived.author[0], email=derived.author[1]) if derived.author else git.author
    push = derived.push_branch if derived.push_branch != derived.checkout_branch else None
    settings = RepoSettings.model_validate(
        {
            **git.model_dump(exclude_unset=True, exclude={"write", "paths", "branch", "author", "workdir"}),
            "branch": derived.checkout_branch,
            "paths": derived.paths,
            "author": author.model_dump(),
            "write": WriteSettings(mode="push", branch=push).model_dump(exclude_unset=True),
        }
    )
    return Target(
        derived.id,
        settings,
        tuple(images),
        parent.workdir,
        message=derived.message,
        parent=parent.name,
        branch_for=derived.branch_for,
    )


def _error(finding: Any) -> str:
    field = f" {finding.field}" if finding.field else ""
    return f"{finding.location}: {finding.object}{field}: {finding.message}"


def _preamble(configured: Target, found: SourceSet, out: Refreshed) -> list[str]:
    kinds = ", ".join(configured.sources)
    lines = [f"sources ({kinds}): {len(found.images)} policies, {len(found.targets)} targets found in the repository"]
    for image in found.images:
        settings = out.images.get(image.name)
        origin = settings.origin if settings is not None and settings.origin else image.origin
        state = (
            f"served by {', '.join(image.served_by)}"
            if image.status == "served"
            else f"{image.status}: {image.reason}"
            if image.reason
            else image.status
        )
        lines.append(f"  {image.name}: policy from {origin}; {state}")
    for target in out.children:
        git = target.git
        branch = git.branch if git.push_branch == git.branch else f"{git.branch} → {git.push_branch}"
        lines.append(f"  target {target.name}: {branch}, paths {', '.join(git.paths)}, author {git.author.name}")
    lines += [f"  {f}" for f in found.findings if f.severity != "error"]
    lines += [f"  {n}" for n in found.not_served]
    lines += [f"  {n}" for n in found.notes]
    return lines


def _where(location: Any) -> dict[str, Any] | None:
    return {"file": location.file, "line": location.line} if location is not None else None


def describe(refreshed: Refreshed) -> dict[str, Any]:
    """What ``image-updater sources`` prints: every policy, target, finding and reference left alone."""
    found, target = refreshed.found, refreshed.target
    policies = []
    for image in found.images:
        settings = refreshed.images.get(image.name)
        maps_to = (
            settings.model_dump(mode="json", exclude_defaults=True, exclude={"name", "bind_by"})
            if settings is not None
            else {}
        )
        new: dict[str, Any] = {}
        if image.markers_only:
            new["binds"] = "markers naming it"
        if image.scope:
            new["scope"] = list(image.scope)
        if image.write_back:
            new["write_back"] = dict(image.write_back)
        if image.current_from is not None:
            new["current_from"] = _where(image.current_from)
        if image.force_update:
            new["force_update"] = True
        if image.registry is not None:
            new["registry"] = image.registry.model_dump(mode="json", include={"prefix", "url", "credentials"})
        policies.append(
            {
                "image": image.name,
                "source": image.source,
                "kind": image.kind,
                "object": image.object,
                **(_where(image.location) or {}),
                "plan": f"policy from {settings.origin if settings and settings.origin else image.origin}",
                "repository_from": _where(image.repository_from),
                "contributes": [_where(c) for c in sorted(set(image.contributes))],
                "maps_to": maps_to,
                "new_settings": new,
                "served_by": list(image.served_by),
                "status": image.status,
                "reason": image.reason,
            }
        )
    derived = {t.id: t for t in found.targets}
    targets = []
    for runs in [target, *refreshed.children]:
        git = runs.git
        origin = derived.get(runs.name)
        entry: dict[str, Any] = {
            "id": runs.name,
            "checkout_branch": git.branch,
            "push_branch": git.push_branch,
            "paths": list(git.paths),
            "author": git.author.model_dump(),
            "images": [i.name for i in found.images if runs.name in i.served_by],
        }
        if origin is not None:
            entry.update(
                kind=origin.kind,
                object=origin.object,
                **(_where(origin.location) or {}),
                git_repository=_where(origin.git_repository),
            )
        targets.append(entry)
    return {
        "read_by": target.name,
        "policies": policies,
        "targets": targets,
        "findings": [
            {
                "severity": f.severity,
                "object": f.object,
                "field": f.field,
                **(_where(f.location) or {}),
                "message": f.message,
            }
            for f in found.findings
        ],
        "not_served": [
            {"object": n.object, **(_where(n.location) or {}), "message": n.message} for n in found.not_served
        ],
        "unchanged": [{**(_where(n.location) or {}), "value": n.value, "message": n.message} for n in found.notes],
        "created": sorted(found.created),
    }


__all__ = [
    "Refreshed",
    "TargetSources",
    "derived_settings",
    "describe",
    "resolve_sources",
]
