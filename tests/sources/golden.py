"""The golden folders under ``tests/sources/testdata``: loading them, and checking them against themselves.

THIS IS NOT THE FEATURE TEST. It is the start of it: ``test_golden_selfcheck.py`` runs these checks so the
data can be trusted before `sources:` (issue #13) exists. The implementer adds the real run (push
``registry.yaml``, commit ``repo/`` to a bare remote, run ``plan``/``sources``/``run --once``, compare with
``expected.yaml``) on top of :func:`load`, :func:`assemble_repo`, :func:`fill` and :func:`apply_changes`.
The format of every file is described in ``tests/sources/README.md``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

TESTDATA = Path(__file__).resolve().parent / "testdata"
FORMAT = "image-updater/sources-golden/v1"
DEFAULT_CREATED = "2024-01-01T00:00:00Z"
DEFAULT_PLATFORM = "linux/amd64"
PLACEHOLDER = re.compile(r"\$\{([A-Z_]+)(?::([a-z0-9-]+))?\}")
KNOWN_PLACEHOLDERS = {"REGISTRY_URL", "REGISTRY_HOST", "GIT_URL", "WORKDIR", "SECRETS_DIR"}
DIGEST_PLACEHOLDER = re.compile(r"\$\{digest:([^:}]+):([^}]+)\}")

EXPECTED_KEYS = {
    "format",
    "description",
    "documented_by",
    "requires",
    "repo_from",
    "run",
    "policies",
    "targets",
    "findings",
    "changes",
    "unchanged",
    "created",
    "edited_exactly",
    "commits",
    "not_served",
}
POLICY_KEYS = {
    "image",
    "from",
    "repository_from",
    "contributes",
    "maps_to",
    "new_settings",
    "plan",
    "served_by",
    "expect",
    "status",
    "not_found",
}
CHANGE_KEYS = {"file", "line", "old", "new", "image", "target", "why"}
FINDING_KEYS = {"file", "line", "at", "severity", "object", "field", "says"}
COMMIT_KEYS = {"branch", "created_from", "target", "author", "files", "message", "message_contains"}
SEVERITIES = {"error", "warning", "info"}


@dataclass
class Scenario:
    name: str
    path: Path
    expected: dict[str, Any]
    registry: dict[str, Any]
    config_text: str
    repo_dirs: list[Path] = field(default_factory=list)
    corpus_spec: dict[str, Any] | None = None

    @property
    def requires_corpus(self) -> bool:
        return "corpus" in (self.expected.get("requires") or []) or self.corpus_spec is not None


def scenario_names() -> list[str]:
    return sorted(p.name for p in TESTDATA.iterdir() if (p / "expected.yaml").is_file())


def load(name: str) -> Scenario:
    path = TESTDATA / name
    expected = yaml.safe_load((path / "expected.yaml").read_text())
    base = path
    if expected.get("repo_from"):  # a variant of another scenario: same repo/ and registry.yaml
        base = TESTDATA / expected["repo_from"]
    registry = yaml.safe_load((base / "registry.yaml").read_text())
    corpus_file = base / "repo.corpus.yaml"
    return Scenario(
        name,
        path,
        expected,
        registry,
        (path / "config.yaml").read_text(),
        [base / "repo"],
        yaml.safe_load(corpus_file.read_text()) if corpus_file.exists() else None,
    )


def repo_files(scenario: Scenario) -> Iterator[tuple[str, Path]]:
    for root in scenario.repo_dirs:
        for file in sorted(root.rglob("*")):
            if file.is_file():
                yield file.relative_to(root).as_posix(), file


def assemble_repo(scenario: Scenario, dest: Path, corpus_root: Path | None) -> dict[str, bytes]:
    """Write the config repository as the user has it into ``dest``: ``repo/`` plus the corpus files
    ``repo.corpus.yaml`` names (read from the shared corpus at test time, never stored here), with the
    user's edits applied. Returns path -> bytes."""
    files: dict[str, bytes] = {rel: src.read_bytes() for rel, src in repo_files(scenario)}
    if scenario.corpus_spec is not None:
        assert corpus_root is not None, "this scenario needs the shared corpus"
        for entry in scenario.corpus_spec["files"]:
            data = (corpus_root / entry["corpus"]).read_bytes()
            digest = hashlib.sha256(data).hexdigest()
            assert digest == entry["sha256"], f"{entry['corpus']} changed: sha256 {digest}"
            files[entry["path"]] = apply_line_edits(data, entry.get("edits") or [], entry["path"])
    for rel, data in files.items():
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return files


