"""The parse cache kept between processes (``cycle/store.py``): a second ``plan`` parses only what changed, and a
store it cannot trust (other code, another owner, damaged bytes) is ignored with a warning, never believed.

Against a real registry and a bare remote, through real cycles; ``plan`` also as a real process.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from image_updater.config import Settings
from image_updater.cycle import Updater, store
from image_updater.logs import fields_of
from image_updater.manifests import ManifestFile
from tests.conftest import ROOT
from tests.support.gitrepo import BareRemote, make_remote
from tests.support.registry import RegistryServer


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Each store warning with its fields, as one line: ``parse cache ignored why=…``."""
    return [
        " ".join([r.getMessage(), *(f"{k}={v}" for k, v in sorted(fields_of(r).items()))])
        for r in caplog.records
        if r.name == "image_updater.cycle.store"
    ]


POD = "kind: Pod\nspec:\n  containers:\n  - name: web\n    image: {}\n"


def _settings(registry: RegistryServer, remote: BareRemote, tmp_path: Path) -> Settings:
    return Settings(
        registries=[{"name": "local", "url": registry.url, "prefix": registry.host, "insecure": True}],
        git={"url": remote.url, "workdir": str(tmp_path / "checkout")},
        images=[{"name": "web", "image": f"{registry.host}/team/web", "policy": {"semver": "^1.0"}}],
    )


def _plan(settings: Settings, tmp_path: Path, cache: Path, name: str) -> list[tuple[str, str, str]]:
    """One dry-run cycle in a fresh process's state (a new Updater, its own checkout): the changes it plans."""

    async def run() -> list[tuple[str, str, str]]:
        updater = Updater(settings, workdir=tmp_path / name, cache=lambda target: cache)
        try:
            report = await updater.run_cycle(dry_run=True)
        finally:
            await updater.aclose()
        assert report.all_errors == []
        return sorted((c.path, c.old, c.new) for t in report.targets.values() for c in t.plan.changes)

    return asyncio.run(run())


@pytest.fixture
def fleet(registry: RegistryServer, tmp_path: Path) -> tuple[Settings, BareRemote]:
    with registry.pusher() as pusher:
        pusher.push_tags("team/web", ["1.0.0", "1.2.0"])
    files = {f"apps/{n}.yaml": POD.format(f"{registry.host}/team/web:1.0.0") for n in ("a", "b", "c")}
    remote = make_remote(tmp_path, files)
    return _settings(registry, remote, tmp_path), remote


