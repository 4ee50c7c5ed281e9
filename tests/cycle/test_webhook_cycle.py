"""A cycle for some images (a webhook's) plans on the checkout as the service left it: one ``git push`` on the
happy path, and nothing missed or overwritten when the remote moved meanwhile. Real registry, bare remote."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

import image_updater.cycle.facts as facts_module
from image_updater.config import load_settings
from image_updater.cycle import Updater
from image_updater.gitops import ConfigRepo
from tests.support.gitrepo import BareRemote, make_remote
from tests.support.registry import RegistryServer
from tests.test_end_to_end import DEPLOYMENT, write_config

WEB = frozenset({"web"})


@pytest.fixture
def git_commands(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The git subcommands the checkout runs (``ConfigRepo._git``), in order."""
    seen: list[str] = []
    real = ConfigRepo._git

    def counted(self: ConfigRepo, *args: str, **kwargs: object) -> str:
        seen.append(args[0])
        return real(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ConfigRepo, "_git", counted)
    yield seen


def _setup(registry: RegistryServer, tmp_path: Path, files: dict[str, str] | None = None) -> tuple[Updater, BareRemote]:
    with registry.pusher() as pusher:
        pusher.push_tags("team/web", ["1.0.0", "1.1.0"])
    deployment = DEPLOYMENT.format(host=registry.host)
    remote = make_remote(tmp_path, {"deploy/web.yaml": deployment, **(files or {})})
    return Updater(load_settings(write_config(tmp_path, registry, remote))), remote


def _push_tag(registry: RegistryServer, tag: str) -> None:
    with registry.pusher() as pusher:
        pusher.push_tags("team/web", [tag])


def test_a_webhook_cycle_on_the_checkout_it_pushed_runs_only_add_commit_and_push(
    registry: RegistryServer, tmp_path: Path, git_commands: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    updater, remote = _setup(registry, tmp_path, {f"deploy/other-{n}.yaml": "kind: ConfigMap\n" for n in range(5)})

    async def go() -> None:
        assert (await updater.run_cycle()).ok  # the first cycle clones, indexes and pushes 1.1.0
        _push_tag(registry, "1.2.0")
        git_commands.clear()
        stats = []
        real = facts_module.signature_of
        monkeypatch.setattr(facts_module, "signature_of", lambda path, now: stats.append(path) or real(path, now))
        report = await updater.run_cycle(WEB)
        assert report.ok, report.all_errors
        assert git_commands == ["add", "commit", "push"]  # no ls-remote, status, fetch or checkout
        assert [Path(p).name for p in stats] == ["web.yaml"]  # only the file it wrote is looked at again
        await updater.aclose()

    asyncio.run(go())
    assert b"team/web:1.2.0" in remote.read("deploy/web.yaml")
    assert remote.log()[:2] == ["chore(images): update 1 image"] * 2


def test_a_remote_that_moved_under_a_webhook_cycle_rejects_its_push_and_the_retry_keeps_both(
    registry: RegistryServer, tmp_path: Path
) -> None:
    updater, remote = _setup(registry, tmp_path)

    async def go() -> None:
        assert (await updater.run_cycle()).ok
        remote.commit_as_human(tmp_path, {"README": "edited by a person\n"}, "human edit")
        _push_tag(registry, "1.2.0")
        report = await updater.run_cycle(WEB)
        assert report.ok, report.all_errors
        assert [o.attempts for o in report.outcomes] == [2]
        await updater.aclose()

    asyncio.run(go())
    assert remote.log()[:3] == ["chore(images): update 1 image", "human edit", "chore(images): update 1 image"]
    assert remote.read("README") == b"edited by a person\n"
    assert b"team/web:1.2.0" in remote.read("deploy/web.yaml")


def test_a_webhook_cycle_with_nothing_to_push_asks_the_remote_and_updates_what_a_person_added(
    registry: RegistryServer, tmp_path: Path
) -> None:
    updater, remote = _setup(registry, tmp_path)

    async def go() -> None:
        assert (await updater.run_cycle()).ok  # web.yaml now at 1.1.0, the newest tag
        added = DEPLOYMENT.format(host=registry.host)  # a new file at 1.0.0, pushed by a person
        remote.commit_as_human(tmp_path, {"deploy/new.yaml": added}, "add a deployment")
        report = await updater.run_cycle(WEB)  # no new tag: the checkout we left has nothing to change
        assert report.ok, report.all_errors
        assert [o.action for o in report.outcomes] == ["pushed"]
        await updater.aclose()

    asyncio.run(go())
    assert b"team/web:1.1.0" in remote.read("deploy/new.yaml")
    assert remote.log()[:2] == ["chore(images): update 1 image", "add a deployment"]


def test_bytes_another_process_left_in_the_checkout_never_become_the_index_a_webhook_cycle_trusts(
    registry: RegistryServer, tmp_path: Path, git_commands: list[str]
) -> None:
    updater, remote = _setup(registry, tmp_path, {"deploy/x.yaml": DEPLOYMENT.format(host=registry.host)})
    runner = next(iter(updater.runners.values()))
    real_index = runner.index
    armed: list[bool] = []

    def index(root: Path, **options: bool) -> object:
        if armed:
            armed.clear()
            # Right after our sync, a `run --once` in the same work dir takes it, edits x.yaml and dies.
            other = ConfigRepo(runner.target.git, runner.repo.root)

            def apply(root: Path) -> list[object]:
                path = root / "deploy/x.yaml"
                path.write_bytes(path.read_bytes().replace(b"web:1.1.0", b"web:1.2.0"))
                raise RuntimeError("killed")

            with pytest.raises(RuntimeError):
                other.deliver(apply, lambda changes: "message")  # type: ignore[arg-type,return-value]
        return real_index(root, **options)

    runner.index = index  # type: ignore[assignment,method-assign]

    async def go() -> None:
        assert (await updater.run_cycle()).ok  # both files 1.0.0 → 1.1.0
        _push_tag(registry, "1.2.0")
        armed.append(True)
        assert (await updater.run_cycle()).ok  # its walk read x.yaml as the dead process left it
        git_commands.clear()
        report = await updater.run_cycle(WEB)
        assert report.ok, report.all_errors
        # Its delivery checked the tree out again, so this cycle walked the files instead of trusting that
        # index, and found x.yaml to update at once (not only after asking the remote and running again).
        assert git_commands == ["add", "commit", "push"]
        await updater.aclose()

    asyncio.run(go())
    assert b"team/web:1.2.0" in remote.read("deploy/web.yaml")
    assert b"team/web:1.2.0" in remote.read("deploy/x.yaml")
