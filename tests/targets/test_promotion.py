"""Promotion: production follows staging's files after a soak, by staging's Git history, within its own policy.

Staging's file gets 1.4.0 in a person's commit back-dated with ``GIT_COMMITTER_DATE``; production runs
in pull-request mode against a spec-checking fake forge.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.forge.conftest import ForgeRig, serve_rig
from tests.targets.conftest import Fleet, backdated_commit


@pytest.fixture
def github(tmp_path: Path) -> Iterator[ForgeRig]:
    yield from serve_rig("github", tmp_path)


def _promotion(fleet: Fleet, rig: ForgeRig, hours_ago: float) -> tuple[Any, Path]:
    fleet.push_tags("team/web", ["1.3.0", "1.4.0", "2.0.0"])
    remote, url = fleet.remote(
        "platform",
        {
            "envs/staging/web.yaml": fleet.deployment("web", "1.3.0"),
            "envs/prod/web.yaml": fleet.deployment("web", "1.3.0"),
        },
    )
    backdated_commit(
        remote,
        fleet.base,
        {"envs/staging/web.yaml": fleet.deployment("web", "1.4.0")},
        "deploy 1.4.0 to staging",
        hours_ago,
    )
    forge = {"kind": "github", "api_url": rig.api_url, "token_file": str(rig.token_file), "repository": "acme/config"}
    config = fleet.config(
        {
            "targets": [
                # staging itself stays where its range says: 1.4.0 (the person's deploy), not 2.0.0
                {"name": "staging", "git": {"url": url, "paths": ["envs/staging"]}},
                {
                    "name": "prod",
                    "git": {"url": url, "paths": ["envs/prod"], "forge": forge, "write": {"mode": "pull_request"}},
                    "images": [{"name": "web", "follow": {"target": "staging", "soak": "24h"}}],
                },
            ],
            "images": [fleet.image("web", semver="~1.3 || ~1.4")],
        }
    )
    return remote, config


def test_a_tag_staging_has_carried_past_the_soak_opens_productions_pull_request(fleet: Fleet, github: ForgeRig) -> None:
    remote, config = _promotion(fleet, github, hours_ago=25)
    result = fleet.cli("run", "--once", "--config", str(config))
    assert result.returncode == 0, result.stdout + result.stderr
    (pr,) = github.fake.open_prs()
    assert "1.4.0" in pr.title and pr.head == "image-updater/web"
    assert b"team/web:1.4.0" in remote.read("envs/prod/web.yaml", ref="image-updater/web")
    assert b"team/web:1.3.0" in remote.read("envs/prod/web.yaml")  # main waits for the review
    assert b"team/web:1.4.0" in remote.read("envs/staging/web.yaml")


def test_before_the_soak_nothing_is_opened_and_plan_says_what_it_waits_for(fleet: Fleet, github: ForgeRig) -> None:
    remote, config = _promotion(fleet, github, hours_ago=3)
    plan = fleet.cli("plan", "--config", str(config), "--target", "prod")
    assert plan.returncode == 0, plan.stdout + plan.stderr
    assert "waiting: staging has carried 1.4.0 for 3h of 24h" in plan.stdout
    result = fleet.cli("run", "--once", "--config", str(config))
    assert result.returncode == 0, result.stdout + result.stderr
    assert github.fake.open_prs() == [] and github.fake.calls("POST", r"/api/v3/repos/acme/config/pulls") == []
    assert remote.branches() == ["main"]
