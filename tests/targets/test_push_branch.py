"""``write: {mode: push, branch: …}``: commits go to another branch, created from ``git.branch`` when
missing and from then on built on its own tip: a person's commit there is built on, never overwritten."""

from __future__ import annotations

from tests.support.gitrepo import git
from tests.targets.conftest import Fleet


def test_a_push_branch_is_created_then_updated_in_place_and_a_persons_commit_on_it_survives(fleet: Fleet) -> None:
    fleet.push_tags("team/web", ["1.0.0", "1.1.0"])
    remote, url = fleet.remote("config", {"web.yaml": fleet.deployment("web", "1.0.0")})
    config = fleet.config(
        {
            "git": {
                "url": url,
                "write": {"mode": "push", "branch": "auto-updates"},
                "author": {"name": "bot", "email": "bot@example.com"},
            },
            "images": [fleet.image("web")],
        }
    )
    first = fleet.cli("run", "--once", "--config", str(config))
    assert first.returncode == 0, first.stdout + first.stderr
    assert remote.branches() == ["auto-updates", "main"]
    assert remote.log("main") == ["initial config"]  # git.branch is only read
    assert remote.log("auto-updates") == ["chore(images): update 1 image", "initial config"]
    assert b"team/web:1.1.0" in remote.read("web.yaml", ref="auto-updates")

    person = remote.commit_as_human(fleet.base, {"NOTES.md": "reviewed\n"}, "a person's note", branch="auto-updates")
    fleet.push_tags("team/web", ["1.2.0"])
    second = fleet.cli("run", "--once", "--config", str(config))
    assert second.returncode == 0, second.stdout + second.stderr
    assert remote.log("auto-updates") == [
        "chore(images): update 1 image",
        "a person's note",
        "chore(images): update 1 image",
        "initial config",
    ]
    assert git(remote.path, "merge-base", "--is-ancestor", person, "auto-updates") == ""  # kept, not overwritten
    assert b"team/web:1.2.0" in remote.read("web.yaml", ref="auto-updates")
    assert remote.read("NOTES.md", ref="auto-updates") == b"reviewed\n"
    third = fleet.cli("run", "--once", "--config", str(config))
    assert third.returncode == 0 and len(remote.log("auto-updates")) == 4  # nothing new: no commit


def test_write_branch_is_for_push_mode_and_must_differ_from_git_branch(fleet: Fleet) -> None:
    from image_updater.config import load_settings
    from image_updater.errors import ConfigError

    for write, message in (
        ({"mode": "pull_request", "branch": "x"}, "write.branch is for push mode"),
        ({"mode": "push", "branch": "main"}, "is git.branch itself"),
    ):
        config = fleet.config({"git": {"url": "file:///x", "write": write}}, name="bad.yaml")
        try:
            load_settings(config, environ={})
        except ConfigError as exc:
            assert message in str(exc)
        else:
            raise AssertionError(f"{write} was accepted")
