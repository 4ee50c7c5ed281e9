"""The feature test of ``sources: [flux, argocd]`` (issue #13), over every golden folder of testdata/.

Each scenario runs for real, as tests/sources/README.md "How to consume a folder" describes: its tags
pushed to real ``docker-registry`` processes, its repository committed to a bare remote, its config.yaml
(no ``images:``) filled in; then ``image-updater sources --format json``, ``plan`` and ``run --once`` twice,
through the CLI in this process. What they print and what lands on the remote is compared with
expected.yaml: the policies and where they came from, every finding (no more, no fewer), what is not
served, the tags chosen, the exact bytes of created and edited files, and each commit's branch, author,
files and message.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator, Mapping
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from image_updater.cli import main
from image_updater.manifests import KeyPathSettings
from image_updater.policy import PolicySpec
from tests.conftest import require_shared
from tests.sources import golden
from tests.support.gitrepo import BareRemote, git, make_remote
from tests.support.registry import RegistryServer, start_registry

#: expected.yaml names the configuration's own target "config"; the cycle calls the top-level git: "default".
CONFIG_TARGET = "default"


def _target(name: str) -> str:
    return CONFIG_TARGET if name == "config" else name


def _registries(stack: ExitStack, scenario: golden.Scenario) -> dict[str, RegistryServer]:
    servers = {"main": start_registry()}
    stack.callback(servers["main"].stop)
    for name, spec in (scenario.registry.get("servers") or {}).items():
        auth = spec.get("htpasswd")
        servers[name] = start_registry(htpasswd=(auth["username"], auth["password"]) if auth else None)
        stack.callback(servers[name].stop)
    return servers


def _push(servers: Mapping[str, RegistryServer], scenario: golden.Scenario) -> dict[tuple[str, str], str]:
    digests: dict[tuple[str, str], str] = {}
    for repo in scenario.registry.get("repositories") or []:
        _, path = golden.registry_path(repo["name"])
        created = repo.get("created") or {}
        platforms = repo.get("platforms") or {}
        with servers[repo.get("server", "main")].pusher() as pusher:
            for tag in repo["tags"]:
                when = created.get(tag, golden.DEFAULT_CREATED)
                if tag in platforms:
                    pushed = pusher.push_index(path, tag, platforms[tag], created=when)
                else:
                    pushed = pusher.push_image(path, tag, created=when)
                digests[(path, tag)] = pushed.digest
    return digests


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(argv)
    out = capsys.readouterr()
    return code, out.out + out.err


def _heads(remote: BareRemote) -> dict[str, str]:
    return {branch: remote.rev(branch) for branch in remote.branches()}


def _commits(remote: BareRemote, since: str, branch: str) -> list[dict[str, Any]]:
    shas = git(remote.path, "rev-list", "--reverse", f"{since}..{branch}").split()
    out = []
    for sha in shas:
        out.append(
            {
                "sha": sha,
                "parent": git(remote.path, "rev-parse", f"{sha}^"),
                "author": {
                    "name": git(remote.path, "log", "-1", "--format=%an", sha),
                    "email": git(remote.path, "log", "-1", "--format=%ae", sha),
                },
                "message": git(remote.path, "cat-file", "commit", sha).split("\n\n", 1)[1],
                "files": sorted(git(remote.path, "diff-tree", "--no-commit-id", "--name-only", "-r", sha).split()),
            }
        )
    return out


@pytest.fixture
def scenario_run(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    scenario = golden.load(request.param)
    corpus = require_shared("corpus") if scenario.requires_corpus else None
    with ExitStack() as stack:
        servers = _registries(stack, scenario)
        digests = _push(servers, scenario)
        files = golden.assemble_repo(scenario, tmp_path / "assembled", corpus)
        remote = make_remote(tmp_path, files)
        values = {
            "GIT_URL": remote.url,
            "WORKDIR": str(tmp_path / "checkout"),
            "SECRETS_DIR": str(tmp_path / "secrets"),
        }
        for name, server in servers.items():
            values[f"REGISTRY_URL:{name}"] = server.url
            values[f"REGISTRY_HOST:{name}"] = server.host
        values["REGISTRY_URL"] = servers["main"].url
        base = (
            scenario.path
            if (scenario.path / "secrets").is_dir()
            else golden.TESTDATA / str(scenario.expected.get("repo_from") or scenario.name)
        )
        if (base / "secrets").is_dir():
            for source in (base / "secrets").rglob("*"):
                if source.is_file():
                    target = tmp_path / "secrets" / source.relative_to(base / "secrets")
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_text(golden.fill(source.read_text(), values))
        (tmp_path / "config.yaml").write_text(golden.fill(scenario.config_text, values))
        monkeypatch.chdir(tmp_path)  # config.yaml:LINE, as expected.yaml cites the settings file
        yield scenario, files, remote, digests, values


def _policy_problems(expected: dict[str, Any], mine: dict[str, Any], values: Mapping[str, str]) -> list[str]:
    name = expected["image"]
    out = []
    origin = expected["from"]
    if origin.get("source") != "config" and (mine["file"], mine["line"]) != (origin["file"], origin["line"]):
        out.append(f"{name}: from {mine['file']}:{mine['line']}, expected {origin['file']}:{origin['line']}")
    if mine["plan"] != expected["plan"]:
        out.append(f"{name}: plan line {mine['plan']!r}, expected {expected['plan']!r}")
    if mine["status"] != expected.get("status", "served"):
        out.append(
            f"{name}: status {mine['status']!r} ({mine['reason']}), expected {expected.get('status', 'served')!r}"
        )
    if set(mine["served_by"]) != {_target(t) for t in expected.get("served_by") or []}:
        out.append(f"{name}: served by {mine['served_by']}, expected {expected.get('served_by')}")
    cited = {(c["file"], c["line"]) for c in mine["contributes"]}
    for extra in expected.get("contributes") or []:
        if (extra["file"], extra["line"]) not in cited:
            out.append(f"{name}: {extra['file']}:{extra['line']} not among the lines cited as contributing")
    maps, new = mine["maps_to"], mine["new_settings"]
    for key, want in (expected.get("maps_to") or {}).items():
        got = maps.get(key)
        if key == "policy":
            same = got is not None and PolicySpec(**got).model_dump() == PolicySpec(**want).model_dump()
        elif key == "key_paths":
            same = [KeyPathSettings(**k).model_dump() for k in got or []] == [
                KeyPathSettings(**k).model_dump() for k in want
            ]
        else:
            same = got == want
        if not same:
            out.append(f"{name}: maps_to.{key} is {got!r}, expected {want!r}")
    wanted = expected.get("new_settings") or {}
    checks: dict[str, tuple[Any, Any]] = {
        "exclude": (maps.get("exclude"), wanted.get("exclude")),
        "platforms": (maps.get("platforms"), wanted.get("platforms")),
        "platforms_match": (maps.get("platforms_match"), wanted.get("platforms_match")),
        "pin_digest": (maps.get("pin_digest"), True if wanted.get("pin_digest") else None),
        "force_update": (new.get("force_update"), wanted.get("force_update")),
        "scope": (new.get("scope"), wanted.get("scope")),
        "write_back.file": ((new.get("write_back") or {}).get("file"), (wanted.get("write_back") or {}).get("file")),
        "write_back.format": (
            (new.get("write_back") or {}).get("format"),
            (wanted.get("write_back") or {}).get("format"),
        ),
        "current_from": (new.get("current_from"), wanted.get("current_from")),
    }
    registry = wanted.get("registry")
    if registry:
        got = new.get("registry") or {}
        checks["registry"] = (
            (got.get("prefix"), got.get("credentials")),
            (registry["prefix"], golden.fill(registry["credentials"], values)),
        )
    for key, (got, want) in checks.items():
        if want is not None and got != want:
            out.append(f"{name}: {key} is {got!r}, expected {want!r}")
    return out


def _sources_problems(scenario: golden.Scenario, report: dict[str, Any], values: Mapping[str, str]) -> list[str]:
    exp = scenario.expected
    out: list[str] = []
    policies = {p["image"]: p for p in report["policies"]}
    for expected in exp.get("policies") or []:
        mine = policies.get(expected["image"])
        if mine is None:
            out.append(f"policy {expected['image']} not listed (listed: {sorted(policies)})")
        else:
            out += _policy_problems(expected, mine, values)
    targets = {t["id"]: t for t in report["targets"]}
    for expected in exp.get("targets") or []:
        mine = targets.get(_target(expected["id"]))
        if mine is None:
            out.append(f"target {expected['id']} not listed (listed: {sorted(targets)})")
            continue
        for key in ("checkout_branch", "push_branch", "paths", "author"):
            if key in expected and mine[key] != expected[key]:
                out.append(f"target {expected['id']}: {key} is {mine[key]!r}, expected {expected[key]!r}")
        if "images" in expected and set(mine["images"]) != set(expected["images"]):
            out.append(f"target {expected['id']}: images {mine['images']}, expected {expected['images']}")
        if "from" in expected and (mine.get("file"), mine.get("line")) != (
            expected["from"]["file"],
            expected["from"]["line"],
        ):
            out.append(f"target {expected['id']}: from {mine.get('file')}:{mine.get('line')}")
    if "findings" in exp or not exp.get("repo_from"):
        findings = list(report["findings"])
        for expected in exp.get("findings") or []:
            match = next(
                (
                    f
                    for f in findings
                    if (f["file"], f["line"], f["severity"], f["object"])
                    == (expected["file"], expected["line"], expected["severity"], expected["object"])
                    and f["field"] == expected.get("field", f["field"])
                    and expected["says"] in f["message"]
                ),
                None,
            )
            if match is None:
                out.append(f"finding not reported: {expected}")
            else:
                findings.remove(match)
        out += [f"finding not expected: {f}" for f in findings]
    for expected in exp.get("not_served") or []:
        if not any(
            (n["file"], n["line"], n["object"]) == (expected["file"], expected["line"], expected["object"])
            and expected["says"] in n["message"]
            for n in report["not_served"]
        ):
            out.append(f"not reported as not served: {expected} (reported: {report['not_served']})")
    return out


def _expected_after(
    scenario: golden.Scenario, files: Mapping[str, bytes], digests: Mapping[tuple[str, str], str]
) -> dict[str, bytes]:
    exp = scenario.expected
    after = golden.apply_changes(files, exp.get("changes") or [], digests)
    for entry in [*(exp.get("created") or []), *(exp.get("edited_exactly") or [])]:
        after[entry["file"]] = golden.fill_digests((scenario.path / entry["expected"]).read_text(), digests).encode()
    return after


def _plan_problems(
    scenario: golden.Scenario,
    output: str,
    files: Mapping[str, bytes],
    after: Mapping[str, bytes],
    digests: Mapping[tuple[str, str], str],
) -> list[str]:
    exp = scenario.expected
    out = []
    lines = output.splitlines()
    for policy in exp.get("policies") or []:
        if policy["plan"] not in output:
            out.append(f"plan does not print {policy['plan']!r}")
    for change in exp.get("changes") or []:
        before = files[change["file"]].decode().split("\n")[change["line"] - 1]
        new = after[change["file"]].decode().split("\n")[change["line"] - 1]
        if f"-{before}" not in lines or f"+{new}" not in lines:
            out.append(f"plan's diff lacks {change['file']}:{change['line']}: -{before!r} +{new!r}")
    for entry in exp.get("created") or []:
        if f"+++ b/{entry['file']}" not in lines or any(
            f"+{line}" not in lines for line in after[entry["file"]].decode().splitlines()
        ):
            out.append(f"plan's diff does not create {entry['file']} with its expected content")
    for entry in exp.get("unchanged") or []:
        says = entry.get("says")
        if says is None:
            continue
        place = f"{entry['file']}:{entry['line']}"
        if not any(says in line and (place in line or str(entry["value"]) in line) for line in lines):
            out.append(f"plan says nothing containing {says!r} about {place} ({entry['value']})")
    return out


def _delivery_problems(
    scenario: golden.Scenario,
    remote: BareRemote,
    before: Mapping[str, str],
    files: Mapping[str, bytes],
    after: Mapping[str, bytes],
    digests: Mapping[tuple[str, str], str],
) -> list[str]:
    out = []
    initial = before["main"]
    by_branch: dict[str, list[dict[str, Any]]] = {}
    for commit in scenario.expected.get("commits") or []:
        by_branch.setdefault(commit["branch"], []).append(commit)
    heads = _heads(remote)
    if set(heads) != set(before) | set(by_branch):
        out.append(f"branches on the remote: {sorted(heads)}")
    for branch in heads:
        if branch not in by_branch and heads[branch] != before.get(branch):
            out.append(f"branch {branch} moved without an expected commit")
    for branch, expected in by_branch.items():
        origin = expected[0].get("created_from")
        if origin is not None and branch in before:
            out.append(f"{branch} existed before the run")
        since = origin if origin is not None else before[branch]
        commits = _commits(remote, since, branch) if branch in heads else []
        if len(commits) != len(expected):
            out.append(f"{branch}: {len(commits)} new commits, expected {len(expected)}")
            continue
        if origin is not None and commits[0]["parent"] != heads[origin]:
            out.append(f"{branch}: first commit's parent is not the tip of {origin}")
        for got, want in zip(commits, expected, strict=True):
            if got["author"] != want["author"]:
                out.append(f"{branch} {want['target']}: author {got['author']}, expected {want['author']}")
            if got["files"] != sorted(want["files"]):
                out.append(f"{branch} {want['target']}: files {got['files']}, expected {sorted(want['files'])}")
            if "message" in want:
                message = golden.fill_digests(want["message"], digests)
                if got["message"].rstrip("\n") != message.rstrip("\n"):
                    out.append(f"{branch} {want['target']}: message\n{got['message']!r}\nexpected\n{message!r}")
            for part in want.get("message_contains") or []:
                if part not in got["message"]:
                    out.append(f"{branch} {want['target']}: message lacks {part!r}:\n{got['message']}")
    for branch, head in heads.items():
        touched = git(remote.path, "diff", "--name-only", initial, head).split()
        for rel in touched:
            if rel not in after or after[rel] == files.get(rel):
                out.append(f"{branch}: {rel} changed, but no expected change touches it")
            elif remote.read(rel, branch) != after[rel]:
                out.append(
                    f"{branch}: {rel} holds\n{remote.read(rel, branch).decode()}\nexpected\n{after[rel].decode()}"
                )
    return out


@pytest.mark.parametrize("scenario_run", golden.scenario_names(), indirect=True)
def test_golden_scenario_through_sources_plan_and_run(scenario_run: Any, capsys: pytest.CaptureFixture[str]) -> None:
    scenario, files, remote, digests, values = scenario_run
    run = scenario.expected["run"]
    errors = any(f["severity"] == "error" for f in scenario.expected.get("findings") or [])

    code, output = _run(["sources", "--config", "config.yaml", "--format", "json"], capsys)
    report = json.loads(output[: output.rindex("}") + 1])
    assert code == (1 if errors else 0), output
    assert _sources_problems(scenario, report, values) == []

    before = _heads(remote)
    after = _expected_after(scenario, files, digests)
    code, output = _run(["plan", "--config", "config.yaml"], capsys)
    assert code == run["plan_exit"], output
    assert _plan_problems(scenario, output, files, after, digests) == [], output
    assert _heads(remote) == before, "plan pushed something"

    code, output = _run(["run", "--once", "--config", "config.yaml"], capsys)
    assert code == run["run_exit"], output
    assert _delivery_problems(scenario, remote, before, files, after, digests) == [], output

    settled = _heads(remote)
    code, output = _run(["run", "--once", "--config", "config.yaml"], capsys)
    assert code == run["run_exit"], output
    moved = {b: h for b, h in _heads(remote).items() if settled.get(b) != h}
    new = sum(len(git(remote.path, "rev-list", f"{settled[b]}..{h}").split()) for b, h in moved.items())
    assert new == run["second_run_commits"], output
    shutil.rmtree(Path("checkout"), ignore_errors=True)


@pytest.mark.parametrize("scenario_run", ["flux-guide"], indirect=True)
def test_plan_image_takes_the_names_of_images_the_sources_found(
    scenario_run: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    code, output = _run(["plan", "--config", "config.yaml", "--image", "flux-system:podinfo"], capsys)
    assert code == 0, output
    assert "flux-system:podinfo" in output and "5.0.3" in output
    code, output = _run(["plan", "--config", "config.yaml", "--image", "flux-system:nothing"], capsys)
    assert code == 1
    assert "--image flux-system:nothing names no configured image" in output