def is_helm_template(rel: str, files: Mapping[str, bytes]) -> bool:
    """A file under ``templates/`` of a chart (a folder holding Chart.yaml)."""
    parts = rel.split("/")
    return any(
        parts[i] == "templates" and "/".join([*parts[:i], "Chart.yaml"]).lstrip("/") in files
        for i in range(len(parts) - 1)
    )


def apply_line_edits(data: bytes, edits: list[dict[str, Any]], where: str) -> bytes:
    lines = data.decode().split("\n")
    for edit in edits:
        index = edit["line"] - 1
        if "expect" in edit:
            assert lines[index] == edit["expect"], f"{where}:{edit['line']}: {lines[index]!r} != {edit['expect']!r}"
        lines[index] = lines[index] + edit["append"]
    return "\n".join(lines).encode()


def fill(text: str, values: Mapping[str, str]) -> str:
    """Replace ``${NAME}`` / ``${NAME:server}`` placeholders (config.yaml, secrets/) with test values."""

    def one(match: re.Match[str]) -> str:
        key = match.group(1) if match.group(2) is None else f"{match.group(1)}:{match.group(2)}"
        return values[key]

    return PLACEHOLDER.sub(one, text)


def fill_digests(text: str, digests: Mapping[tuple[str, str], str]) -> str:
    """``${digest:REPOSITORY:TAG}`` in expected values -> the manifest digest the push produced."""
    return DIGEST_PLACEHOLDER.sub(lambda m: digests[(m.group(1), m.group(2))], text)


def registry_path(name: str) -> tuple[str, str]:
    """``ghcr.io/acme/web`` -> ("ghcr.io", "acme/web"); ``redis`` -> ("docker.io", "library/redis")."""
    first, _, rest = name.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        host, path = first, rest
    else:
        host, path = "docker.io", name
    if host in ("docker.io", "index.docker.io") and "/" not in path:
        path = f"library/{path}"
    return host, path


def apply_changes(
    files: Mapping[str, bytes], changes: list[dict[str, Any]], digests: Mapping[tuple[str, str], str] | None = None
) -> dict[str, bytes]:
    """What the pushed tree must hold: on each change's line, its first ``old`` replaced by ``new``."""
    result = dict(files)
    by_file: dict[str, list[dict[str, Any]]] = {}
    for change in changes:
        by_file.setdefault(change["file"], []).append(change)
    for rel, edits in by_file.items():
        lines = result[rel].decode().split("\n")
        for change in edits:
            index = change["line"] - 1
            new = fill_digests(change["new"], digests) if digests else change["new"]
            assert change["old"] in lines[index], f"{rel}:{change['line']}: {change['old']!r} not on the line"
            lines[index] = lines[index].replace(change["old"], new, 1)
        result[rel] = "\n".join(lines).encode()
    return result


# --- self-checks -------------------------------------------------------------------------------------


