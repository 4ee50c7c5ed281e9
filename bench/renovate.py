"""``image-updater plan`` against Renovate 44 (lookup only, offline) on the same repository and registry.

Run from the repository root: ``.venv/bin/python bench/renovate.py`` (200 files; ``--help`` for sizes). The
first run installs Node 24 and Renovate 44 with npm into ``--scratch`` (default /var/tmp/iu-renovate, outside
the repository; about 560 MB, 2 minutes). See bench/README.md for the method and the figures. Asserts nothing.

Both tools get the same generated repository (bench/fleet.py), the same Distribution registry on loopback and
the same policy per image: ``semver: "^1.0"`` / ``"~1.2"`` for image-updater, ``allowedVersions: "^1.0"`` /
``"~1.2"`` (npm semver ranges, which Renovate applies to docker tags) for Renovate. Renovate runs with
``--platform=local`` (lookup only: it extracts, looks up and logs the updates it would make), debug JSON logs,
its package cache in a folder of its own; every request it makes leaves through a proxy on loopback
(``HTTP(S)_PROXY``) that refuses and records anything that is not the registry (``NO_PROXY=127.0.0.1``), so it
cannot reach the internet and cannot hang trying.

Per round: Renovate cold (empty cache), ``plan``, Renovate warm (the cache kept), ``plan`` again. Printed: wall
time and peak RSS of each, the ratios, and both tools' proposals — (image, current tag, new tag) — compared
with each other and with what the generator knows to be right.
"""

from __future__ import annotations

import argparse
import http.server
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))
sys.path.insert(1, str(ROOT))

import fleet  # noqa: E402
from compiled import compile_tree  # noqa: E402
from repo_scale import Measured, cleanup, loadavg, measured  # noqa: E402

RENOVATE = "renovate@44"
NODE = "node@24"
TARGET = 10.0  # plan at least ten times faster, cold and warm


# ---------------------------------------------------------------------------------------------- installing


def ensure_renovate(scratch: Path) -> tuple[Path, Path]:
    """Node 24 and Renovate 44 under ``scratch`` (npm, from the npm registry) unless already there."""
    node = scratch / "node_modules" / ".bin" / "node"
    renovate = scratch / "node_modules" / "renovate" / "dist" / "renovate.js"
    if node.exists() and renovate.exists():
        return node, renovate
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("renovate bench: npm is needed once to install Node 24 and Renovate 44 (apt-get install npm)")
    scratch.mkdir(parents=True, exist_ok=True)
    if not (scratch / "package.json").exists():
        (scratch / "package.json").write_text('{"name": "iu-renovate-scratch", "private": true}\n')
    print(f"installing {NODE} and {RENOVATE} into {scratch} (npm; once, about 2 minutes)")
    env = {**os.environ, "PATH": f"{scratch / 'node_modules' / '.bin'}{os.pathsep}{os.environ.get('PATH', '')}"}
    for package in (NODE, RENOVATE):  # Node first, so Renovate's engine check and scripts run under Node 24
        subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--loglevel=error", package],
            cwd=scratch,
            env=env,
            check=True,
            timeout=1200,
        )
    if not (node.exists() and renovate.exists()):
        raise SystemExit(f"renovate bench: npm finished but {node} or {renovate} is missing")
    return node, renovate


def versions(node: Path, renovate: Path) -> str:
    def out(*command: str) -> str:
        return subprocess.run(command, capture_output=True, text=True, timeout=120).stdout.strip()

    return f"Node {out(str(node), '--version')}, Renovate {out(str(node), str(renovate), '--version')}"


# ---------------------------------------------------------------------------------------------- the refusing proxy


class RefusingProxy:
    """An HTTP proxy on loopback that forwards nothing: every request (``CONNECT host:443`` or ``GET http://…``)
    is answered 403 at once and its target recorded, so an attempt to reach the internet fails fast and shows."""

    def __init__(self) -> None:
        self.attempts: list[str] = []
        attempts = self.attempts

        class Handler(http.server.BaseHTTPRequestHandler):
            def refuse(self) -> None:
                attempts.append(f"{self.command} {self.path}")
                self.send_response(403, "offline benchmark")
                self.send_header("Content-Length", "0")
                self.send_header("Connection", "close")
                self.end_headers()

            do_CONNECT = do_GET = do_POST = do_HEAD = do_PUT = refuse

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


