"""The settings file: config.example.yaml loads and documents every key, and every mistake names its place."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel
from ruamel.yaml import YAML

from image_updater.config import Settings, load_settings
from image_updater.errors import ConfigError
from tests.conftest import ROOT
from tests.support.config_keys import (
    documented_default,
    example_key_lines,
    field_at,
    missing_from_example,
    model_key_paths,
)

EXAMPLE = ROOT / "config.example.yaml"
MINIMAL = "git:\n  url: file:///srv/config.git\n"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    return path


def load_error(tmp_path: Path, text: str, environ: dict[str, str] | None = None) -> str:
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, text), environ=environ or {})
    return str(caught.value)


# --- config.example.yaml -----------------------------------------------------------------------------------


def test_example_loads_and_means_what_it_says() -> None:
    settings = load_settings(EXAMPLE, environ={})
    assert [r.name for r in settings.registries] == ["ghcr", "ecr", "local"]
    assert settings.registries[1].credentials_ttl == timedelta(hours=6)
    assert settings.git.write.pull_request.group_by == "image"
    assert settings.git.commit.signing is not None and settings.git.commit.signing.format == "ssh"
    kinds = {image.name: image.policy.kind for image in settings.images}
    assert kinds == {
        "web": "semver",
        "worker": "numerical",
        "nightly": "newest_build",
        "nginx": "digest",
        "backend": "semver",
    }
    assert settings.images[0].interval == 120.0
    assert settings.images[4].key_paths[0].files == ["apps/backend/values*.yaml"]
    assert settings.manifests.custom_resources[0].kind == "Workflow"
    assert settings.service.interval == 300.0
    assert [w.type for w in settings.service.webhooks] == ["distribution", "generic"]


def test_example_documents_every_settings_key() -> None:
    missing = missing_from_example(Settings, EXAMPLE.read_text())
    assert not missing, f"keys of the settings model missing from config.example.yaml: {', '.join(missing)}"


def test_drift_check_sees_nested_commented_and_missing_keys() -> None:
    paths = set(model_key_paths(Settings))
    # nested models, list item models and optional models are all walked
    assert {
        "git.commit.signing.key",
        "images.key_paths.files",
        "git.forge.github_app.app_id",
        "service.webhooks.signature_header",
        "images.policy.compatible_suffix",
        "images.allow",
    } <= paths
    text = EXAMPLE.read_text()
    commented = {path for _, path, is_comment in example_key_lines(text) if is_comment}
    assert {"git.forge.github_app.app_id", "registries.password_env", "git.token_env"} <= commented
    without = "\n".join(line for line in text.splitlines() if "signature_header:" not in line and "app_id:" not in line)
    assert sorted(missing_from_example(Settings, without)) == [
        "git.forge.github_app.app_id",
        "service.webhooks.signature_header",
    ]


def _comparable(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(exclude_defaults=True)
    if isinstance(value, timedelta):
        return f"{value.total_seconds():g}s"
    return value


def test_documented_defaults_are_the_real_defaults() -> None:
    yaml = YAML(typ="safe")
    checked = 0
    lines = EXAMPLE.read_text().splitlines()
    for number, path, commented in example_key_lines(EXAMPLE.read_text()):
        documented = documented_default(lines[number - 1])
        if commented or documented is None or documented.startswith(("inferred", "all ", "an ")):
            continue
        expected = None if documented == "none" else yaml.load(documented)
        actual = field_at(Settings, tuple(path.split("."))).get_default(call_default_factory=True)
        assert _comparable(actual) == expected, f"config.example.yaml:{number}: {path} default"
        checked += 1
    assert checked > 60


# --- loader errors -----------------------------------------------------------------------------------------


def test_unknown_key_names_file_line_and_dotted_key(tmp_path: Path) -> None:
    message = load_error(tmp_path, MINIMAL + "images:\n  - name: web\n    image: x/web\n    polcy: {}\n")
    assert str(tmp_path / "config.yaml") in message
    assert "line 6, images.0.polcy: unknown key (did you mean policy?)" in message


def test_wrong_type_names_file_line_and_key(tmp_path: Path) -> None:
    message = load_error(tmp_path, MINIMAL + "service:\n  port: eighty\n")
    assert message.startswith(f"{tmp_path / 'config.yaml'}: line 4, service.port: ")
    assert "valid integer" in message


def test_several_problems_in_one_line_in_file_order(tmp_path: Path) -> None:
    message = load_error(tmp_path, "git:\n  url: x\n  bogus: 1\nservice:\n  port: x\n")
    assert "\n" not in message
    assert message.index("line 3, git.bogus") < message.index("line 5, service.port")


def test_invalid_yaml_names_file_and_line(tmp_path: Path) -> None:
    message = load_error(tmp_path, "git:\n  url: x\n   branch: y\n")
    assert message.startswith(f"{tmp_path / 'config.yaml'}:3: not valid YAML")
    unclosed = load_error(tmp_path, "git:\n  url: [unclosed\n")
    assert "started on line 2" in unclosed


def test_duplicate_yaml_key_is_an_error(tmp_path: Path) -> None:
    assert "duplicate key" in load_error(tmp_path, MINIMAL + "  url: file:///other.git\n")


def test_invalid_semver_range_names_the_image_key(tmp_path: Path) -> None:
    message = load_error(tmp_path, MINIMAL + "images:\n  - name: web\n    image: x/web\n    policy: {semver: '^^1'}\n")
    assert "line 6, images.0.policy: invalid semver range '^^1'" in message


@pytest.mark.parametrize(
    ("rule", "key"),
    [("allow: '(['", "images.0.allow"), ("policy: {order: numerical, filter: '(['}", "images.0.policy")],
)
def test_invalid_regex_fails_at_load(tmp_path: Path, rule: str, key: str) -> None:
    message = load_error(tmp_path, MINIMAL + f"images:\n  - name: web\n    image: x/web\n    {rule}\n")
    assert f"line 6, {key}: " in message and "invalid regular expression '(['" in message


def test_tag_in_image_is_refused(tmp_path: Path) -> None:
    message = load_error(tmp_path, MINIMAL + "images:\n  - name: web\n    image: x/web:1.0\n")
    assert "line 5, images.0.image: 'x/web:1.0': give the repository only" in message


def test_invalid_image_name_is_a_config_error_with_line(tmp_path: Path) -> None:
    message = load_error(tmp_path, MINIMAL + "images:\n  - name: web\n    image: 'Not An Image'\n")
    assert "line 5, images.0.image: 'Not An Image' is not a valid image name" in message


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nope\.yaml: cannot read the settings file: No such file"):
        load_settings(tmp_path / "nope.yaml", environ={})


def test_missing_git_and_non_mapping_documents(tmp_path: Path) -> None:
    assert load_error(tmp_path, "").endswith("nothing to update: set git: (one repository) or targets: (several)")
    assert "top level must be a mapping" in load_error(tmp_path, "- a\n- b\n")


def test_commit_template_error_has_file_and_line(tmp_path: Path) -> None:
    message = load_error(tmp_path, MINIMAL + "  commit:\n    message: 'bump {image}'\n")
    assert f"{tmp_path / 'config.yaml'}: line 3, git.commit: commit message template is invalid" in message


def test_duplicate_registry_and_image_names(tmp_path: Path) -> None:
    registries = (
        "registries:\n  - {name: a, url: 'https://a.io', prefix: a.io}\n"
        "  - {name: a, url: 'https://b.io', prefix: b.io}\n"
    )
    assert "line 3, registries: two registries share the name 'a'" in load_error(tmp_path, MINIMAL + registries)
    images = "images:\n  - {name: web, image: x/a}\n  - {name: web, image: x/b}\n"
    assert "line 3, images: image name 'web' is used twice" in load_error(tmp_path, MINIMAL + images)


def test_managers_are_checked_against_the_engine(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, MINIMAL + "manifests: {managers: [keypath, helm]}\n"), environ={})
    assert settings.manifests.managers == ["keypath", "helm"]
    message = load_error(tmp_path, MINIMAL + "manifests: {managers: [kubernets]}\n")
    assert "manifests.managers: unknown manager kubernets; known: argocd, compose" in message


def test_image_interval_takes_durations(tmp_path: Path) -> None:
    settings = load_settings(
        write(tmp_path, MINIMAL + "images:\n  - {name: web, image: x/web, interval: 1h30m}\n"), environ={}
    )
    assert settings.images[0].interval == 5400.0


# --- environment overrides ---------------------------------------------------------------------------------


def test_process_environment_overrides_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMAGE_UPDATER_GIT__BRANCH", "prod")
    monkeypatch.setenv("IMAGE_UPDATER_SERVICE__PORT", "9999")
    settings = load_settings(write(tmp_path, MINIMAL + "  branch: main\nservice:\n  port: 8081\n"))
    assert (settings.git.branch, settings.service.port) == ("prod", 9999)
    assert settings.git.url == "file:///srv/config.git"  # the rest of the file stays


def test_override_of_a_list_entry_keeps_the_list(tmp_path: Path) -> None:
    text = MINIMAL + "images:\n  - {name: web, image: x/web}\n  - {name: api, image: x/api}\n"
    settings = load_settings(write(tmp_path, text), environ={"IMAGE_UPDATER_IMAGES__1__POLICY__SEMVER": "^2"})
    assert [i.name for i in settings.images] == ["web", "api"]
    assert settings.images[1].policy.semver == "^2" and settings.images[0].policy.semver == "*"


def test_lists_are_given_as_json(tmp_path: Path) -> None:
    environ = {
        "IMAGE_UPDATER_GIT__PATHS": '["apps", "infra"]',
        "IMAGE_UPDATER_REGISTRIES": '[{"name": "r", "url": "https://r.io", "prefix": "r.io"}]',
        "IMAGE_UPDATER_REGISTRIES__0__RETRIES": "1",
    }
    settings = load_settings(write(tmp_path, MINIMAL), environ=environ)
    assert settings.git.paths == ["apps", "infra"]
    assert [(r.name, r.retries) for r in settings.registries] == [("r", 1)]
    message = load_error(tmp_path, MINIMAL, {"IMAGE_UPDATER_GIT__PATHS": "apps"})
    assert message.startswith("environment variable IMAGE_UPDATER_GIT__PATHS: git.paths takes a JSON value")


def test_override_errors_name_the_variable(tmp_path: Path) -> None:
    message = load_error(tmp_path, MINIMAL + "service:\n  port: 8081\n", {"IMAGE_UPDATER_SERVICE__PORT": "abc"})
    assert "environment variable IMAGE_UPDATER_SERVICE__PORT, service.port: " in message
    assert "line" not in message  # the file's 8081 is not what failed
    assert (
        load_error(tmp_path, MINIMAL, {"IMAGE_UPDATER_GIT__BRNACH": "x"})
        == "environment variable IMAGE_UPDATER_GIT__BRNACH: git.brnach is not a settings key (did you mean BRANCH?)"
    )
    assert "the list has 0 entries" in load_error(tmp_path, MINIMAL, {"IMAGE_UPDATER_IMAGES__0__NAME": "x"})
    assert "address an entry by its index" in load_error(tmp_path, MINIMAL, {"IMAGE_UPDATER_IMAGES__WEB": "x"})


def test_model_error_mentions_the_variable_that_contributed(tmp_path: Path) -> None:
    text = MINIMAL + "registries:\n  - {name: r, url: 'https://r.io', prefix: r.io}\n"
    message = load_error(tmp_path, text, {"IMAGE_UPDATER_REGISTRIES__0__URL": "http://r.io"})
    assert "line 4, with IMAGE_UPDATER_REGISTRIES__0__URL, registries.0: " in message
    assert "plain http" in message


def test_foreign_prefixed_variables_are_ignored(tmp_path: Path) -> None:
    settings = load_settings(
        write(tmp_path, MINIMAL), environ={"IMAGE_UPDATER_SHARED": "/work/shared", "image_updater_git__branch": "lower"}
    )
    assert settings.git.branch == "lower"  # names match case-insensitively, as pydantic-settings did


def test_key_path_needs_a_tag_key(tmp_path: Path) -> None:
    text = MINIMAL + "images:\n  - name: web\n    image: x/web\n    key_paths:\n      - {digest: web.digest}\n"
    assert "line 7, images.0.key_paths.0: a key path needs `tag`" in load_error(tmp_path, text)


# --- settings shown in the docs and the chart --------------------------------------------------------------

SHOWN_IN = [
    "README.md",
    "docs/configuration.md",
    "docs/getting-started.md",
    "docs/registries.md",
    "docs/policies.md",
    "docs/webhooks.md",
    "docs/pull-requests.md",
    "docs/migrating.md",
]


def _shown_settings() -> list[tuple[str, dict[str, Any]]]:
    """Settings documents in the docs' YAML blocks (a `config:` of chart values counts; so does a
    `- name:` fragment of registries.md, read as a registries list) plus the chart's default `config`.

    Read as the loader reads (round-trip mode: YAML 1.2 as ruamel's safe mode is stricter about flow maps).
    """
    yaml = YAML(typ="rt")
    found: list[tuple[str, dict[str, Any]]] = []
    for name in SHOWN_IN:
        text = (ROOT / name).read_text()
        for number, block in enumerate(re.findall(r"```yaml\n(.*?)```", text, flags=re.DOTALL)):
            if block.startswith("  - name:"):
                block = "registries:\n" + block
            for document in yaml.load_all(block):
                settings = document.get("config", document) if isinstance(document, dict) else None
                if isinstance(settings, dict) and settings and set(settings) <= set(Settings.model_fields):
                    found.append((f"{name} yaml block {number + 1}", settings))
    values = yaml.load((ROOT / "charts" / "image-updater" / "values.yaml").read_text())
    found.append(("charts/image-updater/values.yaml config", values["config"]))
    return found


def test_settings_shown_in_docs_and_chart_load(tmp_path: Path) -> None:
    shown = _shown_settings()
    assert len(shown) >= 10
    failures = []
    for where, settings in shown:
        # snippets show one concern; give them the one required key they may leave out (unless they use targets)
        if "targets" not in settings or "git" in settings:
            settings = {**settings, "git": {"url": "https://github.com/acme/config.git", **settings.get("git", {})}}
        path = tmp_path / "shown.yaml"
        path.write_text(json.dumps(settings))
        try:
            load_settings(path, environ={})
        except ConfigError as exc:
            failures.append(f"{where}: {exc}")
    assert not failures, "\n".join(failures)


def test_pull_request_groups_that_would_share_a_branch_are_refused_at_load(tmp_path: Path) -> None:
    text = MINIMAL + (
        "  write: {mode: pull_request}\nimages:\n"
        "  - {name: 'a:b', image: reg.example/a}\n  - {name: a-b, image: reg.example/b}\n"
    )
    message = load_error(tmp_path, text)
    assert "git.write.pull_request.branch" in message and "'a:b'" in message and "'a-b'" in message


def test_a_registry_prefix_that_is_no_image_name_is_refused(tmp_path: Path) -> None:
    text = MINIMAL + "registries:\n  - {name: r, url: 'https://r.example', prefix: 'Bad Name'}\n"
    message = load_error(tmp_path, text)
    assert "line 4" in message and "registries.0.prefix" in message and "'Bad Name'" in message


def test_platforms_match_loads_and_needs_platforms(tmp_path: Path) -> None:
    image = "images:\n  - name: web\n    image: x/web\n"
    settings = load_settings(
        write(tmp_path, MINIMAL + image + "    platforms: [linux/amd64, linux/arm64]\n    platforms_match: any\n"),
        environ={},
    )
    assert (settings.images[0].platforms_match, load_settings(EXAMPLE, environ={}).images[0].platforms_match) == (
        "any",
        "all",
    )
    message = load_error(tmp_path, MINIMAL + image + "    platforms_match: any\n")
    assert "line 4, images.0: platforms_match: any needs platforms" in message
    assert "Input should be 'all' or 'any'" in load_error(tmp_path, MINIMAL + image + "    platforms_match: some\n")


# --- errors that say what to write instead -----------------------------------------------------------------

IMAGE = "images:\n  - name: web\n    image: ghcr.io/acme/web\n"


@pytest.mark.parametrize("value", ['"^1.0"', "'~2.3'", "1"])
def test_a_policy_written_as_a_string_shows_the_mapping(tmp_path: Path, value: str) -> None:
    message = load_error(tmp_path, MINIMAL + IMAGE + f"    policy: {value}\n")
    shown = value.strip("'\"")
    assert f"line 6, images.0.policy: policy is a mapping, e.g. policy: {{semver: '{shown}'}}" in message


@pytest.mark.parametrize(
    ("line", "hint"),
    [
        ("semver: '^1.0'", "write policy: {semver: '^1.0'}"),
        ("order: numerical", "write policy: {order: 'numerical'}"),
        ("filter: '^main-'", "write policy: {filter: '^main-'}"),
        ("extract: '$ts'", "write policy: {extract: '$ts'}"),
        ("newest_build: true", "write policy: {newest_build: true}"),
        ("digest: latest", "write policy: {digest: 'latest'}"),
        ("lenient: true", "write policy: {lenient: true}"),
        ("direction: desc", "write policy: {direction: 'desc'}"),
    ],
)
def test_a_policy_key_at_image_level_points_into_policy(tmp_path: Path, line: str, hint: str) -> None:
    message = load_error(tmp_path, MINIMAL + IMAGE + f"    {line}\n")
    key = line.split(":")[0]
    assert f"line 6, images.0.{key}: unknown key here; {key} is a key of policy: {hint}" in message


def test_a_key_one_level_too_high_elsewhere_names_its_section(tmp_path: Path) -> None:
    message = load_error(tmp_path, MINIMAL + "  mode: pull_request\n")
    assert "line 3, git.mode: unknown key here; mode is a key of write: write write: {mode: 'pull_request'}" in message


def test_a_regex_in_double_quotes_hints_single_quotes(tmp_path: Path) -> None:
    message = load_error(tmp_path, MINIMAL + IMAGE + '    allow: "^v\\d+\\.\\d+"\n')
    assert message.startswith(f"{tmp_path / 'config.yaml'}:6: not valid YAML: found unknown escape character 'd'")
    assert "write regular expressions in single quotes (allow: '^v\\d+')" in message


@pytest.mark.parametrize(
    ("line", "key"),
    [('allow: "\\bv1\\b"', "images.0.allow"), ('policy: {filter: "^v\\t", order: numerical}', "images.0.policy")],
)
def test_a_regex_whose_backslashes_yaml_ate_is_refused(tmp_path: Path, line: str, key: str) -> None:
    """``\\b`` and ``\\t`` are YAML escapes in double quotes: the file parses, the regex is not what was written."""
    message = load_error(tmp_path, MINIMAL + IMAGE + f"    {line}\n")
    assert f"line 6, {key}: " in message and "holds the control character" in message
    assert "write regular expressions in single quotes" in message
    single = line.replace('"', "'")
    load_settings(write(tmp_path, MINIMAL + IMAGE + f"    {single}\n"), environ={})  # as written, it loads


@pytest.mark.parametrize(
    ("image", "why"),
    [
        ("https://ghcr.io/acme/web", "image names have no scheme (https://); write 'ghcr.io/acme/web'"),
        ("ghcr.io/Acme/Web", "repository paths are lower case ('acme/web'; only the registry host may have capitals)"),
        ("ghcr.io/acme/web:1.4.0", "give the repository only, without a tag or digest"),
        ("ghcr.io/acme/web@sha256:" + "a" * 64, "give the repository only, without a tag or digest"),
        ("ghcr.io/acme//web", "empty path component"),
    ],
)
def test_an_invalid_image_name_says_why(tmp_path: Path, image: str, why: str) -> None:
    message = load_error(tmp_path, MINIMAL + f"images:\n  - name: web\n    image: '{image}'\n")
    assert "line 5, images.0.image: " in message and why in message


def test_git_url_with_credentials_is_refused_without_showing_them(tmp_path: Path) -> None:
    for url in ("https://bot:ghp_s3cret@github.com/acme/config.git", "https://ghp_s3cret@github.com/acme/config.git"):
        message = load_error(tmp_path, f"git:\n  url: {url}\n")
        assert "line 2, git.url: https://***@github.com/acme/config.git carries credentials" in message
        assert "git.token_file or git.token_env" in message and "ghp_s3cret" not in message
    for url in ("ssh://git@github.com/acme/config.git", "git@github.com:acme/config.git"):
        assert load_settings(write(tmp_path, f"git:\n  url: {url}\n"), environ={}).git.url == url


def test_a_token_for_a_plain_http_remote_needs_insecure(tmp_path: Path) -> None:
    text = "git:\n  url: http://git.internal/config.git\n  token_file: /run/token\n"
    message = load_error(tmp_path, text)
    assert "line 1, git: git.url http://git.internal/config.git is plain http" in message
    assert "the token (git.token_file) would travel in clear text; use https:// or set git.insecure: true" in message
    assert load_settings(write(tmp_path, text + "  insecure: true\n"), environ={}).git.insecure
    assert not load_settings(write(tmp_path, "git:\n  url: http://git.internal/config.git\n"), environ={}).git.insecure


@pytest.mark.parametrize("path", ["../x", "/etc", "apps/../../x", ".."])
def test_git_paths_outside_the_repository_are_refused(tmp_path: Path, path: str) -> None:
    message = load_error(tmp_path, MINIMAL + f"  paths: ['apps', '{path}']\n")
    assert f"line 3, git.paths: '{path}' is outside the repository" in message


def test_git_paths_inside_the_repository_load(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, MINIMAL + "  paths: ['.', 'apps/../infra', './clusters']\n"), environ={})
    assert settings.git.paths == [".", "apps/../infra", "./clusters"]
