"""``image-updater test`` against a live registry: the chosen tag and a verdict for every tag."""

from __future__ import annotations

import pytest

from image_updater.cli import main
from tests.support.registry import RegistryServer


@pytest.fixture
def tagged(registry: RegistryServer) -> RegistryServer:
    with registry.pusher() as pusher:
        pusher.push_tags("team/web", ["v1.0.0", "v1.4.2", "v1.5.0-rc.1", "v2.0.0", "latest", "sha256-abc.sig"])
        pusher.push_index("team/web", "v1.4.3", ["linux/amd64"])
    return registry


def test_semver_policy_prints_choice_and_a_reason_per_tag(
    tagged: RegistryServer, capsys: pytest.CaptureFixture[str]
) -> None:
    image = f"{tagged.host}/team/web"
    assert main(["test", image, "--insecure", "--semver", "^1.0", "--current", "v1.0.0"]) == 0
    out = capsys.readouterr().out
    assert "chosen:  v1.4.3" in out
    lines = {line.split()[1]: line for line in out.splitlines() if line.startswith(("  take", "  skip"))}
    assert set(lines) == {"v1.0.0", "v1.4.2", "v1.4.3", "v1.5.0-rc.1", "v2.0.0", "latest", "sha256-abc.sig"}
    assert lines["v1.4.3"].startswith("  take")
    assert "pre-release" in lines["v1.5.0-rc.1"] and "range" in lines["v2.0.0"]


def test_platform_constraint_rejects_tags_without_it(
    tagged: RegistryServer, capsys: pytest.CaptureFixture[str]
) -> None:
    image = f"{tagged.host}/team/web"
    main(["test", image, "--insecure", "--semver", "^1.0", "--platform", "linux/arm64"])
    out = capsys.readouterr().out
    assert "chosen:  (none)" in out
    assert "linux/arm64" in out


def test_invalid_range_is_a_one_line_error(tagged: RegistryServer, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["test", f"{tagged.host}/team/web", "--insecure", "--semver", "latest"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("image-updater: command line") and "latest" in err and err.count("\n") == 1


def test_platforms_match_any_on_the_command_line(registry: RegistryServer, capsys: pytest.CaptureFixture[str]) -> None:
    with registry.pusher() as pusher:
        pusher.push_index("team/multi", "1.0.0", ["linux/amd64", "linux/arm64"])
        pusher.push_index("team/multi", "1.1.0", ["linux/arm64"])
    image = f"{registry.host}/team/multi"
    common = ["test", image, "--insecure", "--semver", "^1", "--platform", "linux/amd64", "--platform", "linux/arm64"]
    assert main([*common, "--platforms-match", "any"]) == 0
    out = capsys.readouterr().out
    assert "chosen:  1.1.0" in out
    assert main(common) == 0
    out = capsys.readouterr().out
    assert "chosen:  1.0.0" in out and "lacks platform linux/amd64 (platforms_match: all)" in out
    assert main(["test", image, "--insecure", "--platforms-match", "any"]) == 1
    assert "platforms_match: any needs platforms" in capsys.readouterr().err