# ---------------------------------------------------------------------------------------------- running Renovate


def renovate_config(path: Path, host: str, pols: list[fleet.Policy], base_dir: Path, cache_dir: Path) -> Path:
    """The global (self-hosted) config: local platform, the three managers the repository's files need, plain
    http for the loopback registry, every other image disabled, one ``allowedVersions`` per policy."""
    by_range: dict[str, list[str]] = {}
    for repo, pol in zip(fleet.repositories(len(pols)), pols, strict=True):
        by_range.setdefault(pol.range, []).append(f"{host}/{repo}")
    escaped = host.replace(".", "\\.")
    config: dict[str, Any] = {
        "platform": "local",
        "dryRun": "lookup",
        "onboarding": False,
        "requireConfig": "optional",
        "baseDir": str(base_dir),
        "cacheDir": str(cache_dir),
        "enabledManagers": ["kubernetes", "kustomize", "helm-values"],
        "kubernetes": {"managerFilePatterns": ["/\\.ya?ml$/"]},
        "helm-values": {"managerFilePatterns": ["/(^|/)values[^/]*\\.ya?ml$/"]},
        # Renovate's docker datasource speaks https to any host unless a docker hostRule marks it insecure; the
        # second rule lets it reach this one internal address while every other internal address is refused
        "internalHostAccess": "block",
        "hostRules": [
            {"hostType": "docker", "matchHost": f"https://{host}", "insecureRegistry": True},
            {"matchHost": f"http://{host}", "allowInternal": True},
        ],
        "packageRules": [
            {"matchDatasources": ["docker"], "matchPackageNames": [f"!/^{escaped}\\//"], "enabled": False},
            *(
                {"matchPackageNames": names, "allowedVersions": version_range}
                for version_range, names in sorted(by_range.items())
            ),
        ],
    }
    path.write_text(json.dumps(config, indent=2))
    return path


def run_renovate(
    node: Path,
    renovate: Path,
    config: Path,
    repo: Path,
    out: Path,
    proxy: RefusingProxy,
    timeout: float,
    log_level: str = "debug",
) -> Measured:
    env = {key: value for key, value in os.environ.items() if not key.upper().endswith("_PROXY")}
    env.update(
        {
            "RENOVATE_CONFIG_FILE": str(config),
            "LOG_LEVEL": log_level,
            "LOG_FORMAT": "json",
            "HTTP_PROXY": proxy.url,
            "HTTPS_PROXY": proxy.url,
            "NO_PROXY": "127.0.0.1,localhost",
            "RENOVATE_X_IGNORE_NODE_WARN": "true",
            "PATH": f"{node.parent}{os.pathsep}{os.environ.get('PATH', '')}",
            "HOME": str(config.parent / "home"),  # no ~/.npmrc or git config of the machine's user
        }
    )
    (config.parent / "home").mkdir(exist_ok=True)
    return measured(
        [str(node), str(renovate), "--platform=local", "--onboarding=false", "--require-config=optional"],
        out,
        env=env,
        cwd=repo,
        timeout=timeout,
    )