def problems(scenario: Scenario, corpus_root: Path | None, workdir: Path) -> list[str]:
    """Everything wrong with one golden folder, as messages (empty when it is consistent)."""
    out: list[str] = []
    exp = scenario.expected
    out += _schema(exp)
    out += _registry_problems(scenario.registry)
    out += _config_problems(scenario)
    repo = workdir / "repo"
    files = assemble_repo(scenario, repo, corpus_root)
    for rel, data in files.items():
        if is_helm_template(rel, files):
            continue  # Go templates, not YAML
        if rel.endswith((".yaml", ".yml")) or rel.endswith("Kustomization"):
            try:
                list(yaml.safe_load_all(data))
            except yaml.YAMLError as exc:
                out.append(f"repo/{rel}: not YAML: {exc}")
    out += _line_problems(exp, {**files, "config.yaml": scenario.config_text.encode()})
    digests = fake_digests(scenario.registry)
    try:
        after = apply_changes(files, exp.get("changes") or [], digests)
    except AssertionError as exc:
        return [*out, str(exc)]
    for entry in exp.get("edited_exactly") or []:
        want = fill_digests((scenario.path / entry["expected"]).read_text(), digests).encode()
        if entry["file"] not in files:
            out.append(f"edited_exactly {entry['file']}: not in repo/")
        elif after[entry["file"]] != want:
            out.append(f"edited_exactly {entry['file']}: the changes' lines do not produce {entry['expected']}")
    for entry in exp.get("created") or []:
        if entry["file"] in files:
            out.append(f"created {entry['file']}: already in repo/")
        text = fill_digests((scenario.path / entry["expected"]).read_text(), digests)
        out += _argocd_source_problems(entry, text)
        after[entry["file"]] = text.encode()
    for rel, data in after.items():
        if rel.endswith((".yaml", ".yml")) and not is_helm_template(rel, after):
            try:
                list(yaml.safe_load_all(data))
            except yaml.YAMLError as exc:
                out.append(f"{rel} after the changes: not YAML: {exc}")
    out += _commit_problems(exp, files, after)
    out += _folder_problems(scenario)
    out += _maps_to_problems(scenario)
    out += _choice_problems(scenario)
    out += _kustomize_problems(workdir, files, after)
    return out


def _folder_problems(scenario: Scenario) -> list[str]:
    """Every file under expected/ is used; secrets/ files are JSON once their placeholders are filled."""
    out: list[str] = []
    used = {e["expected"] for key in ("created", "edited_exactly") for e in scenario.expected.get(key) or []}
    expected_dir = scenario.path / "expected"
    if expected_dir.is_dir():
        for file in sorted(expected_dir.rglob("*")):
            rel = file.relative_to(scenario.path).as_posix()
            if file.is_file() and rel not in used:
                out.append(f"{rel}: not referenced by created or edited_exactly")
    secrets = scenario.path / "secrets"
    if secrets.is_dir():
        dummy = {
            f"{k}:{s}" if s else k: "x"
            for k, s in (
                m.groups()
                for m in PLACEHOLDER.finditer("".join(f.read_text() for f in secrets.rglob("*") if f.is_file()))
            )
        }
        for file in sorted(secrets.rglob("*")):
            if file.is_file():
                try:
                    json.loads(fill(file.read_text(), dummy))
                except ValueError as exc:
                    out.append(f"{file.relative_to(scenario.path)}: not JSON after filling: {exc}")
    return out


def _unknown(what: str, got: Mapping[str, Any], allowed: set[str]) -> list[str]:
    extra = sorted(set(got) - allowed)
    return [f"{what}: unknown keys {extra}"] if extra else []


def _schema(exp: dict[str, Any]) -> list[str]:
    out = [] if exp.get("format") == FORMAT else [f"format must be {FORMAT}"]
    out += _unknown("expected.yaml", exp, EXPECTED_KEYS)
    for i, policy in enumerate(exp.get("policies") or []):
        out += _unknown(f"policies[{i}]", policy, POLICY_KEYS)
        if not policy.get("plan"):
            out.append(f"policies[{i}]: every policy needs the plan line naming its origin")
    for i, change in enumerate(exp.get("changes") or []):
        out += _unknown(f"changes[{i}]", change, CHANGE_KEYS)
        if str(change["old"]) == str(change["new"]):
            out.append(f"changes[{i}]: old == new")
    for i, finding in enumerate(exp.get("findings") or []):
        out += _unknown(f"findings[{i}]", finding, FINDING_KEYS)
        if finding.get("severity") not in SEVERITIES:
            out.append(f"findings[{i}]: severity must be one of {sorted(SEVERITIES)}")
    for i, commit in enumerate(exp.get("commits") or []):
        out += _unknown(f"commits[{i}]", commit, COMMIT_KEYS)
    return out


