"""Grouping into pull requests, and ``plan`` in pull-request mode, through the CLI."""

from __future__ import annotations

import re

import pytest

from image_updater.cli import main
from tests.prmode.conftest import GROUPS, IMAGES, PrLoop


def run(loop: PrLoop, *args: str) -> int:
    return main([*args, "--config", str(loop.config)])


@pytest.mark.parametrize(
    ("loop", "group_by", "groups"),
    [
        ("github", "all", {"all": IMAGES}),
        ("gitlab", "image", {name: (name,) for name in IMAGES}),
        ("gitea", "group", {"apps": ("api", "web"), "worker": ("worker",)}),
    ],
    indirect=["loop"],
)
def test_group_by_makes_one_branch_and_pull_request_per_group(
    loop: PrLoop, group_by: str, groups: dict[str, tuple[str, ...]], capsys: pytest.CaptureFixture[str]
) -> None:
    assert set(GROUPS.values()) == {"apps"}  # the "group" case relies on api and web sharing a group
    loop.pull_request = {"group_by": group_by}
    base = loop.deploy_all_images()
    for name in IMAGES:
        loop.push_tags(name, ["1.1.0"])
    branches = sorted(f"image-updater/{group}" for group in groups)

    assert run(loop, "plan") == 0
    planned = [line for line in capsys.readouterr().out.splitlines() if line.startswith("delivery [")]
    assert planned == [
        f"delivery [{g}]: would-open-pr branch image-updater/{g} (Update "
        + (f"{names[0]} to 1.1.0)" if len(names) == 1 else f"{len(names)} images ({g}))")
        for g, names in sorted(groups.items())
    ]
    assert loop.writes() == [] and loop.update_branches() == []

    assert run(loop, "run", "--once") == 0
    assert loop.update_branches() == branches and loop.remote.rev() == base
    assert sorted(pr.head for pr in loop.rig.fake.open_prs()) == branches
    for group, names in groups.items():
        branch = f"image-updater/{group}"
        assert loop.commits_on(branch) == 1 and loop.parent(branch) == base
        for name in IMAGES:
            want = "1.1.0" if name in names else "1.0.0"
            assert f"team/{name}:{want}".encode() in loop.remote.read(f"deploy/{name}.yaml", branch)

    assert run(loop, "run", "--once") == 0  # a second cycle changes nothing anywhere
    assert len(loop.creates()) == len(groups) and loop.edits() == []


def test_plan_names_the_pull_request_it_would_open_or_update_and_writes_nothing(
    loop: PrLoop, capsys: pytest.CaptureFixture[str]
) -> None:
    loop.push_tags("web", ["1.1.0"])
    base = loop.remote.rev()
    assert run(loop, "plan") == 0
    out = capsys.readouterr().out
    assert "delivery [web]: would-open-pr branch image-updater/web (Update web to 1.1.0)" in out
    assert "+          image: " in out and "web:1.1.0" in out  # the diff the branch would carry
    assert loop.writes() == [] and loop.update_branches() == [] and loop.remote.rev() == base

    assert run(loop, "run", "--once") == 0
    (pr,) = loop.rig.fake.prs.values()
    opened = re.search(
        r"delivery \[web\]: pr-opened branch image-updater/web commit \w+ (\S+) ", capsys.readouterr().out
    )
    assert opened is not None
    url = opened[1]
    branch, writes = loop.remote.rev("image-updater/web"), len(loop.writes())

    assert run(loop, "plan") == 0
    assert f"delivery [web]: pr-unchanged branch image-updater/web {url} (Update web to 1.1.0)" in (
        capsys.readouterr().out
    )

    loop.push_tags("web", ["1.2.0"])
    assert run(loop, "plan") == 0
    out = capsys.readouterr().out
    assert f"delivery [web]: would-update-pr branch image-updater/web {url} (Update web to 1.2.0)" in out
    assert len(loop.writes()) == writes and loop.remote.rev("image-updater/web") == branch
    assert pr.title == "Update web to 1.1.0" and loop.remote.rev() == base