def renovate_result(out: Path) -> dict[str, Any]:
    """Proposals, (dependency, current) pairs looked at, HTTP requests per host and problems, from the JSON log."""
    proposals: set[tuple[str, str, str]] = set()
    looked: set[tuple[str, str]] = set()
    deps = 0
    managers: dict[str, int] = {}
    hosts: dict[str, int] = {}
    problems: list[str] = []
    for line in out.read_text(errors="replace").splitlines():
        if not line.startswith("{"):
            continue
        entry = json.loads(line)
        msg = str(entry.get("msg", ""))
        if entry.get("level", 0) >= 40:
            problems.append(msg[:200])
        if msg == "packageFiles with updates":
            for manager, files in entry.get("config", {}).items():
                for package_file in files:
                    for dep in package_file.get("deps", []):
                        # images only (the kubernetes manager also lists apiVersions), and not the disabled ones
                        if dep.get("datasource") != "docker" or dep.get("skipReason"):
                            continue
                        deps += 1
                        managers[manager] = managers.get(manager, 0) + 1
                        name = dep.get("packageName") or dep.get("depName")
                        looked.add((name, dep.get("currentValue")))
                        for update in dep.get("updates", []):
                            proposals.add((name, dep.get("currentValue"), update.get("newValue")))
        elif msg == "HTTP statistics":
            for host, stats in (entry.get("hosts") or {}).items():
                hosts[host] = hosts.get(host, 0) + int(stats.get("count", 0))
    return {
        "proposals": proposals,
        "looked": looked,
        "deps": deps,
        "managers": managers,
        "hosts": hosts,
        "problems": problems,
    }


# ---------------------------------------------------------------------------------------------- main