def _registry_problems(registry: dict[str, Any]) -> list[str]:
    out: list[str] = []
    seen: dict[tuple[str, str], str] = {}
    for repo in registry.get("repositories") or []:
        name = repo["name"]
        server = repo.get("server", "main")
        _, path = registry_path(name)
        if (server, path) in seen:
            out.append(f"registry.yaml: {name} and {seen[(server, path)]} share the path {path} on server {server}")
        seen[(server, path)] = name
        tags = repo.get("tags") or []
        for tag in tags:
            if not isinstance(tag, str):
                out.append(f"registry.yaml {name}: tag {tag!r} is not a string (quote it)")
            elif not re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,127}", tag):
                out.append(f"registry.yaml {name}: {tag!r} is not a valid tag")
        for key in ("created", "platforms"):
            for tag in repo.get(key) or {}:
                if tag not in tags:
                    out.append(f"registry.yaml {name}: {key} for unlisted tag {tag!r}")
    for name in registry.get("servers") or {}:
        if name == "main":
            out.append("registry.yaml: server 'main' is implicit")
    return out


def _config_problems(scenario: Scenario) -> list[str]:
    out: list[str] = []
    for match in PLACEHOLDER.finditer(scenario.config_text):
        if match.group(1) not in KNOWN_PLACEHOLDERS:
            out.append(f"config.yaml: unknown placeholder {match.group(0)}")
    doc = yaml.safe_load(PLACEHOLDER.sub("x", scenario.config_text))
    if "images" in doc and not scenario.expected.get("repo_from"):
        out.append("config.yaml: golden scenarios carry no images: (the policies come from the repository)")
    if not doc.get("sources") and not any("sources" in (t or {}) for t in doc.get("targets") or []):
        out.append("config.yaml: no sources")
    return out


def _line(files: Mapping[str, bytes], rel: str, line: int) -> str | None:
    if rel not in files:
        return None
    lines = files[rel].decode().split("\n")
    return lines[line - 1] if 0 < line <= len(lines) else None


def _check_at(files: Mapping[str, bytes], where: str, ref: Mapping[str, Any], text_key: str = "at") -> list[str]:
    text = _line(files, ref["file"], ref["line"])
    if text is None:
        return [f"{where}: {ref['file']}:{ref['line']} does not exist"]
    want = ref.get(text_key)
    if want is not None and str(want) not in text:
        return [f"{where}: {ref['file']}:{ref['line']} is {text!r}, expected it to contain {want!r}"]
    return []


def _line_problems(exp: dict[str, Any], files: Mapping[str, bytes]) -> list[str]:
    out: list[str] = []
    for i, policy in enumerate(exp.get("policies") or []):
        for key in ("from", "repository_from"):
            if key in policy:
                out += _check_at(files, f"policies[{i}].{key}", policy[key])
                if (
                    key == "from"
                    and policy.get("plan")
                    and f"{policy[key]['file']}:{policy[key]['line']}" not in policy["plan"]
                ):
                    out.append(f"policies[{i}]: plan line does not cite {policy[key]['file']}:{policy[key]['line']}")
        for j, extra in enumerate(policy.get("contributes") or []):
            out += _check_at(files, f"policies[{i}].contributes[{j}]", extra)
        current_from = (policy.get("new_settings") or {}).get("current_from")
        expects = policy.get("expect") or []
        expects = [expects] if isinstance(expects, dict) else expects
        if current_from and expects and expects[0].get("current") is not None:
            out += _check_at(files, f"policies[{i}].current_from", {**current_from, "at": str(expects[0]["current"])})
    for i, target in enumerate(exp.get("targets") or []):
        for key in ("from", "git_repository"):
            if key in target:
                out += _check_at(files, f"targets[{i}].{key}", target[key])
    for i, finding in enumerate(exp.get("findings") or []):
        out += _check_at(files, f"findings[{i}]", finding)
    for i, entry in enumerate(exp.get("not_served") or []):
        out += _check_at(files, f"not_served[{i}]", entry)
    for i, change in enumerate(exp.get("changes") or []):
        out += _check_at(files, f"changes[{i}]", change, "old")
    for i, entry in enumerate(exp.get("unchanged") or []):
        out += _check_at(files, f"unchanged[{i}]", entry, "value")
        changed = {(c["file"], c["line"]) for c in exp.get("changes") or []}
        if (entry["file"], entry["line"]) in changed:
            out.append(f"unchanged[{i}]: {entry['file']}:{entry['line']} is also in changes")
    return out


