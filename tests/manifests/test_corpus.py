"""Every file of the shared corpus: byte-identical round trip, and every found reference edited in place.

For each reference the managers find, a tag edit must change only the bytes of that value (or add
one line where a kustomize entry has no ``newTag``), revert to the original bytes, the result must
parse, and a fresh parse must read the new tag back at the same place. The diff read off an edit's
replacements is the one ``difflib`` finds, for each edit and for all of a file's edits at once.
"""

from __future__ import annotations

import csv
import difflib
from collections import Counter
from pathlib import Path

from image_updater.errors import ManifestEditError, ManifestParseError
from image_updater.manifests import ImageEdit, ManifestFile, could_hold_images, unified_diff
from tests.conftest import require_shared
from tests.manifests.util import allowed_spans, changed_only_within

NEW_TAG = "9.9.9-test"
# Files the corpus holds that strict parsing must refuse (duplicate keys are unparseable by design).
EXPECTED_UNPARSEABLE = {
    "files/kubernetes__examples/_archived__openshift-origin__etcd-discovery-controller.yaml": "duplicate key",
}


def test_every_corpus_file_round_trips_and_every_reference_edits_in_place() -> None:
    corpus = require_shared("corpus")
    with (corpus / "MANIFEST.tsv").open(newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    per_manager: Counter[str] = Counter()
    skipped: Counter[str] = Counter()
    unparseable: dict[str, str] = {}
    failures: list[str] = []
    edits_checked = 0
    for row in rows:
        path = row["file"]
        data = Path(corpus, path).read_bytes()
        assert could_hold_images(path, data), f"{path}: the prefilter would hide an image file"
        try:
            manifest = ManifestFile.parse(path, data)
        except ManifestParseError as exc:
            unparseable[path] = str(exc)
            continue
        assert manifest.render([]) == data, f"{path}: a no-edit render changed bytes"
        for index, found in enumerate(manifest.images):
            if found.reference is None:
                skipped[f"{found.manager}: {(found.skipped or '').split(':')[0]}"] += 1
                continue
            per_manager[found.manager] += 1
            edits_checked += 1
            problem = _check_edit(manifest, index, data)
            if problem:
                failures.append(f"{path}:{found.line} ({found.manager}): {problem}")
        editable = [ImageEdit(f, NEW_TAG, f.reference.digest) for f in manifest.images if f.reference is not None]
        if len(editable) > 1:
            try:
                whole = manifest.edit(editable)
            except ManifestEditError:
                continue  # two references sharing one value (an anchor): each was checked on its own
            if unified_diff(path, data, whole) != _difflib_diff(path, data, whole.apply(data)):
                failures.append(f"{path}: the diff of all its edits is not difflib's")
    print(
        f"\ncorpus: {len(rows)} files, {len(rows) - len(unparseable)} parsed, "
        f"{sum(per_manager.values())} references, {edits_checked} edits checked"
    )
    print("references per manager:", dict(sorted(per_manager.items())))
    print("skipped with reasons:", dict(skipped.most_common()))
    print("unparseable:", unparseable)
    assert not failures, "\n".join(failures)
    assert set(unparseable) == set(EXPECTED_UNPARSEABLE)
    for path, reason in EXPECTED_UNPARSEABLE.items():
        assert reason in unparseable[path] and path in unparseable[path]
    assert sum(per_manager.values()) > 550
    assert set(per_manager) == {"kubernetes", "helm", "kustomize", "compose", "marker", "argocd"}


def _check_edit(manifest: ManifestFile, index: int, data: bytes) -> str | None:
    found = manifest.images[index]
    assert found.reference is not None
    edit = ImageEdit(found, NEW_TAG, found.reference.digest)  # keep the digest: one value changes
    new = manifest.render([edit])
    if not changed_only_within(data, new, allowed_spans(manifest, found)):
        return "bytes outside the value changed"
    if manifest.edit([edit]).revert(new) != data:  # the plan reads a delivered file's old bytes back this way
        return "the edit does not revert to the bytes it was made on"
    if unified_diff(manifest.path, data, manifest.edit([edit])) != _difflib_diff(manifest.path, data, new):
        return "the diff read off the edit is not difflib's"
    if new == data and found.marker_field in ("", "tag"):
        return "tag edit changed nothing"
    again = ManifestFile.parse(manifest.path, new)
    if len(again.images) != len(manifest.images):
        return f"re-parse found {len(again.images)} images, not {len(manifest.images)}"
    back = again.images[index]
    if back.reference is None or back.manager != found.manager:
        return f"re-parse reads {back}"
    if found.marker_field in ("", "tag") and back.reference.tag != NEW_TAG:
        return f"re-parse reads tag {back.reference.tag!r}"
    if found.marker_field in ("", "tag") and back.reference.name != found.reference.name:  # type: ignore[union-attr]
        return f"re-parse reads name {back.reference.name!r}"
    return None


def _difflib_diff(path: str, before: bytes, after: bytes) -> str:
    old = before.decode("utf-8-sig").splitlines(keepends=True)
    new = after.decode("utf-8-sig").splitlines(keepends=True)
    return "".join(difflib.unified_diff(old, new, f"a/{path}", f"b/{path}"))
