"""Pure parts: templates, the body table, branch names, groups, and settings validation."""

from __future__ import annotations

import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from image_updater.delivery import Change, PullRequestSettings, group_for_image, render_branch, render_pull_request
from image_updater.forge import ForgeSettings, closing_body

NGINX = Change("docker.io/library/nginx", "1.25.3", "1.25.4", "a.yaml", 1, "semver ~1.25", "newest patch")
REDIS = Change("ghcr.io/acme/redis", "7.2.1", "7.4.0", "a.yaml", 2, "semver ^7", "newest minor | was pinned\nby hand")


def test_default_title_and_body_for_one_image() -> None:
    title, body = render_pull_request(PullRequestSettings(), "nginx", [NGINX])
    assert title == "Update docker.io/library/nginx to 1.25.4"
    assert "| `docker.io/library/nginx` | `1.25.3` → `1.25.4` | semver ~1.25 | newest patch |" in body


def test_table_rows_are_sorted_and_cells_cannot_break_the_table() -> None:
    _, body = render_pull_request(PullRequestSettings(), "all", [REDIS, NGINX])
    rows = [line for line in body.splitlines() if line.startswith("| `")]
    assert [r.split("`")[1] for r in rows] == ["docker.io/library/nginx", "ghcr.io/acme/redis"]
    assert rows[1].endswith("| newest minor \\| was pinned by hand |")
    assert render_pull_request(PullRequestSettings(), "all", [NGINX, REDIS]) == render_pull_request(
        PullRequestSettings(), "all", [REDIS, NGINX]
    )


def test_custom_templates_use_only_known_placeholders() -> None:
    settings = PullRequestSettings(
        title="chore(deps): {count} images in {group}", body="{{literal}} {changes}\n\n{table}"
    )
    title, body = render_pull_request(settings, "web", [NGINX, REDIS])
    assert title == "chore(deps): 2 images in web"
    assert body.startswith("{literal} docker.io/library/nginx 1.25.3 → 1.25.4, ghcr.io/acme/redis 7.2.1 → 7.4.0")


@pytest.mark.parametrize(
    ("field", "template", "message"),
    [
        ("title", "Update {image}", "unknown placeholder {image}"),
        ("title", "Update {group.__class__}", "stray '{'"),
        ("title", "Update {group:>999999}", "stray '{'"),
        ("title", "two\nlines", "one line"),
        ("body", "{table} }", "stray '}'"),
        ("branch", "image-updater/{summary}", "unknown placeholder {summary}"),
        ("branch", "image-updater/fixed", "must contain {group}"),
    ],
)
def test_bad_templates_are_config_errors(field: str, template: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message.replace("{", r"\{").replace("|", r"\|")):
        PullRequestSettings(**{field: template})


def test_settings_reject_contradictions_and_unknown_keys() -> None:
    with pytest.raises(ValidationError, match="draft and auto_merge"):
        PullRequestSettings(draft=True, auto_merge=True)
    with pytest.raises(ValidationError, match="extra"):
        PullRequestSettings(lables=["typo"])  # type: ignore[call-arg]
    with pytest.raises(ValidationError, match="only one of"):
        ForgeSettings(token_file="/t", token_env="T")
    with pytest.raises(ValidationError, match="extra"):
        ForgeSettings(token="inline-secrets-are-not-accepted")  # type: ignore[call-arg]
    assert PullRequestSettings(group_by="all", branch="image-updater/everything").branch == "image-updater/everything"


def test_branch_names_are_valid_refs_whatever_the_group() -> None:
    settings = PullRequestSettings()
    assert render_branch(settings, "docker.io/library/nginx") == "image-updater/docker.io/library/nginx"
    assert render_branch(settings, "localhost:5000/app") == "image-updater/localhost-5000/app"
    assert render_branch(settings, "../.hidden/x.lock") == "image-updater/-/hidden/x"
    assert render_branch(settings, "we b~1^{x}") == "image-updater/we-b-1-{x}"


@settings(max_examples=60, deadline=None)
@given(st.text(min_size=1, max_size=40))
def test_any_group_name_gives_a_ref_git_accepts(group: str) -> None:
    name = render_branch(PullRequestSettings(), group)
    checked = subprocess.run(["git", "check-ref-format", f"refs/heads/{name}"], capture_output=True)
    assert checked.returncode == 0, name


def test_groups() -> None:
    by_image, by_group, everything = (PullRequestSettings(group_by=g) for g in ("image", "group", "all"))
    assert group_for_image(by_image, "nginx", "web") == "nginx"
    assert group_for_image(by_group, "nginx", "web") == "web"
    assert group_for_image(by_group, "nginx", None) == "nginx"
    assert group_for_image(everything, "nginx", "web") == "all"


def test_closing_note_goes_on_top_of_the_old_body() -> None:
    assert closing_body("Superseded.", "table") == "Superseded.\n\n---\n\ntable"
    assert closing_body("Superseded.", "  ") == "Superseded."
