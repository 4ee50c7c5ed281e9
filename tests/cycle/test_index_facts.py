"""Between cycles the index keeps facts, not trees: an unchanged file costs one ``stat``, a changed or
too-fresh one is read again, a verified edit is rendered once, and bytes that changed under the plan are
never written over.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

import image_updater.cycle.facts as facts_module
import image_updater.cycle.index as index_module
from image_updater.cycle import Decisions, ParseCache, index_repo, plan_edits, write_edits
from image_updater.cycle.plan import PlanMemo
from image_updater.errors import ManifestError
from image_updater.manifests import ManifestFile
from tests.cycle.test_edit import WEB, scans, settings, tree_of

POD = "kind: Pod\nspec:\n  containers:\n  - name: web\n    image: reg.example/team/web:{}\n"


@pytest.fixture(autouse=True)
def racy_window(monkeypatch: pytest.MonkeyPatch) -> float:
    """A short racy window, so files can be made older than it by waiting (a ctime cannot be set)."""
    monkeypatch.setattr(facts_module, "RACY_SECONDS", 0.05)
    return 0.05


def _age() -> None:
    """Let every file written so far become older than the racy window."""
    time.sleep(0.1)


def _count(monkeypatch: pytest.MonkeyPatch, owner: object, name: str) -> list[object]:
    calls: list[object] = []
    real = getattr(owner, name)

    def counted(*args: object, **kwargs: object) -> object:
        calls.append(args[0] if args else None)
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, counted)
    return calls


def test_an_unchanged_file_is_known_by_its_stat_and_not_read_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tree_of(tmp_path / "repo", {"a.yaml": POD.format("1.0.0"), "b.yaml": POD.format("1.0.0")})
    _age()
    config, cache = settings(WEB), ParseCache()
    first = index_repo(root, config.target(), config.manifests, cache)
    reads = _count(monkeypatch, facts_module, "read_bytes")
    second = index_repo(root, config.target(), config.manifests, cache)
    assert reads == []  # two stats, no read, no parse
    assert second.files == first.files
    (root / "b.yaml").write_text(POD.format("1.1.0"))  # same size; a new mtime and ctime
    third = index_repo(root, config.target(), config.manifests, cache)
    assert [os.path.basename(str(path)) for path in reads] == ["b.yaml"]
    assert third.bindings[1].found.reference is not None and third.bindings[1].found.reference.tag == "1.1.0"


def test_a_file_written_within_the_racy_window_is_read_again_until_it_is_older(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two writes of the same size inside one tick of the file system's clock look alike to stat.
    root = tree_of(tmp_path / "repo", {"a.yaml": POD.format("1.0.0")})
    config, cache = settings(WEB), ParseCache()
    first = index_repo(root, config.target(), config.manifests, cache)
    assert cache.entries["a.yaml"].signature is None  # just written: not trusted
    reads = _count(monkeypatch, facts_module, "read_bytes")
    index_repo(root, config.target(), config.manifests, cache)
    assert len(reads) == 1
    _age()
    assert index_repo(root, config.target(), config.manifests, cache) is first  # the same bytes: nothing rebound
    assert cache.entries["a.yaml"].signature is not None
    index_repo(root, config.target(), config.manifests, cache)
    assert len(reads) == 2  # read once more to take its now-trusted signature, then known by stat


def test_a_plan_deciding_what_the_last_one_decided_parses_and_renders_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tree_of(tmp_path / "repo", {"a.yaml": POD.format("1.0.0"), "b.yaml": POD.format("1.0.1")})
    _age()
    config, cache = settings(WEB), ParseCache()
    tags = {"web": ["1.0.0", "1.0.1", "1.2.0"]}
    first = plan_edits(index_repo(root, config.target(), config.manifests, cache), scans(config, tags))
    parses = _count(monkeypatch, ManifestFile, "parse")
    again = plan_edits(index_repo(root, config.target(), config.manifests, cache), scans(config, tags))
    assert parses == []
    assert [(f.path, f.after()) for f in again.changed_files] == [(f.path, f.after()) for f in first.changed_files]
    assert [f.after() for f in again.changed_files] == [POD.format("1.2.0").encode()] * 2
    newer = plan_edits(
        index_repo(root, config.target(), config.manifests, cache), scans(config, {"web": [*tags["web"], "1.3.0"]})
    )
    assert len(parses) == 2  # a new decision: each file parsed once to render and verify it
    assert [f.after() for f in newer.changed_files] == [POD.format("1.3.0").encode()] * 2


def test_bytes_changed_under_the_plan_are_an_error_and_are_not_written_over(tmp_path: Path) -> None:
    root = tree_of(tmp_path / "repo", {"a.yaml": POD.format("1.0.0")})
    config = settings(WEB)
    plan = plan_edits(index_repo(root, config.target(), config.manifests), scans(config, {"web": ["1.1.0"]}))
    (root / "a.yaml").write_text(POD.format("1.0.5") + "# a person's edit\n")
    with pytest.raises(ManifestError, match=r"a.yaml: changed since this cycle read it"):
        write_edits(root, plan)
    assert (root / "a.yaml").read_text().endswith("# a person's edit\n")


def test_the_diff_of_a_delivered_plan_is_read_back_from_the_file_it_wrote(tmp_path: Path) -> None:
    root = tree_of(tmp_path / "repo", {"a.yaml": POD.format("1.0.0")})
    config = settings(WEB)
    plan = plan_edits(index_repo(root, config.target(), config.manifests), scans(config, {"web": ["1.1.0"]}))
    write_edits(root, plan)
    (edit,) = plan.changed_files
    assert (edit.before(), edit.after()) == (POD.format("1.0.0").encode(), POD.format("1.1.0").encode())


def test_an_index_in_which_nothing_changed_is_the_last_one_and_so_is_its_plan(tmp_path: Path) -> None:
    root = tree_of(tmp_path / "repo", {"a.yaml": POD.format("1.0.0"), "b.yaml": POD.format("1.0.1")})
    _age()
    config, cache, memo = settings(WEB), ParseCache(), PlanMemo()
    tags = {"web": ["1.0.0", "1.2.0"]}
    first = index_repo(root, config.target(), config.manifests, cache)
    decisions = Decisions(scans(config, tags))
    plan = memo.plan(first, scans(config, tags), {}, decisions)
    again = index_repo(root, config.target(), config.manifests, cache)
    assert again is first  # nothing bound again
    later = Decisions(scans(config, tags), previous=decisions)
    assert memo.plan(again, scans(config, tags), {}, later) is plan  # nothing decided or rendered again
    # a new tag: the same index, a new plan
    newer = Decisions(scans(config, {"web": [*tags["web"], "1.3.0"]}), previous=later)
    replanned = memo.plan(again, scans(config, {"web": [*tags["web"], "1.3.0"]}), {}, newer)
    assert replanned is not plan and [c.new for c in replanned.changes] == ["1.3.0", "1.3.0"]
    # a file added: a new index, and a plan for it
    (root / "c.yaml").write_text(POD.format("1.0.0"))
    grown = index_repo(root, config.target(), config.manifests, cache)
    assert grown is not first and sorted(grown.files) == ["a.yaml", "b.yaml", "c.yaml"]
    assert len(memo.plan(grown, scans(config, tags), {}, Decisions(scans(config, tags))).changes) == 3


def test_a_cold_plan_renders_from_the_trees_indexing_parsed_and_keeps_none_of_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tree_of(tmp_path / "repo", {"a.yaml": POD.format("1.0.0"), "b.yaml": POD.format("1.0.1")})
    config = settings(WEB)
    parses = _count(monkeypatch, ManifestFile, "parse")
    index = index_repo(root, config.target(), config.manifests, ParseCache())
    assert sorted(index.trees) == ["a.yaml", "b.yaml"]
    plan = plan_edits(index, scans(config, {"web": ["1.2.0"]}))
    assert parses == ["a.yaml", "b.yaml"]  # once each, to index; rendering took the same trees
    assert [f.after() for f in plan.changed_files] == [POD.format("1.2.0").encode()] * 2
    assert index.trees == {}  # kept for that render only: between cycles an index holds facts


def test_trees_past_the_kept_bytes_are_parsed_again_to_render(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(index_module, "KEPT_TREE_BYTES", len(POD.format("1.0.0")))  # room for one file
    root = tree_of(tmp_path / "repo", {"a.yaml": POD.format("1.0.0"), "b.yaml": POD.format("1.0.1")})
    config = settings(WEB)
    parses = _count(monkeypatch, ManifestFile, "parse")
    index = index_repo(root, config.target(), config.manifests, ParseCache())
    assert list(index.trees) == ["a.yaml"]
    plan = plan_edits(index, scans(config, {"web": ["1.2.0"]}))
    assert parses == ["a.yaml", "b.yaml", "b.yaml"]
    assert [f.after() for f in plan.changed_files] == [POD.format("1.2.0").encode()] * 2


def test_a_kept_tree_of_bytes_that_changed_since_is_an_error_and_not_edited(tmp_path: Path) -> None:
    root = tree_of(tmp_path / "repo", {"a.yaml": POD.format("1.0.0")})
    config = settings(WEB)
    index = index_repo(root, config.target(), config.manifests)
    assert "a.yaml" in index.trees
    (root / "a.yaml").write_text(POD.format("1.0.5"))
    plan = plan_edits(index, scans(config, {"web": ["1.1.0"]}))
    assert plan.changed_files == [] and any("a.yaml: changed since this cycle read it" in e for e in plan.errors)