def test_a_second_process_plans_the_same_without_parsing_a_file(
    fleet: tuple[Settings, BareRemote], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, _ = fleet
    cache = tmp_path / "cache"
    first = _plan(settings, tmp_path, cache, "one")
    assert [p for p, _, _ in first] == ["apps/a.yaml", "apps/b.yaml", "apps/c.yaml"]
    (stored,) = cache.iterdir()
    assert stored.stat().st_mode & 0o777 == 0o600 and cache.stat().st_mode & 0o777 == 0o700

    def refuse(*args: object, **kwargs: object) -> ManifestFile:
        raise AssertionError("parsed although the store knew the file")

    monkeypatch.setattr(ManifestFile, "parse", refuse)
    assert _plan(settings, tmp_path, cache, "two") == first


def test_a_file_whose_bytes_changed_is_parsed_again(
    fleet: tuple[Settings, BareRemote], registry: RegistryServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, remote = fleet
    cache = tmp_path / "cache"
    _plan(settings, tmp_path, cache, "one")
    remote.commit_as_human(tmp_path, {"apps/b.yaml": POD.format(f"{registry.host}/team/web:1.2.0")}, "b by hand")
    parsed: list[str] = []
    real = ManifestFile.parse

    def counting(path: str, *args: object, **kwargs: object) -> ManifestFile:
        parsed.append(path)
        return real(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ManifestFile, "parse", staticmethod(counting))
    assert [p for p, _, _ in _plan(settings, tmp_path, cache, "two")] == ["apps/a.yaml", "apps/c.yaml"]
    assert parsed == ["apps/b.yaml"]


def test_a_store_made_by_other_code_is_not_believed(
    fleet: tuple[Settings, BareRemote], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, _ = fleet
    cache = tmp_path / "cache"
    first = _plan(settings, tmp_path, cache, "one")
    monkeypatch.setattr(store, "code_fingerprint", lambda: "another version")
    parsed: list[str] = []
    real = ManifestFile.parse
    monkeypatch.setattr(
        ManifestFile, "parse", staticmethod(lambda path, *a, **k: parsed.append(path) or real(path, *a, **k))
    )
    assert _plan(settings, tmp_path, cache, "two") == first
    assert sorted(parsed) == ["apps/a.yaml", "apps/b.yaml", "apps/c.yaml"]


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to hand the store to another owner")
def test_a_store_another_user_owns_is_ignored_with_a_warning(
    fleet: tuple[Settings, BareRemote], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings, _ = fleet
    cache = tmp_path / "cache"
    first = _plan(settings, tmp_path, cache, "one")
    (stored,) = cache.iterdir()
    os.chown(stored, 65534, 65534)
    with caplog.at_level(logging.WARNING):
        assert _plan(settings, tmp_path, cache, "two") == first
    (warning,) = _warnings(caplog)
    assert warning.startswith("parse cache ignored") and "belongs to uid 65534" in warning


def test_a_store_others_may_write_is_ignored_and_a_damaged_one_is_parsed_again(
    fleet: tuple[Settings, BareRemote], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings, _ = fleet
    cache = tmp_path / "cache"
    first = _plan(settings, tmp_path, cache, "one")
    (stored,) = cache.iterdir()
    stored.chmod(0o666)
    with caplog.at_level(logging.WARNING):
        assert _plan(settings, tmp_path, cache, "two") == first
    assert any("writable by other users (mode 666)" in w for w in _warnings(caplog))
    stored.chmod(0o600)
    stored.write_bytes(b"\x80\x05not a pickle")
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        assert _plan(settings, tmp_path, cache, "three") == first
    assert any(w.startswith("parse cache not readable") for w in _warnings(caplog))
    assert stored.read_bytes().startswith(b"\x80")  # written again, whole, by that cycle
    assert len(stored.read_bytes()) > 100


def plan_process(config: Path) -> subprocess.CompletedProcess[str]:
    """``image-updater plan`` as a process of its own, in the config's folder."""
    return subprocess.run(
        [sys.executable, "-m", "image_updater.cli", "plan", "--config", str(config)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        cwd=config.parent,
        timeout=120,
    )


def test_plan_keeps_its_store_and_its_own_checkout_in_the_cache_folder_and_cache_enabled_false_keeps_none(
    fleet: tuple[Settings, BareRemote], registry: RegistryServer, tmp_path: Path
) -> None:
    _, remote = fleet
    config = tmp_path / "config.yaml"
    body = (
        f"registries: [{{name: local, url: '{registry.url}', prefix: '{registry.host}', insecure: true}}]\n"
        f"git: {{url: '{remote.url}'}}\n"
        f"workdir: {tmp_path / 'state'}\n"
        f"images: [{{name: web, image: '{registry.host}/team/web', policy: {{semver: '^1.0'}}}}]\n"
    )
    config.write_text(body)
    outputs = []
    for _ in range(2):
        done = plan_process(config)
        assert done.returncode == 0, done.stderr
        outputs.append(done.stdout)
    assert outputs[0] == outputs[1] and "1.0.0 → 1.2.0" in outputs[0]
    cache = tmp_path / "state" / "cache"
    assert sorted(p.name.split("-")[0] for p in cache.iterdir()) == ["facts", "plan"]
    # plan's own checkout, kept for the next plan to fetch into; never the service's (state/checkout)
    assert (cache / "plan-checkouts" / "default" / "apps" / "a.yaml").is_file()
    assert not (tmp_path / "state" / "checkout").exists()
    # another plan holding that folder: this one clones into a scratch folder and says so
    held = os.open(cache / "plan-checkouts", os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(held, fcntl.LOCK_EX)
        done = plan_process(config)
    finally:
        os.close(held)
    assert done.returncode == 0 and done.stdout == outputs[0]
    assert "plan clones into a scratch folder" in done.stderr and "another plan is using it" in done.stderr
    config.write_text(body + "cache: {enabled: false, dir: " + str(tmp_path / "off") + "}\n")
    done = plan_process(config)
    assert done.returncode == 0 and done.stdout == outputs[0]
    assert not (tmp_path / "off").exists()
