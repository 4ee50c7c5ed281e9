"""The hash-pinned locks the image is built from are current with pyproject.toml.

scripts/lock.sh writes requirements/runtime.lock and requirements/build.lock with a header line
``# inputs-sha256: <digest>`` of the requirement strings they were made from. When someone changes
the dependencies in pyproject.toml and forgets to re-run it, the digest here differs and the test
says which command fixes it. The digest's definition (one requirement per line, extras as
``[name] requirement``, the `test` extra left out) is the script's; both must change together.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.deploy.dockerfile import parse

ROOT = Path(__file__).resolve().parents[2]
LOCKS = {"runtime": ROOT / "requirements" / "runtime.lock", "build": ROOT / "requirements" / "build.lock"}
NOT_SHIPPED_EXTRAS = {"test"}
FIX = "run `bash scripts/lock.sh` and commit requirements/"


def lock_inputs(pyproject: dict[str, Any], name: str) -> list[str]:
    if name == "build":
        return list(pyproject["build-system"]["requires"])
    extras: dict[str, list[str]] = pyproject["project"].get("optional-dependencies", {})
    lines = list(pyproject["project"]["dependencies"])
    lines += [
        f"[{extra}] {req}" for extra, reqs in sorted(extras.items()) if extra not in NOT_SHIPPED_EXTRAS for req in reqs
    ]
    return lines


def inputs_digest(lines: list[str]) -> str:
    return hashlib.sha256(("\n".join(lines) + "\n").encode()).hexdigest()


def recorded_digest(lock_text: str) -> str:
    match = re.search(r"^# inputs-sha256: ([0-9a-f]{64})$", lock_text, flags=re.MULTILINE)
    assert match, "the lock has no inputs-sha256 header: " + FIX
    return match[1]


def pins(lock_text: str) -> dict[str, tuple[str, list[str]]]:
    """name → (version, hashes) for every ``name==version \\ --hash=…`` entry."""
    entries: dict[str, tuple[str, list[str]]] = {}
    for block in re.split(r"\n(?=[A-Za-z0-9])", lock_text):
        match = re.match(r"([A-Za-z0-9._-]+)==(\S+)", block)
        if match:
            entries[canonicalize_name(match[1])] = (match[2], re.findall(r"--hash=sha256:([0-9a-f]{64})", block))
    return entries


@pytest.fixture(scope="module")
def pyproject() -> dict[str, Any]:
    with open(ROOT / "pyproject.toml", "rb") as f:
        return tomllib.load(f)


@pytest.mark.parametrize("name", LOCKS)
def test_lock_was_made_from_the_current_pyproject(pyproject: dict[str, Any], name: str) -> None:
    recorded = recorded_digest(LOCKS[name].read_text())
    assert recorded == inputs_digest(lock_inputs(pyproject, name)), (
        f"{LOCKS[name].relative_to(ROOT)} is stale: pyproject.toml's dependencies changed; {FIX}"
    )


def test_a_dependency_change_is_noticed(pyproject: dict[str, Any]) -> None:
    """Guards the test above: adding, dropping or loosening a requirement changes the digest."""
    current = inputs_digest(lock_inputs(pyproject, "runtime"))
    added = pyproject["project"]["dependencies"] + ["multidict>=6"]
    dropped = pyproject["project"]["dependencies"][1:]
    changed = [d.replace(">=", ">", 1) for d in pyproject["project"]["dependencies"]]
    made_optional = {
        **pyproject,
        "project": {
            **pyproject["project"],
            "optional-dependencies": {**pyproject["project"].get("optional-dependencies", {}), "extra": ["x>=1"]},
        },
    }
    for deps in (added, dropped, changed):
        variant = {**pyproject, "project": {**pyproject["project"], "dependencies": deps}}
        assert inputs_digest(lock_inputs(variant, "runtime")) != current
    assert inputs_digest(lock_inputs(made_optional, "runtime")) != current
    # …while a change to the test extra, which the image does not ship, is not a lock change.
    test_only = {
        **pyproject,
        "project": {
            **pyproject["project"],
            "optional-dependencies": {**pyproject["project"]["optional-dependencies"], "test": ["pytest"]},
        },
    }
    assert inputs_digest(lock_inputs(test_only, "runtime")) == current


@pytest.mark.parametrize("name", LOCKS)
def test_every_requirement_is_pinned_with_hashes_and_satisfied(pyproject: dict[str, Any], name: str) -> None:
    entries = pins(LOCKS[name].read_text())
    assert entries, f"no pins found in {LOCKS[name]}"
    unhashed = [pkg for pkg, (_version, hashes) in entries.items() if not hashes]
    assert unhashed == [], f"pins without hashes: {unhashed}"
    for line in lock_inputs(pyproject, name):
        requirement = Requirement(line.split("] ", 1)[-1])
        if requirement.marker and not requirement.marker.evaluate(
            {"sys_platform": "linux", "platform_system": "Linux", "python_version": "3.11"}
        ):
            continue
        pinned = entries.get(canonicalize_name(requirement.name))
        assert pinned, f"{requirement.name} is required but not in {LOCKS[name].name}: {FIX}"
        assert requirement.specifier.contains(pinned[0], prereleases=True), (
            f"{requirement.name}=={pinned[0]} does not satisfy {requirement}: {FIX}"
        )


def test_the_dockerfile_installs_only_from_the_locks() -> None:
    builder = parse(ROOT / "Dockerfile").stage("builder")
    runs = " ".join(r.arguments for r in builder.of("RUN"))
    for name in LOCKS:
        assert f"--require-hashes --only-binary=:all: --no-deps -r requirements/{name}.lock" in runs
    # The project wheel is built without fetching a build backend and installed without resolving.
    assert "pip wheel --no-build-isolation --no-deps" in runs
    assert "pip install --no-index --no-deps /wheels/" in runs
    assert "pip check" in runs
