"""Many places, one instance: several remotes and environments served by one ``run --once``."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from image_updater.config import load_settings
from image_updater.cycle import Updater
from image_updater.errors import ConfigError
from tests.targets.conftest import Fleet


def test_three_remotes_one_registry_one_run_all_updated_and_each_tag_list_asked_for_once(fleet: Fleet) -> None:
    fleet.push_tags("team/web", ["1.0.0", "1.1.0"])
    fleet.push_tags("team/api", ["2.0.0", "2.3.0"])
    targets = []
    remotes = []
    for name in ("shop", "blog", "wiki"):
        remote, url = fleet.remote(
            name,
            {"deploy/web.yaml": fleet.deployment("web", "1.0.0"), "deploy/api.yaml": fleet.deployment("api", "2.0.0")},
        )
        remotes.append(remote)
        targets.append({"name": name, "git": {"url": url, "author": {"name": "bot", "email": "bot@example.com"}}})
    config = fleet.config({"targets": targets, "images": [fleet.image("web"), fleet.image("api", semver="^2.0")]})

    result = fleet.cli("run", "--once", "--config", str(config))

    assert result.returncode == 0, result.stdout + result.stderr
    for remote in remotes:
        assert remote.log() == ["chore(images): update 2 images", "initial config"]
        assert b"team/web:1.1.0" in remote.read("deploy/web.yaml")
        assert b"team/api:2.3.0" in remote.read("deploy/api.yaml")
    # one listing per repository for the whole cycle, however many targets use it
    assert (fleet.tag_listings("team/web"), fleet.tag_listings("team/api")) == (1, 1)
    assert [line for line in result.stdout.splitlines() if line.startswith("== target")] == [
        "== target shop",
        "== target blog",
        "== target wiki",
    ]


ENVS = {"envs/staging/web.yaml": "1.0.0", "envs/prod/web.yaml": "1.0.0"}


def _envs(fleet: Fleet) -> tuple[object, str]:
    fleet.push_tags("team/web", ["1.0.0", "1.0.5", "1.1.0", "2.0.0-rc.1"])
    return fleet.remote("platform", {path: fleet.deployment("web", tag) for path, tag in ENVS.items()})


def test_staging_and_prod_entries_each_govern_their_own_paths(fleet: Fleet) -> None:
    """The defect this replaces: the first entry whose repository matched won in every file, and prod
    moved past its range. Bound by place, each environment gets its own policy."""
    remote, url = _envs(fleet)
    config = fleet.config(
        {
            "targets": [
                {"name": "staging", "git": {"url": url, "paths": ["envs/staging"]}, "images": ["web-staging"]},
                {"name": "prod", "git": {"url": url, "paths": ["envs/prod"]}, "images": ["web-prod"]},
            ],
            "images": [
                {
                    **fleet.image("web-staging"),
                    "image": f"{fleet.registry.host}/team/web",
                    "policy": {"semver": ">=1.0.0-0"},
                },
                {**fleet.image("web-prod"), "image": f"{fleet.registry.host}/team/web", "policy": {"semver": "~1.0"}},
            ],
        }
    )
    result = fleet.cli("run", "--once", "--config", str(config))
    assert result.returncode == 0, result.stdout + result.stderr
    assert b"team/web:2.0.0-rc.1" in remote.read("envs/staging/web.yaml")  # type: ignore[attr-defined]
    assert b"team/web:1.0.5" in remote.read("envs/prod/web.yaml")  # type: ignore[attr-defined]


def test_one_entry_with_a_per_target_override_does_the_same(fleet: Fleet) -> None:
    remote, url = _envs(fleet)
    config = fleet.config(
        {
            "targets": [
                {
                    "name": "staging",
                    "git": {"url": url, "paths": ["envs/staging"]},
                    "images": [{"name": "web", "policy": {"semver": ">=1.0.0-0"}}],
                },
                {"name": "prod", "git": {"url": url, "paths": ["envs/prod"]}},
            ],
            "images": [fleet.image("web", semver="~1.0")],
        }
    )
    result = fleet.cli("run", "--once", "--config", str(config))
    assert result.returncode == 0, result.stdout + result.stderr
    assert b"team/web:2.0.0-rc.1" in remote.read("envs/staging/web.yaml")  # type: ignore[attr-defined]
    assert b"team/web:1.0.5" in remote.read("envs/prod/web.yaml")  # type: ignore[attr-defined]


@pytest.mark.parametrize("scope", [{"staging": ["envs"], "prod": ["envs/prod"]}, {"staging": ["."], "prod": ["."]}])
def test_two_entries_that_could_govern_one_reference_are_refused_at_load(
    fleet: Fleet, scope: dict[str, list[str]]
) -> None:
    url = "git://127.0.0.1:1/platform.git"
    config = fleet.config(
        {
            "targets": [
                {"name": env, "git": {"url": url, "paths": paths}, "images": [f"web-{env}"]}
                for env, paths in scope.items()
            ],
            "images": [
                {**fleet.image(f"web-{env}"), "image": f"{fleet.registry.host}/team/web", "policy": {"semver": rng}}
                for env, rng in (("staging", ">=1.0.0-0"), ("prod", "~1.0"))
            ],
        }
    )
    with pytest.raises(ConfigError) as caught:
        load_settings(config, environ={})
    message = str(caught.value)
    shared = "envs/prod" if scope["prod"] == ["envs/prod"] else "."
    assert "images web-staging (target staging) and web-prod (target prod)" in message
    assert f"under {shared!r}" in message


def test_two_entries_on_one_repository_in_the_top_level_git_are_refused_too(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(
        "git: {url: 'file:///srv/config.git'}\nimages:\n"
        "  - {name: web-staging, image: reg.example/team/web, policy: {semver: '>=1.0.0-0'}}\n"
        "  - {name: web-prod, image: reg.example/team/web, policy: {semver: '~1.0'}}\n"
    )
    with pytest.raises(ConfigError, match=r"images web-staging \(target default\) and web-prod \(target default\)"):
        load_settings(config, environ={})


@pytest.mark.parametrize("differs", ["pin_digest: true", "platforms_match: any"])
def test_entries_that_differ_only_in_a_pin_or_the_platform_rule_are_refused_too(tmp_path: Path, differs: str) -> None:
    # Every selection rule counts: the second entry's setting would otherwise have no effect, silently.
    config = tmp_path / "config.yaml"
    config.write_text(
        "git: {url: 'file:///srv/config.git'}\nimages:\n"
        "  - {name: web-a, image: reg.example/team/web, platforms: [linux/amd64]}\n"
        f"  - {{name: web-b, image: reg.example/team/web, platforms: [linux/amd64], {differs}}}\n"
    )
    with pytest.raises(ConfigError, match=r"images web-a \(target default\) and web-b \(target default\)"):
        load_settings(config, environ={})


def test_a_webhook_for_one_image_runs_only_the_targets_that_use_it(fleet: Fleet) -> None:
    fleet.push_tags("team/web", ["1.0.0", "1.1.0"])
    fleet.push_tags("team/api", ["2.0.0", "2.1.0"])
    web, web_url = fleet.remote("web", {"web.yaml": fleet.deployment("web", "1.0.0")})
    api, api_url = fleet.remote("api", {"api.yaml": fleet.deployment("api", "2.0.0")})
    settings = load_settings(
        fleet.config(
            {
                "targets": [
                    {"name": "web", "git": {"url": web_url}, "images": ["web"]},
                    {"name": "api", "git": {"url": api_url}, "images": ["api"]},
                ],
                "images": [fleet.image("web"), fleet.image("api", semver="^2.0")],
            }
        ),
        environ={},
    )

    async def cycle() -> list[str]:
        updater = Updater(settings)
        try:
            report = await updater.run_cycle(frozenset({"api"}))
        finally:
            await updater.aclose()
        return list(report.targets)

    assert asyncio.run(cycle()) == ["api"]
    assert web.log() == ["initial config"] and api.log()[0] == "chore(images): update 1 image"
    assert fleet.tag_listings("team/web") == 0


def test_plan_names_its_targets_and_can_be_narrowed_to_one(fleet: Fleet) -> None:
    fleet.push_tags("team/web", ["1.0.0", "1.1.0"])
    a, a_url = fleet.remote("a", {"web.yaml": fleet.deployment("web", "1.0.0")})
    b, b_url = fleet.remote("b", {"web.yaml": fleet.deployment("web", "1.0.0")})
    config = fleet.config(
        {
            "targets": [{"name": "a", "git": {"url": a_url}}, {"name": "b", "git": {"url": b_url}}],
            "images": [fleet.image("web")],
        }
    )
    only_b = fleet.cli("plan", "--config", str(config), "--target", "b")
    assert only_b.returncode == 0, only_b.stderr
    assert "== target b" in only_b.stdout and "== target a" not in only_b.stdout
    assert "1.0.0 → 1.1.0" in only_b.stdout and "+          image: " in only_b.stdout
    unknown = fleet.cli("plan", "--config", str(config), "--target", "c")
    assert unknown.returncode == 1 and "no target is named c (known: a, b)" in unknown.stderr
    assert a.log() == b.log() == ["initial config"]  # plan writes nothing
