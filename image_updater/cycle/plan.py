"""From an index and registry answers to new file bytes: pure, so it can be re-run on a moved head.

``plan_edits`` decides every reference with the policies (each (image, current version) once) and
renders the new bytes in memory; ``write_edits`` is the only function that touches the disk, and it
writes only files whose every edit succeeded. A reference pinned by digest (``repo:1.2@sha256:…``) stays
pinned: ``pins_wanted`` names the (image, tag) digests to fetch first, and the plan writes
``repo:1.3@sha256:<the digest the registry serves for 1.3>`` (``pin_digest`` adds pins where none are).
"""

from __future__ import annotations

import functools
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from image_updater.cycle.index import RepoIndex
from image_updater.cycle.model import CyclePlan, FileEdit, ImageScan, version_of
from image_updater.cycle.settings import ImageSettings
from image_updater.delivery import Change
from image_updater.errors import ImageUpdaterError
from image_updater.manifests import FoundImage, ImageEdit, ManifestFile, TextEdit
from image_updater.policy import Decision, Selector
from image_updater.reference import canonical_name, is_valid_tag

#: (image name, tag) → the digest the registry serves for that tag, for references pinned by digest.
Digests = Mapping[tuple[str, str], str]


def decide(image: ImageSettings, scan: ImageScan, tag: str | None, digest: str | None) -> Decision:
    """The policy's choice for one reference (``image-updater test``), as a cycle's ``Decisions`` make it."""
    return Decisions({image.name: scan}).get(image, tag, digest)


def _waiting(scan: ImageScan, decision: Decision, digest: str | None) -> Decision:
    if scan.waiting and not decision.changed:
        return replace(decision, reason=f"kept {version_of(decision.current, digest)}: {scan.waiting}")
    return decision


class PlanMemo:
    """The last plan (and the pins it wanted), made again only when something it was made from changed.

    A plan is a pure function of the index, each image's decisions, the promotion waits and the pinned
    digests; when the index is the same object (``index_repo`` returns the last one while no file changed)
    and every image kept its selector, the plan is the last one. At 10,000 files that is 20,000 references
    not walked again in a cycle that changes nothing (``bench/repo_scale.py``).
    """

    def __init__(self) -> None:
        self._pins: tuple[RepoIndex, tuple[object, ...], set[tuple[str, str]]] | None = None
        self._plan: tuple[RepoIndex, tuple[object, ...], dict[tuple[str, str], str], CyclePlan] | None = None

    @staticmethod
    def _inputs(scans: Mapping[str, ImageScan], decisions: Decisions) -> tuple[object, ...]:
        return tuple(
            (name, decisions.selector(scan.image) if scan.tags is not None else None, scan.waiting)
            for name, scan in sorted(scans.items())
        )

    def pins(self, index: RepoIndex, scans: Mapping[str, ImageScan], decisions: Decisions) -> set[tuple[str, str]]:
        inputs = self._inputs(scans, decisions)
        if self._pins is None or self._pins[0] is not index or self._pins[1] != inputs:
            self._pins = (index, inputs, pins_wanted(index, scans, decisions))
        return self._pins[2]

    def plan(
        self, index: RepoIndex, scans: Mapping[str, ImageScan], digests: Digests, decisions: Decisions
    ) -> CyclePlan:
        inputs = self._inputs(scans, decisions)
        last = self._plan
        if last is not None and last[0] is index and last[1] == inputs and last[2] == dict(digests):
            return last[3]
        plan = plan_edits(index, scans, digests, decisions=decisions)
        self._plan = (index, inputs, dict(digests), plan)
        return plan


def _name_edit(found: FoundImage, image: ImageSettings) -> str | None:
    """Flux markers write the policy's repository into whole-reference and ``:name`` fields; elsewhere
    the repository already is the image's (that is how it was bound) and is never rewritten."""
    if found.manager != "marker" or found.marker_field not in ("", "name"):
        return None
    current = found.reference.name if found.reference else ""
    if current and canonical_name(current) == canonical_name(image.image):
        return None
    return image.image


