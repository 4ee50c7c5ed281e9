"""``plan`` for people and for CI, and nothing without effect passes in silence.

Each test runs the real command line against a real registry and a bare remote.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from image_updater.cli import main
from tests.support.gitrepo import BareRemote, make_remote
from tests.support.registry import RegistryServer

SCHEMA = json.loads((Path(__file__).resolve().parents[1] / "docs" / "plan.schema.json").read_text())
POD = "kind: Pod\nspec:\n  containers:\n  - name: {name}\n    image: {image}\n"


def _config(
    tmp_path: Path, registry: RegistryServer, remote: BareRemote, images: list[dict[str, Any]], **git: Any
) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "registries": [{"name": "local", "url": registry.url, "prefix": registry.host, "insecure": True}],
                "git": {"url": remote.url, "workdir": str(tmp_path / "checkout"), **git},
                "images": [{"image": f"{registry.host}/team/{i['name']}", **i} for i in images],
            }
        )
    )
    return path


@pytest.fixture
def repo(registry: RegistryServer, tmp_path: Path) -> tuple[RegistryServer, BareRemote]:
    with registry.pusher() as pusher:
        pusher.push_tags("team/web", ["1.0.0", "1.1.0"])
        pusher.push_tags("team/api", ["2.0.0"])
    host = registry.host
    remote = make_remote(
        tmp_path,
        {
            "apps/web.yaml": POD.format(name="web", image=f"{host}/team/web:1.0.0"),
            "apps/api.yaml": POD.format(name="api", image=f"{host}/team/api:2.0.0"),
            "apps/marker.yaml": f'image: {host}/team/web:1.0.0 # {{"$imagepolicy": "flux-system:gone"}}\n',
            "apps/argo.yaml": "kind: Application\nspec:\n  source:\n    helm:\n      values: |\n        image: x:1\n",
        },
    )
    return registry, remote


def test_nothing_without_effect_is_silent(
    repo: tuple[RegistryServer, BareRemote], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    registry, remote = repo
    images = [{"name": "web", "policy": {"semver": "^1.0"}}, {"name": "api"}, {"name": "cron"}]
    config = _config(tmp_path, registry, remote, images, paths=["apps", "missing", "envs/*"])
    assert main(["plan", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    notes = [line for line in out.splitlines() if line.startswith(("note:", "skipped"))]
    assert notes == [
        "skipped apps/argo.yaml:5 (argocd): helm.values is a string: images inside it cannot be edited in place; "
        "move them to helm.valuesObject or helm.parameters",
        "note: git.paths entry 'missing' does not exist in the checkout",
        "note: git.paths entry 'envs/*' is a glob: paths are folders or files of the repository, not patterns; "
        "list the folders instead",
        "note: apps/marker.yaml:1: marker names 'flux-system:gone', which no image entry of this target is named",
        f"note: image cron ({registry.host}/team/cron) is configured for this target, but no file under apps, "
        "missing, envs/* references it",
    ]
    assert main(["plan", "--config", str(config), "--image", "wbe"]) == 1
    assert "--image wbe names no configured image (known: api, cron, web)" in capsys.readouterr().err


def test_the_short_plan_has_a_summary_the_delivery_and_a_line_per_image(
    repo: tuple[RegistryServer, BareRemote], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    registry, remote = repo
    config = _config(
        tmp_path,
        registry,
        remote,
        [{"name": "web", "policy": {"semver": "^1.0"}}, {"name": "api"}],
        paths=["apps/web.yaml", "apps/api.yaml"],
    )
    assert main(["plan", "--config", str(config)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[:4] == [
        "2 images: 1 to update, 1 current, 0 errors",
        "delivery [all]: would-push",
        "  web  1.0.0 → 1.1.0  highest version in range '^1.0'  [apps/web.yaml:5]",
        "  api  2.0.0 = 2.0.0  already the highest version in range '*'  [apps/api.yaml:5]",
    ]


def test_an_image_at_two_versions_says_why_it_moves_and_why_the_other_version_stays(
    repo: tuple[RegistryServer, BareRemote],
    registry: RegistryServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Once the line took the reason of the last version in sort order: "→ 1.1.0  kept 9.0.0: …", as if
    # nothing moved. 9.0.0 (hand-written, above every tag) sorts after 1.0.0.
    _, remote = repo
    remote.commit_as_human(
        tmp_path, {"apps/pinned.yaml": POD.format(name="web", image=f"{registry.host}/team/web:9.0.0")}, "pin"
    )
    config = _config(
        tmp_path,
        registry,
        remote,
        [{"name": "web", "policy": {"semver": "*"}}],
        paths=["apps/web.yaml", "apps/pinned.yaml"],
    )
    assert main(["plan", "--config", str(config)]) == 0
    (line,) = [line for line in capsys.readouterr().out.splitlines() if line.startswith("  web ")]
    assert line == (
        "  web  1.0.0, 9.0.0 → 1.1.0  highest version in range '*'; kept 9.0.0: it orders above every candidate "
        "(best 1.1.0); set allow_downgrade to move down  [apps/web.yaml:5, apps/pinned.yaml:5]"
    )


def test_json_follows_its_schema_and_exit_codes_say_what_is_pending(
    repo: tuple[RegistryServer, BareRemote], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    registry, remote = repo
    config = _config(
        tmp_path,
        registry,
        remote,
        [{"name": "web", "policy": {"semver": "^1.0"}}, {"name": "api"}],
        paths=["apps/web.yaml", "apps/api.yaml"],
    )
    assert main(["plan", "--config", str(config), "--json", "--exit-code"]) == 2  # changes pending
    document = json.loads(capsys.readouterr().out)
    jsonschema.validate(document, SCHEMA)
    assert (document["version"], document["exit_code"]) == (1, 2)
    (target,) = document["targets"]
    web = next(i for i in target["images"] if i["name"] == "web")
    assert (web["status"], web["current"], web["chosen"]) == ("update", ["1.0.0"], "1.1.0")
    assert web["references"] == [{"path": "apps/web.yaml", "line": 5, "old": "1.0.0", "new": "1.1.0"}]
    assert "+    image: " in target["diff"] and target["delivery"][0]["action"] == "would-push"

    assert main(["run", "--once", "--config", str(config)]) == 0
    capsys.readouterr()
    assert main(["plan", "--config", str(config), "--exit-code"]) == 0  # nothing left to do
    capsys.readouterr()
    with registry.pusher() as pusher:
        pusher.push_tags("team/api", ["not-semver"])
    broken = _config(
        tmp_path, registry, remote, [{"name": "api", "policy": {"order": "numerical"}}], paths=["apps/api.yaml"]
    )
    assert main(["plan", "--config", str(broken), "--json", "--exit-code"]) == 1  # an error
    document = json.loads(capsys.readouterr().out)
    jsonschema.validate(document, SCHEMA)
    assert document["targets"][0]["images"][0]["status"] == "error"