def _commit_problems(exp: dict[str, Any], before: Mapping[str, bytes], after: Mapping[str, bytes]) -> list[str]:
    out: list[str] = []
    touched = {rel for rel in after if before.get(rel) != after[rel]}
    committed: set[str] = set()
    for i, commit in enumerate(exp.get("commits") or []):
        files = set(commit.get("files") or [])
        committed |= files
        for rel in files - touched:
            out.append(f"commits[{i}]: {rel} is listed but no change touches it")
        if "message" not in commit and not commit.get("message_contains"):
            out.append(f"commits[{i}]: give message or message_contains")
    for rel in sorted(touched - committed):
        out.append(f"{rel} changes but no commit lists it")
    return out


def _argocd_source_problems(entry: Mapping[str, Any], text: str) -> list[str]:
    """A created .argocd-source-<app>.yaml parses to what argocd-image-updater writes."""
    name = entry["file"].rsplit("/", 1)[-1]
    if not name.startswith(".argocd-source-"):
        return []
    doc = yaml.safe_load(text)
    where = f"created {entry['file']}"
    if not isinstance(doc, dict) or len(doc) != 1 or next(iter(doc)) not in ("kustomize", "helm"):
        return [f"{where}: must hold exactly one of kustomize: or helm:"]
    if "kustomize" in doc:
        images = doc["kustomize"].get("images")
        if list(doc["kustomize"]) != ["images"] or not all(isinstance(i, str) for i in images or [None]):
            return [f"{where}: kustomize: must be {{images: [strings]}}"]
        return []
    params = doc["helm"].get("parameters")
    out = [] if list(doc["helm"]) == ["parameters"] else [f"{where}: helm: must be {{parameters: [...]}}"]
    for p in params or []:
        if (
            list(p) != ["name", "value", "forcestring"]
            or p["forcestring"] is not True
            or not isinstance(p["value"], str)
        ):
            out.append(f"{where}: parameter {p} must be name, value (a string), forcestring: true, in that order")
    names = [p["name"] for p in params or []]
    if names != sorted(names):
        out.append(f"{where}: parameters must be sorted by name")
    return out


def fake_digests(registry: dict[str, Any]) -> dict[tuple[str, str], str]:
    """Stand-ins for ``${digest:REPO:TAG}`` in the self-check (the real test uses the pushed digests)."""
    out = {}
    for repo in registry.get("repositories") or []:
        _, path = registry_path(repo["name"])
        for tag in repo.get("tags") or []:
            out[(path, tag)] = "sha256:" + hashlib.sha256(f"{path}:{tag}".encode()).hexdigest()
    return out


def _maps_to_problems(scenario: Scenario) -> list[str]:
    """Every ``maps_to`` is a valid config.yaml image entry today (new keys live in ``new_settings``)."""
    try:
        from image_updater.config.settings import ImageSettings
    except ImportError:  # pragma: no cover
        return []
    out = []
    for i, policy in enumerate(scenario.expected.get("policies") or []):
        if policy.get("maps_to"):
            try:
                ImageSettings(name=policy["image"], **policy["maps_to"])
            except Exception as exc:  # the validation error, whatever its type
                out.append(f"policies[{i}] {policy['image']}: maps_to is not a valid images: entry: {exc}")
    return out


