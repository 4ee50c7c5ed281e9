"""Group → branch mapping checked at config load: no two groups (or a group and the base) share a ref."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from image_updater.delivery import PullRequestSettings, branches_for_groups, render_branch
from image_updater.errors import ConfigError


def test_distinct_groups_get_their_own_branches() -> None:
    branches = branches_for_groups(
        PullRequestSettings(), ["web", "docker.io/library/nginx", "ghcr.io/acme/app"], base="main"
    )
    assert branches == {
        "docker.io/library/nginx": "image-updater/docker.io/library/nginx",
        "ghcr.io/acme/app": "image-updater/ghcr.io/acme/app",
        "web": "image-updater/web",
    }


@pytest.mark.parametrize("other", ["a:b", "a..b", "a~b", "a b", "a^b"])
def test_groups_folded_onto_one_branch_are_refused_naming_both(other: str) -> None:
    with pytest.raises(ConfigError) as caught:
        branches_for_groups(PullRequestSettings(), ["a-b", other])
    message = str(caught.value)
    assert "'a-b'" in message and repr(other) in message and "'image-updater/a-b'" in message
    assert caught.value.key == "git.write.pull_request.branch"


def test_a_group_whose_branch_is_the_base_branch_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"group 'main' gets branch 'main'.*the base branch 'main'"):
        branches_for_groups(PullRequestSettings(branch="{group}"), ["web", "main"], base="main")


def test_nested_branch_names_are_refused_because_git_cannot_hold_both(tmp_path: Path) -> None:
    groups = ["ghcr.io/acme/app", "ghcr.io/acme/app/worker"]
    with pytest.raises(ConfigError, match=r"'ghcr.io/acme/app/worker'.*'ghcr.io/acme/app'"):
        branches_for_groups(PullRequestSettings(), groups)
    # the premise, on a real repository: the second branch cannot be created beside the first
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    git = ["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "commit", "-q", "--allow-empty", "-m", "root"], check=True)
    first, second = (render_branch(PullRequestSettings(), g) for g in groups)
    subprocess.run([*git, "branch", first], check=True)
    assert subprocess.run([*git, "branch", second], capture_output=True).returncode != 0


def test_a_branch_inside_the_base_branch_folder_is_refused() -> None:
    with pytest.raises(ConfigError, match="the base branch 'image-updater'"):
        branches_for_groups(PullRequestSettings(), ["web"], base="image-updater")


def test_a_template_that_gives_no_ref_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"no usable ref for group '\.'"):
        branches_for_groups(PullRequestSettings(branch="{group}"), ["."])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(min_size=1, max_size=12), max_size=6))
def test_groups_are_refused_exactly_when_their_branches_share_or_nest(groups: list[str]) -> None:
    rendered = {group: render_branch(PullRequestSettings(), group) for group in groups}
    names = list(rendered.values())
    clash = len(set(names)) < len(names) or any(b.startswith(a + "/") for a in names for b in names)
    try:
        branches = branches_for_groups(PullRequestSettings(), groups)
    except ConfigError:
        assert clash
    else:
        assert not clash and branches == rendered
