"""Webhook latency: from the start of a manifest PUT to the commit being on the Git remote.

A real registry (CNCF Distribution) notifies a real ``image-updater run`` process, which updates a
config repo of ``--files`` realistic YAML files (Deployments; one holds the tracked image) in a bare
remote on local disk. Each of ``--pushes`` new semver tags (1.0.1, 1.0.2, …) is pushed one at a time;
the clock starts just before the manifest PUT (the image's blobs are uploaded before it) and stops
when the remote's ``refs/heads/main`` changes, read from the ref file every ``--poll`` seconds. The
next tag is pushed only after the service reports the cycle finished, so pushes never queue.

    /work/venv/bin/python bench/webhook_latency.py [--pushes 50] [--files 1000] [--profile out.prof]
                                                   [--git-trace trace.json] [--no-baseline]

The baseline, measured in the same run and interleaved (after each push's cycle finished): the same change
(the tracked image's tag moved in ``apps/web/deployment.yaml``) made in a plain clone of the same remote and
delivered with a bare ``git commit -qam … && git push -q`` (one ``sh -c``), to a ref outside ``refs/heads``
(``refs/bench/baseline``) so the service, which looks only at branches, never sees it. ``--no-baseline``
skips it.

``--profile`` runs the service under cProfile and writes its stats file on exit (SIGTERM).
``--git-trace`` sets ``GIT_TRACE2_EVENT`` for the service only and prints, per ``git`` subcommand the
service started, how many ran and their p50/p95 wall time as git itself measured it.
Prints min, p50, p95, p99 and max in milliseconds; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(1, str(ROOT / "bench"))

from compiled import compile_tree  # noqa: E402

from tests.support.gitrepo import GIT_ENV, BareRemote, git, make_remote  # noqa: E402
from tests.support.registry import MT_DOCKER_CONFIG, MT_DOCKER_LAYER, MT_DOCKER_MANIFEST, ImagePusher  # noqa: E402
from tests.support.webhook_service import (  # noqa: E402
    config_repo_files,
    free_port,
    metric,
    notifying_registry,
    wait_for,
    write_service_config,
)

REPOSITORY = "team/web"


def read_ref(remote: BareRemote, branch: str = "main") -> str | None:
    """The branch's commit straight from the ref file (or packed-refs): no process, microseconds."""
    try:
        return (remote.path / "refs" / "heads" / branch).read_text().strip()
    except FileNotFoundError:
        pass
    try:
        packed = (remote.path / "packed-refs").read_text()
    except FileNotFoundError:
        return None
    for line in packed.splitlines():
        sha, _, name = line.partition(" ")
        if name == f"refs/heads/{branch}":
            return sha
    return None


def poll_cost(remote: BareRemote, rounds: int = 2000) -> float:
    """Seconds one ``read_ref`` takes, averaged: the polling loop's own overhead per look."""
    started = time.perf_counter()
    for _ in range(rounds):
        read_ref(remote)
    return (time.perf_counter() - started) / rounds


def image_manifest(pusher: ImagePusher, tag: str) -> bytes:
    """Upload a tiny image's config and layer blobs; return the manifest that tags it (not yet PUT)."""
    config = json.dumps(
        {
            "architecture": "amd64",
            "os": "linux",
            "created": "2024-01-01T00:00:00Z",
            "config": {"Labels": {"bench": tag}},
            "rootfs": {"type": "layers", "diff_ids": []},
        },
        sort_keys=True,
    ).encode()
    layer = b"layer:" + tag.encode()
    manifest = {
        "schemaVersion": 2,
        "mediaType": MT_DOCKER_MANIFEST,
        "config": {"mediaType": MT_DOCKER_CONFIG, "size": len(config), "digest": pusher.push_blob(REPOSITORY, config)},
        "layers": [{"mediaType": MT_DOCKER_LAYER, "size": len(layer), "digest": pusher.push_blob(REPOSITORY, layer)}],
    }
    return json.dumps(manifest, sort_keys=True).encode()


