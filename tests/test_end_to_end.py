"""The whole loop against a real registry and a real bare Git remote: scan → choose → edit → commit → push."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest

from image_updater.cli import main
from image_updater.config import load_settings
from image_updater.cycle import Updater
from tests.support.gitrepo import BareRemote, git, make_remote
from tests.support.registry import RegistryServer

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web   # the frontend
spec:
  template:
    spec:
      containers:
        - name: web
          image: {host}/team/web:1.0.0  # pinned by image-updater

          ports: [{{containerPort: 80}}]
"""


def write_config(tmp_path: Path, registry: RegistryServer, remote: BareRemote, **extra: str) -> Path:
    config = tmp_path / "config.yaml"
    config.write_text(
        f"""\
registries:
  - name: local
    url: {registry.url}
    prefix: {registry.host}
    insecure: true
git:
  url: {remote.url}
  branch: main
  author: {{name: image-updater, email: bot@example.com}}
  workdir: {tmp_path / "checkout"}
images:
  - name: web
    image: {registry.host}/team/web
    policy: {{semver: "^1.0"}}
"""
        + "".join(extra.values())
    )
    return config


@pytest.fixture
def seeded(registry: RegistryServer, tmp_path: Path) -> tuple[RegistryServer, BareRemote]:
    with registry.pusher() as pusher:
        pusher.push_tags("team/web", ["1.0.0", "1.1.0", "1.2.0-rc.1", "2.0.0"])
    remote = make_remote(
        tmp_path,
        {"deploy/web.yaml": DEPLOYMENT.format(host=registry.host), "deploy/broken.yaml": "a: [unclosed\n  image: x\n"},
    )
    return registry, remote


def test_run_once_moves_the_tag_in_one_commit_and_then_rests(
    seeded: tuple[RegistryServer, BareRemote], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    registry, remote = seeded
    config = write_config(tmp_path, registry, remote)
    before = remote.read("deploy/web.yaml")
    broken_before = remote.read("deploy/broken.yaml")

    assert main(["run", "--once", "--config", str(config)]) == 1  # the broken file is an error, the rest lands
    out = capsys.readouterr().out
    assert "deploy/broken.yaml:" in out  # reported by path and line
    assert remote.log() == ["chore(images): update 1 image", "initial config"]
    after = remote.read("deploy/web.yaml")
    assert after == before.replace(b"team/web:1.0.0", b"team/web:1.1.0")
    diff = git(remote.path, "diff", "HEAD~1", "HEAD", "--unified=0")
    changed = [line for line in diff.splitlines() if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    assert changed == [
        f"-          image: {registry.host}/team/web:1.0.0  # pinned by image-updater",
        f"+          image: {registry.host}/team/web:1.1.0  # pinned by image-updater",
    ]
    body = git(remote.path, "log", "-1", "--format=%an%n%B")
    assert body.startswith("image-updater\nchore(images): update 1 image")
    assert "- web: 1.0.0 → 1.1.0" in body
    assert remote.read("deploy/broken.yaml") == broken_before

    head = remote.rev()
    main(["run", "--once", "--config", str(config)])
    assert remote.rev() == head  # nothing new: no commit


def test_plan_prints_reasons_and_diff_and_writes_nothing(
    seeded: tuple[RegistryServer, BareRemote], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    registry, remote = seeded
    config = write_config(tmp_path, registry, remote)
    head = remote.rev()
    main(["plan", "--config", str(config)])
    out = capsys.readouterr().out
    summary, delivery, web = out.splitlines()[:3]
    assert summary == "1 image: 1 to update, 0 current, 0 errors; 1 other error (below)"  # the broken file
    assert delivery == "delivery [all]: would-push"
    assert web.split() == [
        "web",
        "1.0.0",
        "→",
        "1.1.0",
        "highest",
        "version",
        "in",
        "range",
        "'^1.0'",
        "[deploy/web.yaml:10]",
    ]
    assert "2.0.0" not in out  # the tag verdicts are for -v
    assert f"+          image: {registry.host}/team/web:1.1.0" in out
    main(["plan", "-v", "--config", str(config)])
    verbose = capsys.readouterr().out
    assert "2.0.0" in verbose and "1.2.0-rc.1" in verbose  # candidates listed with their reasons
    assert remote.rev() == head
    assert not (tmp_path / "checkout").exists()  # plan clones aside, never into the service's work tree


def test_a_push_raced_by_a_person_is_reapplied_and_both_commits_survive(
    seeded: tuple[RegistryServer, BareRemote], tmp_path: Path
) -> None:
    registry, remote = seeded
    settings = load_settings(write_config(tmp_path, registry, remote))
    updater = Updater(settings)
    real_sync = updater.runners["default"].repo.sync
    syncs = {"n": 0}

    def sync_then_someone_pushes(branch: str | None = None, *, fallback: str | None = None) -> str:
        head = real_sync(branch, fallback=fallback)
        syncs["n"] += 1
        if syncs["n"] == 1:  # after the cycle fetched and planned, before it pushes
            remote.commit_as_human(tmp_path, {"deploy/notes.txt": "a person was here\n"}, "human commit")
        return head

    updater.runners["default"].repo.sync = sync_then_someone_pushes  # type: ignore[method-assign]

    async def cycle() -> None:
        try:
            report = await updater.run_cycle()
        finally:
            await updater.aclose()
        assert report.outcomes[0].action == "pushed" and report.outcomes[0].attempts == 2

    asyncio.run(cycle())
    assert remote.log()[:2] == ["chore(images): update 1 image", "human commit"]
    assert remote.read("deploy/notes.txt") == b"a person was here\n"
    assert b"team/web:1.1.0" in remote.read("deploy/web.yaml")


def test_console_script_reports_config_errors_in_one_line(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("git:\n  url: file:///nowhere\nimages:\n  - name: web\n    image: x/web\n    polcy: {}\n")
    proc = subprocess.run(
        [sys.executable, "-m", "image_updater.cli", "plan", "--config", str(config)], capture_output=True, text=True
    )
    assert proc.returncode == 1
    assert proc.stderr.count("\n") == 1
    assert f"{config}" in proc.stderr and "line 6" in proc.stderr and "images.0.polcy: unknown key" in proc.stderr