class Decisions:
    """Each image's tags judged once per plan and each (image, current version) decided once, however many
    references carry it (``policy.Selector``).

    ``previous``: the last cycle's, whose selector an image keeps while its settings, tags and metadata are
    the same, so a cycle in which the registry changed nothing decides nothing again.
    """

    def __init__(self, scans: Mapping[str, ImageScan], previous: Decisions | None = None) -> None:
        self.scans = scans
        self.selectors: dict[str, Selector] = {}
        self._previous = previous.selectors if previous is not None else {}

    def selector(self, image: ImageSettings) -> Selector:
        known = self.selectors.get(image.name)
        if known is None:
            scan = self.scans[image.name]
            tags = scan.tags or []
            known = self._previous.get(image.name)
            if known is None or not known.same_inputs(image.policy, image, tags, scan.metadata):
                known = Selector(image.policy, image, tags, scan.metadata)
            self.selectors[image.name] = known
        return known

    def get(self, image: ImageSettings, tag: str | None, digest: str | None) -> Decision:
        """Raises ImageUpdaterError when the policy cannot decide (numerical order over a non-number)."""
        return _waiting(self.scans[image.name], self.selector(image).decide(tag, digest), digest)


def _pinned(found: FoundImage, image: ImageSettings) -> bool:
    """Whether the value written carries a digest the policy did not choose: the file pins one (and the
    policy is not itself the digest kind), or the image asks for pins."""
    if image.policy.policy_kind.writes_digest or found.marker_field in ("tag", "name"):
        return False
    return image.pin_digest or (found.reference is not None and found.reference.digest is not None)


def pins_wanted(
    index: RepoIndex, scans: Mapping[str, ImageScan], decisions: Decisions | None = None
) -> set[tuple[str, str]]:
    """The (image name, tag) whose digests a plan needs: the tag each pinned reference will carry."""
    decisions = decisions or Decisions(scans)
    wanted: set[tuple[str, str]] = set()
    for binding in index.bindings:
        image, found = binding.image, binding.found
        scan = scans.get(image.name)
        if scan is None or scan.tags is None or found.reference is None or not _pinned(found, image):
            continue
        try:
            decision = decisions.get(image, found.reference.tag, found.reference.digest)
        except ImageUpdaterError:
            continue  # plan_edits reports it
        if decision.chosen is not None:
            wanted.add((image.name, decision.chosen))
    return wanted


def plan_edits(
    index: RepoIndex,
    scans: Mapping[str, ImageScan],
    digests: Digests | None = None,
    *,
    decisions: Decisions | None = None,
) -> CyclePlan:
    """Decide each bound reference and render every touched file in memory.

    An image with any error this cycle (its policy could not decide, a tag it chose is not valid, a
    digest it must pin is unknown, an edit of it failed to render) is withheld from every file, so a
    change is never half-applied.
    """
    decisions = decisions or Decisions(scans)
    digests = digests or {}
    plan = CyclePlan(bindings=list(index.bindings), skipped=list(index.skipped), errors=list(index.errors))
    per_file: dict[str, list[tuple[ImageEdit, Change]]] = {}
    for binding in index.bindings:
        image, found = binding.image, binding.found
        scan = scans.get(image.name)
        if scan is None or scan.tags is None:
            continue
        ref = found.reference
        tag, digest = (ref.tag, ref.digest) if ref else (None, None)
        name = _name_edit(found, image)
        if found.marker_field == "name":  # a name field holds no version: only a rename can change it
            if name is not None:
                change = Change(
                    image.name,
                    ref.name if ref else "(none)",
                    name,
                    found.path,
                    found.line,
                    image.policy.describe(),
                    "marker names the policy's repository",
                )
                per_file.setdefault(found.path, []).append((ImageEdit(found=found, tag=None, name=name), change))
            continue
        try:
            decision = decisions.get(image, tag, digest)
        except ImageUpdaterError as exc:
            plan.errors.append(f"image {image.name}: {exc}")
            plan.failed_images.add(image.name)
            continue
        plan.decisions[(image.name, version_of(tag, digest))] = decision
        if decision.chosen is None:
            continue
        new_digest, reason = decision.digest, decision.reason
        if _pinned(found, image):
            new_digest = digests.get((image.name, decision.chosen))
            if new_digest is None:
                plan.errors.append(
                    f"image {image.name}: cannot keep {found.path}:{found.line} pinned: the "
                    f"registry gave no digest for tag {decision.chosen}"
                )
                plan.failed_images.add(image.name)
                continue
            if not decision.changed and new_digest != digest:
                reason = f"{decision.chosen}@{new_digest}: pinned to the digest tag {decision.chosen} serves now" + (
                    f" (was {digest})" if digest else ""
                )
        if (decision.chosen, new_digest) == (tag, digest):
            continue
        if not is_valid_tag(decision.chosen):
            plan.errors.append(f"image {image.name}: refusing to write {decision.chosen!r}: not a valid OCI tag")
            plan.failed_images.add(image.name)
            continue
        change = Change(
            image=image.name,
            old=version_of(tag, digest),
            new=version_of(decision.chosen, new_digest),
            path=found.path,
            line=found.line,
            policy=image.policy.describe(),
            reason=reason,
        )
        per_file.setdefault(found.path, []).append(
            (ImageEdit(found=found, tag=decision.chosen, digest=new_digest, name=name), change)
        )
    plan.files = _render_all(index, per_file, plan)
    index.trees.clear()  # kept for this render only: between cycles an index holds facts, never trees
    return plan