def main() -> int:
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--images", type=int, default=200)
    parser.add_argument("--tags", type=int, default=50)
    parser.add_argument("--refs", type=int, default=None, help="references to configured images (default 2 × files)")
    parser.add_argument(
        "--rounds", type=int, default=2, help="alternations of (Renovate cold, plan, Renovate warm, plan)"
    )
    parser.add_argument(
        "--scratch",
        type=Path,
        default=Path("/var/tmp/iu-renovate"),
        help="where Node 24 and Renovate 44 are (installed there when absent)",
    )
    parser.add_argument("--timeout", type=float, default=900, help="seconds any one run may take")
    parser.add_argument("--code-root", type=Path, default=ROOT, help="source tree image-updater runs from (A/B)")
    parser.add_argument(
        "--log-level",
        default="debug",
        choices=["debug", "info"],
        help="Renovate's log level; its proposals are only logged at debug",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs, outputs)")
    args = parser.parse_args()
    if ROOT in args.scratch.resolve().parents or args.scratch.resolve() == ROOT:
        parser.error("--scratch must be outside the repository")

    node, renovate = ensure_renovate(args.scratch)
    print(versions(node, renovate))
    base = Path(tempfile.mkdtemp(prefix="bench-renovate-"))
    storage = Path(
        tempfile.mkdtemp(prefix="bench-renovate-registry-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
    )
    proxy = RefusingProxy()
    server = None
    env = {**os.environ, "PYTHONPATH": str(args.code_root.resolve())}
    compile_tree(args.code_root.resolve())  # as installed: bytecode, not source, each process (compiled.py)
    cli = [sys.executable, "-m", "image_updater.cli"]
    try:
        spec = fleet.Fleet(files=args.files, images=args.images, tags=args.tags, refs=args.refs)
        tags = fleet.tag_list(spec.tags)
        server = fleet.seed_registry(fleet.repositories(spec.images), tags, storage)
        gen = fleet.generate(server.host, spec)
        remote = fleet.make_remote(base, gen.files)
        print(f"registry {server.url}; repository: {fleet.describe(gen)}")
        expected = gen.expected(server.host)
        config = fleet.write_config(
            base / "config.yaml", server.host, f"file://{remote}", gen.policies, base / "unused-checkout"
        )
        repo = base / "renovate-checkout"  # Renovate's local platform works on the current directory
        subprocess.run(["git", "clone", "-q", f"file://{remote}", str(repo)], check=True)
        print(f"load average at start: {loadavg()}\n")

        rows: list[dict[str, Any]] = []
        for r in range(args.rounds):
            run_dir = base / f"renovate-{r}"
            run_dir.mkdir()
            rconfig = renovate_config(
                run_dir / "config.json", server.host, gen.policies, run_dir / "base", run_dir / "cache"
            )
            row: dict[str, Any] = {}
            for phase in ("cold", "warm"):
                rv = run_renovate(
                    node, renovate, rconfig, repo, run_dir / f"{phase}.log", proxy, args.timeout, args.log_level
                )
                result = renovate_result(rv.stdout)
                plan = measured(
                    [*cli, "plan", "--config", str(config)],
                    base / f"plan-{r}-{phase}.out",
                    # as Renovate's: a parse cache (cycle/store.py) empty for cold, kept for warm, one per round
                    env={**env, "IMAGE_UPDATER_CACHE__DIR": str(run_dir / "iu-cache")},
                    cwd=base,
                    timeout=args.timeout,
                )
                plan_proposals, decisions = fleet.parse_plan(
                    plan.stdout.read_text(errors="replace"), fleet.image_names(config)
                )
                row[phase] = {"renovate": rv, "plan": plan, "result": result, "plan_proposals": plan_proposals}
                print(
                    f"round {r + 1} {phase}: Renovate {rv.wall:.2f}s, peak RSS {rv.maxrss_mb:.0f} MB, exit "
                    f"{rv.returncode}, {result['deps']} image references looked up {result['managers']}, "
                    f"{len(result['proposals'])} "
                    f"proposals, HTTP requests {result['hosts'] or 'none logged'} [load {rv.load}]"
                )
                print(
                    f"round {r + 1} {phase}: plan     {plan.wall:.2f}s, peak RSS {plan.maxrss_mb:.0f} MB, exit "
                    f"{plan.returncode}, {decisions} decisions, {len(plan_proposals)} proposals [load {plan.load}]"
                )
                print(f"    Renovate / plan = {rv.wall / plan.wall:.1f}×")
                if rv.returncode or result["problems"]:
                    print(f"    Renovate problems: {result['problems'][:5]} (log: {rv.stdout})")
            rows.append(row)
        summary(rows, expected, proxy, args)
    finally:
        proxy.close()
        cleanup(server, storage, base, keep=args.keep)
    return 0


def summary(
    rows: list[dict[str, Any]], expected: set[tuple[str, str, str]], proxy: RefusingProxy, args: argparse.Namespace
) -> None:
    print(
        f"\n{args.files} files, {args.images} images × {args.tags} tags, {args.rounds} round(s); "
        f"target: plan ≥ {TARGET:g}× faster than Renovate, cold and warm, with the same proposals"
    )
    for phase in ("cold", "warm"):
        rv = [row[phase]["renovate"].wall for row in rows]
        plan = [row[phase]["plan"].wall for row in rows]
        ratios = [a / b for a, b in zip(rv, plan, strict=True)]
        rss_rv = [row[phase]["renovate"].maxrss_mb for row in rows]
        rss_plan = [row[phase]["plan"].maxrss_mb for row in rows]
        print(
            f"  {phase}: Renovate {' / '.join(f'{v:.2f}' for v in rv)} s, plan {' / '.join(f'{v:.2f}' for v in plan)}"
            f" s → plan is {' / '.join(f'{v:.1f}' for v in ratios)}× faster (median {statistics.median(ratios):.1f},"
            f" {'meets' if min(ratios) >= TARGET else 'misses'} ≥ {TARGET:g}); peak RSS Renovate "
            f"{' / '.join(f'{v:.0f}' for v in rss_rv)} MB, plan {' / '.join(f'{v:.0f}' for v in rss_plan)} MB"
        )
    if args.log_level != "debug":
        print("  proposals: not compared (Renovate logs them at debug only)")
        print(
            f"  requests through the refusing proxy (anything not on loopback): {sorted(set(proxy.attempts)) or 'none'}"
        )
        return
    last = rows[-1]["warm"]
    renovate_set, plan_set = last["result"]["proposals"], last["plan_proposals"]
    print(
        f"  proposals: {'the same' if renovate_set == plan_set else 'DIFFERENT'} — Renovate "
        f"{len(renovate_set)}, plan {len(plan_set)}, generator expects {len(expected)}"
    )
    for label, got in (("Renovate", renovate_set), ("plan", plan_set)):
        missing, extra = sorted(expected - got), sorted(got - expected)
        if missing or extra:
            print(
                f"    {label}: {len(missing)} expected but not proposed (e.g. {missing[:3]}), "
                f"{len(extra)} proposed but not expected (e.g. {extra[:3]})"
            )
    print(f"  requests through the refusing proxy (anything not on loopback): {sorted(set(proxy.attempts)) or 'none'}")


if __name__ == "__main__":
    sys.exit(main())