def percentile(values: list[float], p: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def _log_time(entry: dict[str, object]) -> float:
    stamp = str(entry["ts"])
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def breakdown(log_path: Path, put_started: list[float]) -> dict[str, list[float]]:
    """Per push: PUT start → webhook accepted → cycle started → cycle finished, from the JSON log."""
    entries = [json.loads(line) for line in log_path.read_text().splitlines() if line.startswith("{")]
    accepted = [_log_time(e) for e in entries if e.get("event") == "webhook accepted"]
    started = [_log_time(e) for e in entries if e.get("event") == "cycle started"][1:]  # skip start-up
    durations = [float(e["duration"]) for e in entries if e.get("event") == "cycle finished"][1:]
    if not len(accepted) == len(started) == len(durations) == len(put_started):
        return {}  # a push was retried or merged: the stages cannot be paired one to one
    return {
        "PUT start -> notification accepted": [(a - p) * 1000 for a, p in zip(accepted, put_started, strict=True)],
        "accepted -> cycle started (debounce)": [(s - a) * 1000 for s, a in zip(started, accepted, strict=True)],
        "cycle (sync, index, scan, edit, commit, push)": [d * 1000 for d in durations],
    }


def git_commands(trace: Path) -> dict[str, list[float]]:
    """Milliseconds per top-level ``git`` subcommand (``-c key=value`` skipped), from a trace2 event file."""
    names: dict[str, str] = {}
    spent: dict[str, list[float]] = {}
    for line in trace.read_text().splitlines():
        event = json.loads(line)
        sid = str(event["sid"])
        if "/" in sid:  # a child of another git process (upload-pack, pack-objects, …): counted in its parent
            continue
        if event["event"] == "start":
            argv = [str(a) for a in event["argv"][1:]]
            while argv[:1] == ["-c"]:
                argv = argv[2:]
            names[sid] = argv[0] if argv else "?"
        elif event["event"] == "exit" and sid in names:
            spent.setdefault(names[sid], []).append(float(event["t_abs"]) * 1000)
    return spent


def cycles_finished(url: str) -> float:
    """Successful cycles so far, from the service's ``/metrics`` (0 while it is not listening yet)."""
    try:
        return metric(url, "image_updater_cycles_total", {"result": "ok"}) or 0.0
    except httpx.TransportError:
        return 0.0


def wait_for_cycles(url: str, count: int, what: str, deadline: float = 30.0) -> None:
    wait_for(lambda: cycles_finished(url) >= count, what, deadline=deadline)


BASELINE_REF = "refs/bench/baseline"
TRACKED_FILE = "apps/web/deployment.yaml"


class BareGit:
    """The baseline: a plain clone of the same remote making the same edit, then ``git commit && git push``."""

    def __init__(self, remote: BareRemote, work: Path) -> None:
        self.work = remote.clone(work)
        self.env = {**os.environ, **GIT_ENV}
        git(self.work, "push", "-q", "origin", f"HEAD:{BASELINE_REF}")  # the ref exists before the first timing

    def deliver(self, old_tag: str, new_tag: str) -> float:
        """Move the tag in the tracked file (not timed), then time one ``git commit && git push``."""
        path = self.work / TRACKED_FILE
        text = path.read_text()
        old, new = f"{REPOSITORY}:{old_tag}", f"{REPOSITORY}:{new_tag}"
        if old not in text:
            raise SystemExit(f"baseline: {old} not in {TRACKED_FILE}")
        path.write_text(text.replace(old, new))
        command = f"git commit -q -a -m 'chore(images): update 1 image' && git push -q origin HEAD:{BASELINE_REF}"
        started = time.perf_counter()
        subprocess.run(["sh", "-c", command], cwd=self.work, env=self.env, check=True)
        return time.perf_counter() - started


def measure(
    registry_url: str,
    remote: BareRemote,
    service_url: str,
    pushes: int,
    poll: float,
    log_path: Path,
    baseline: BareGit | None = None,
) -> tuple[list[float], list[float], list[float]]:
    """Seconds from each manifest PUT's start to its commit on the remote, each PUT's wall-clock start, and
    (with ``baseline``) the seconds of the bare ``git commit && git push`` of the same change after each."""
    latencies: list[float] = []
    put_started: list[float] = []  # wall clock, to line up with the service's log
    bare: list[float] = []
    with ImagePusher(registry_url) as pusher:
        for n in range(1, pushes + 1):
            tag = f"1.0.{n}"
            body = image_manifest(pusher, tag)
            before = read_ref(remote)
            put_started.append(time.time())
            started = time.perf_counter()
            pusher.put_manifest(REPOSITORY, tag, body, MT_DOCKER_MANIFEST)
            deadline = started + 30
            while read_ref(remote) == before:
                if time.perf_counter() > deadline:
                    raise SystemExit(f"push {tag}: no commit on the remote after 30 s (log: {log_path})")
                time.sleep(poll)
            latencies.append(time.perf_counter() - started)
            wait_for_cycles(service_url, n + 1, f"the cycle for {tag} to finish")
            if baseline is not None:  # interleaved: the service is idle now, waiting for the next push
                bare.append(baseline.deliver(f"1.0.{n - 1}", tag))
    return latencies, put_started, bare


def run(
    pushes: int,
    files: int,
    poll: float,
    profile: Path | None,
    keep: bool,
    service_root: Path,
    git_trace: Path | None,
    with_baseline: bool = True,
) -> int:
    base = Path(tempfile.mkdtemp(prefix="bench-webhook-"))
    app_port = free_port()
    registry = notifying_registry(base / "storage", app_port, {REPOSITORY: ["1.0.0"]})
    process: subprocess.Popen[bytes] | None = None
    try:
        tree = config_repo_files(registry.host, {"web": f"{REPOSITORY}:1.0.0"}, filler=files - 1)
        remote = make_remote(base, tree)
        config = write_service_config(base, registry.host, remote, app_port, {"web": REPOSITORY})
        command = [sys.executable]
        if profile is not None:
            command += ["-m", "cProfile", "-o", str(profile)]
        command += ["-m", "image_updater.cli", "run", "--config", str(config)]
        log_path = base / "service.log"
        env = {**os.environ, "PYTHONPATH": str(service_root)}
        compile_tree(Path(service_root))  # as installed: bytecode, not source (compiled.py)
        if git_trace is not None:
            git_trace.unlink(missing_ok=True)
            env["GIT_TRACE2_EVENT"] = str(git_trace.resolve())
        with log_path.open("wb") as log:
            process = subprocess.Popen(command, cwd=service_root, env=env, stdout=subprocess.DEVNULL, stderr=log)
        url = f"http://127.0.0.1:{app_port}"
        wait_for_cycles(url, 1, "the start-up cycle", deadline=120)
        per_read = poll_cost(remote)
        baseline = BareGit(remote, base / "baseline-clone") if with_baseline else None
        latencies, put_started, bare = measure(registry.url, remote, url, pushes, poll, log_path, baseline)
        if f"{REPOSITORY}:1.0.{pushes}".encode() not in remote.read("apps/web/deployment.yaml"):
            raise SystemExit("the last commit does not hold the last tag")
        process.send_signal(signal.SIGTERM)
        code = process.wait(60)
        stages = breakdown(log_path, put_started)
    finally:
        if process is not None and process.poll() is None:
            process.kill()
            process.wait()
        registry.stop()
        if not keep:
            shutil.rmtree(base, ignore_errors=True)

    ms = [x * 1000 for x in latencies]
    print(
        f"webhook latency: {pushes} pushes, config repo of {files} files, service from {service_root}, exit code {code}"
    )
    print(
        f"  manifest PUT start -> commit on remote (ms): min {min(ms):.1f}  p50 {percentile(ms, 50):.1f}  "
        f"p95 {percentile(ms, 95):.1f}  p99 {percentile(ms, 99):.1f}  max {max(ms):.1f}"
    )
    if bare:
        bare_ms = [x * 1000 for x in bare]
        print(
            f"  baseline, bare `git commit && git push` of the same change, same remote, interleaved (ms): "
            f"min {min(bare_ms):.1f}  p50 {percentile(bare_ms, 50):.1f}  p95 {percentile(bare_ms, 95):.1f}  "
            f"p99 {percentile(bare_ms, 99):.1f}  max {max(bare_ms):.1f}"
        )
        print(
            f"  ratio service / bare git: p50 {percentile(ms, 50) / percentile(bare_ms, 50):.2f}  "
            f"p99 {percentile(ms, 99) / percentile(bare_ms, 99):.2f}  (target p50 ≤ 2)"
        )
    print("  where the time goes, from the service's log (ms; log times have 1 ms resolution):")
    for stage, values in stages.items():
        print(f"    {stage:<44} p50 {percentile(values, 50):7.1f}  p95 {percentile(values, 95):7.1f}")
    print(
        f"  polling: one ref read costs {per_read * 1e6:.1f} us; looked every {poll * 1000:.1f} ms, "
        f"so each figure includes up to {(poll + per_read) * 1000:.2f} ms of polling delay"
    )
    if git_trace is not None:
        print(
            f"  git processes the service ran (ms, as git timed them; the start-up clone and checkout are "
            f"included, and cat-file is GitPython's long-lived object reader: its lifetime): {git_trace}"
        )
        for name, values in sorted(git_commands(git_trace).items(), key=lambda kv: -sum(kv[1])):
            p95 = percentile(values, 95) if len(values) > 1 else values[0]
            print(f"    git {name:<16} x{len(values):<4} p50 {statistics.median(values):7.1f}  p95 {p95:7.1f}")
    if profile is not None:
        print(f"  service profile: {profile}")
    if keep:
        print(f"  kept: {base}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pushes", type=int, default=50)
    parser.add_argument("--files", type=int, default=1000, help="YAML files in the config repo (>= 1)")
    parser.add_argument("--poll", type=float, default=0.001, help="seconds between looks at the remote ref")
    parser.add_argument("--profile", type=Path, default=None, help="cProfile stats file for the service")
    parser.add_argument(
        "--git-trace",
        type=Path,
        default=None,
        help="trace2 event file for the service's git processes; prints time per subcommand",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (repo, logs)")
    parser.add_argument(
        "--no-baseline", action="store_true", help="skip the interleaved bare `git commit && git push` baseline"
    )
    parser.add_argument(
        "--service-root",
        type=Path,
        default=ROOT,
        help="source tree the service runs from (e.g. `git archive` of another commit, for A/B)",
    )
    args = parser.parse_args()
    if args.pushes < 2 or args.files < 1:
        parser.error("--pushes must be at least 2 and --files at least 1")
    return run(
        args.pushes,
        args.files,
        args.poll,
        args.profile,
        args.keep,
        args.service_root.resolve(),
        args.git_trace,
        with_baseline=not args.no_baseline,
    )


if __name__ == "__main__":
    sys.exit(main())