class _Renderer:
    """Each file's edits verified once per (file bytes, edits), across cycles (``ParseCache.renders``).

    A file is parsed again only to render edits it has not had verified before: a cycle deciding what
    the last one decided renders nothing (the warm cycle of ``bench/repo_scale.py``). The last file
    parsed is kept while its neighbouring renders (``_culprits``) need it.
    """

    def __init__(self, index: RepoIndex) -> None:
        self.index = index
        self._parsed: tuple[str, ManifestFile, dict[int, FoundImage]] | None = None

    def render(self, rel: str, edits: Sequence[ImageEdit]) -> TextEdit | str:
        """The verified replacements, or the error that stopped them."""
        if not edits:
            return TextEdit(())
        facts = self.index.files[rel]
        position = {id(found): n for n, found in enumerate(facts.found)}
        key = (rel, facts.digest, tuple((position[id(e.found)], e.tag, e.digest, e.name) for e in edits))
        known = self.index.renders.get(key)
        if known is None:
            known = self.index.renders[key] = self._render(rel, edits)
        return known

    def _render(self, rel: str, edits: Sequence[ImageEdit]) -> TextEdit | str:
        try:
            if self._parsed is None or self._parsed[0] != rel:
                self._parsed = (rel, *self.index.parse(rel))
            _, parsed, twins = self._parsed
            return parsed.edit([replace(e, found=twins[id(e.found)]) for e in edits])
        except ImageUpdaterError as exc:
            return str(exc)


def _render_all(
    index: RepoIndex, per_file: Mapping[str, list[tuple[ImageEdit, Change]]], plan: CyclePlan
) -> list[FileEdit]:
    """Render every file; an image whose edit fails anywhere is withheld everywhere.

    A change is all or nothing per image: pushing the files that rendered while another file that
    holds the same image failed would leave the repo half-updated. Each file's first failure is
    reported, even when a later pass renders it without the withheld image.
    """
    renderer = _Renderer(index)
    withheld = set(plan.failed_images)
    first_error: dict[str, str] = {}
    while True:
        files: list[FileEdit] = []
        failed: set[str] = set()
        for rel, edits in sorted(per_file.items()):
            kept = [(e, c) for e, c in edits if c.image not in withheld]
            result = renderer.render(rel, [e for e, _ in kept])
            changes = tuple(c for _, c in kept)
            if isinstance(result, str):
                failed.update(_culprits(renderer, rel, kept))
                first_error.setdefault(rel, result)
                files.append(FileEdit(rel, changes, None, functools.partial(index.read, rel), error=result))
                continue
            source = functools.partial(index.read, rel, result)
            files.append(FileEdit(rel, changes, result, source, created=rel in index.created))
        if not failed - withheld:
            break
        withheld |= failed
    plan.errors.extend(first_error[rel] for rel in sorted(first_error))
    for image in sorted(withheld - plan.failed_images):
        plan.errors.append(f"image {image}: not updated anywhere because an edit of it failed (see above)")
    plan.failed_images |= withheld
    return files


def _culprits(renderer: _Renderer, rel: str, kept: Sequence[tuple[ImageEdit, Change]]) -> set[str]:
    """The images whose own edits fail in this file: one broken reference must not hold back its
    neighbours. If every image renders alone, the failure is in how their edits meet: all are held."""
    images = sorted({c.image for _, c in kept})
    if len(images) > 1:
        failing = {
            image for image in images if isinstance(renderer.render(rel, [e for e, c in kept if c.image == image]), str)
        }
        if failing:
            return failing
    return set(images)


def write_edits(root: Path, plan: CyclePlan) -> list[Change]:
    """Write each fully rendered file atomically (same mode; a new file 0644); return the changes written."""
    written: list[Change] = []
    for edit in plan.changed_files:
        after = edit.after()
        target = root / edit.path
        try:
            mode = target.stat().st_mode
        except FileNotFoundError:  # a file the sources create (.argocd-source-<app>.yaml)
            mode = 0o100644
            target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(after)
            os.chmod(tmp, mode)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        written.extend(edit.changes)
    return written