def _choice_problems(scenario: Scenario) -> list[str]:
    """Cross-check each expected choice with image-updater's own policy engine (read-only import), fed the
    mapped policy and the tags, creation times and platforms of registry.yaml. New settings the engine
    does not have yet are emulated here, as the spec defines them (README: "emulated settings")."""
    try:
        from image_updater.policy import PolicySpec, SelectionRules, TagMetadata, select
    except ImportError:  # pragma: no cover - the suite always has the package
        return []
    from datetime import datetime

    repos = {r["name"]: r for r in scenario.registry.get("repositories") or []}
    out: list[str] = []
    for i, policy in enumerate(scenario.expected.get("policies") or []):
        expects = policy.get("expect") or []
        expects = [expects] if isinstance(expects, dict) else expects
        maps = policy.get("maps_to")
        if not expects or not maps:
            continue
        repo = repos.get(maps["image"])
        if repo is None:
            out.append(f"policies[{i}]: {maps['image']} is not in registry.yaml")
            continue
        new = policy.get("new_settings") or {}
        tags = [t for t in repo["tags"] if not any(re.search(rx, t) for rx in new.get("exclude") or [])]
        rules = {
            k: maps[k] for k in ("allow", "ignore", "platforms", "allow_downgrade", "include_artifacts") if k in maps
        }
        wanted = new.get("platforms") if new.get("platforms_match") == "any" else None
        if wanted:  # argocd: a candidate offering any one listed platform qualifies
            offered = {t: set((repo.get("platforms") or {}).get(t, [DEFAULT_PLATFORM])) for t in tags}
            tags = [
                t
                for t in tags
                if offered[t] & set(wanted)
                or any(p.rsplit("/", 1)[0] in wanted for p in offered[t] if p.count("/") == 2)
            ]
        metadata = {}
        for tag in repo["tags"]:
            created = (repo.get("created") or {}).get(tag, DEFAULT_CREATED)
            platforms = frozenset((repo.get("platforms") or {}).get(tag, [DEFAULT_PLATFORM]))
            metadata[tag] = TagMetadata(
                digest=f"sha256:{'0' * 64}",
                created=datetime.fromisoformat(created.replace("Z", "+00:00")),
                platforms=platforms,
            )
        for expect in expects:
            try:
                spec = PolicySpec(**maps["policy"])
                decision = select(spec, SelectionRules(**rules), tags, expect.get("current"), metadata)
            except Exception as exc:  # report whatever the engine raised
                out.append(f"policies[{i}] {policy['image']}: the engine raised {exc!r}")
                continue
            if spec.kind == "digest":
                continue  # the chosen tag is the tracked tag; the digest is the push's
            if decision.chosen != expect["chosen"]:
                out.append(
                    f"policies[{i}] {policy['image']}: from {expect.get('current')!r} expected "
                    f"{expect['chosen']!r}, the engine chose {decision.chosen!r} ({decision.reason})"
                )
    return out


def _kustomize_problems(workdir: Path, before: Mapping[str, bytes], after: Mapping[str, bytes]) -> list[str]:
    """Every directory holding a kustomization renders with ``kubectl kustomize``, before and after."""
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        return []
    out: list[str] = []
    for label, files in (("before", before), ("after", after)):
        root = workdir / f"render-{label}"
        for rel, data in files.items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_bytes(data)
        for rel in files:
            if rel.rsplit("/", 1)[-1] not in ("kustomization.yaml", "kustomization.yml", "Kustomization"):
                continue
            folder = (root / rel).parent
            done = subprocess.run(
                [kubectl, "kustomize", str(folder)], capture_output=True, text=True, timeout=60, check=False
            )
            if done.returncode != 0:
                out.append(f"kubectl kustomize {rel.rsplit('/', 1)[0] or '.'} ({label}): {done.stderr.strip()}")
    return out


def basic_auth(user: str, password: str) -> str:
    """The ``auth`` value of a Docker config entry (registry.yaml servers with htpasswd)."""
    return base64.b64encode(f"{user}:{password}".encode()).decode()
