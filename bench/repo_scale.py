"""A fleet-sized config repository: cold ``plan``, warm cycle, service steady state and peak RSS, against a naive load.

Run from the repository root: ``.venv/bin/python bench/repo_scale.py`` (10,000 files, 20,000 references to 200
images × 50 tags) or ``--files 2000`` (a few minutes). ``--help`` for sizes. See bench/README.md for the method
and the figures measured on the 2-core machine. Prints figures and ratios; asserts nothing.

In one run, against one registry and one repository:

(b) the naive baseline: a process that loads every YAML file of a checkout with ruamel.yaml's round-trip loader;
(a) cold ``image-updater plan`` as a process (it clones, parses, scans, decides, prints the diff);
    (b) and (a) alternate, ``--rounds`` times, so a disturbance of the shared machine hits both alike;
(c) a process running two dry-run cycles through the in-process API (``run_cycles`` below, the one place that
    knows that API), timing the second, in which nothing changed;
(d) ``image-updater run`` with a short interval on a remote of its own: cycle durations from its ``/metrics``.
    By default that remote holds the *settled* repository (the same files, every reference already at the tag
    its policy chooses, as the service leaves it after its first push), so every cycle after the first is the
    steady state: nothing to change. ``--service-repo stale`` gives it the same remote as (a)–(c) instead: its
    first cycle then pushes every update in one commit, its second re-reads the files that commit changed.

Peak RSS is the ``ru_maxrss`` that ``wait4`` reports for each process (the largest of it and its waited-for
descendants, as ``/usr/bin/time -v`` reports it).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))
sys.path.insert(1, str(ROOT))

import fleet  # noqa: E402
from compiled import compile_tree  # noqa: E402

TARGETS = {"plan/naive": 0.5, "warm": 1.0, "steady": 1.0, "rss_mb": 200.0}


# ---------------------------------------------------------------------------------------------- measured children


def child_naive(root: Path) -> None:
    """The baseline: every ``.yaml``/``.yml`` file under ``root`` (not ``.git``) read as text and loaded, all its
    documents, with one ruamel.yaml round-trip loader (text, not bytes: ruamel reads bytes 1.5 × slower)."""
    from ruamel.yaml import YAML

    started = time.perf_counter()
    yaml = YAML(typ="rt")
    files = documents = size = 0
    for folder, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if d != ".git"]
        for name in names:
            if name.endswith((".yaml", ".yml")):
                with open(os.path.join(folder, name), encoding="utf-8") as handle:
                    text = handle.read()
                documents += sum(1 for _ in yaml.load_all(text))
                files += 1
                size += len(text)
    print(
        json.dumps(
            {"files": files, "documents": documents, "bytes": size, "load_seconds": time.perf_counter() - started}
        )
    )


@contextlib.asynccontextmanager
async def run_cycles(config: Path, workdir: Path) -> AsyncIterator[Callable[[], Awaitable[dict[str, Any]]]]:
    """THE adapter to image-updater's in-process API: yields a function running one dry-run cycle.

    Today that is ``image_updater.cycle.Updater(settings, workdir=…).run_cycle(dry_run=True)``; when the API
    moves, this is the only function to update.
    """
    try:
        from image_updater.config import load_settings
        from image_updater.cycle import Updater
    except ImportError as exc:
        raise SystemExit(
            f"repo_scale: image-updater's in-process API moved ({exc}); update run_cycles() in bench/repo_scale.py"
        ) from exc
    if not hasattr(Updater, "run_cycle"):
        raise SystemExit("repo_scale: Updater.run_cycle is gone; update run_cycles() in bench/repo_scale.py")
    updater = Updater(load_settings(str(config)), workdir=workdir)

    async def one() -> dict[str, Any]:
        started = time.perf_counter()
        report = await updater.run_cycle(dry_run=True)
        seconds = time.perf_counter() - started
        return {
            "seconds": seconds,
            "changes": sum(len(target.plan.changes) for target in report.targets.values()),
            "errors": report.all_errors[:3],
            "error_count": len(report.all_errors),
        }

    try:
        yield one
    finally:
        await updater.aclose()


def child_warm(config: Path, workdir: Path, cycles: int) -> None:
    async def go() -> list[dict[str, Any]]:
        async with run_cycles(config, workdir) as one:
            return [await one() for _ in range(cycles)]

    print(json.dumps({"cycles": asyncio.run(go())}))


# ---------------------------------------------------------------------------------------------- measuring


@dataclass
class Measured:
    wall: float
    maxrss_mb: float
    returncode: int
    stdout: Path
    stderr: Path
    load: str

    def json(self) -> dict[str, Any]:
        lines = [line for line in self.stdout.read_text().splitlines() if line.startswith("{")]
        return json.loads(lines[-1]) if lines else {}


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def measured(command: Sequence[str], out: Path, *, env: dict[str, str], cwd: Path, timeout: float) -> Measured:
    """Run ``command`` to completion; wall time and the peak RSS ``wait4`` reports. Killed after ``timeout``."""
    load = loadavg()
    with out.open("wb") as stdout, out.with_suffix(".err").open("wb") as stderr:
        started = time.perf_counter()
        process = subprocess.Popen(list(command), stdout=stdout, stderr=stderr, env=env, cwd=cwd)
        timer = threading.Timer(timeout, process.kill)
        timer.start()
        try:
            _, status, usage = os.wait4(process.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    return Measured(wall, usage.ru_maxrss / 1024, process.returncode, out, out.with_suffix(".err"), load)


def proc_status(pid: int) -> dict[str, float]:
    """VmRSS and VmHWM (peak) of a live process, in MB."""
    values: dict[str, float] = {}
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0]) / 1024
    return values


def scrape(url: str) -> dict[str, float]:
    """The cycle counters and duration histogram from ``/metrics`` (empty while not listening)."""
    import httpx
    from prometheus_client.parser import text_string_to_metric_families

    try:
        text = httpx.get(f"{url}/metrics", timeout=5).text
    except httpx.HTTPError:
        return {}
    found: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "image_updater_cycles_total":
                found["cycles"] = found.get("cycles", 0.0) + sample.value
                if sample.labels.get("result") != "ok":
                    found["failed"] = found.get("failed", 0.0) + sample.value
            elif sample.name in (
                "image_updater_cycle_duration_seconds_sum",
                "image_updater_cycle_duration_seconds_count",
            ):
                found[sample.name.rsplit("_", 1)[-1]] = sample.value
    return found


@dataclass
class Service:
    cycles: list[float]  # seconds, one per cycle, in order, from /metrics
    failed: int
    rss_mb: float  # VmRSS at the end
    hwm_mb: float  # VmHWM at the end
    after_first_mb: float
    maxrss_mb: float
    wall: float
    load: str
    log: Path


def measure_service(
    command: list[str], config: Path, port: int, cycles: int, deadline: float, env: dict[str, str], cwd: Path, log: Path
) -> Service:
    url = f"http://127.0.0.1:{port}"
    load = loadavg()
    durations: list[float] = []
    after_first = 0.0
    started = time.perf_counter()
    with log.open("wb") as stderr:
        process = subprocess.Popen(
            [*command, "run", "--config", str(config)], stdout=subprocess.DEVNULL, stderr=stderr, env=env, cwd=cwd
        )
    try:
        seen = {"count": 0.0, "sum": 0.0}
        stop_at = started + deadline
        while len(durations) < cycles and time.perf_counter() < stop_at and process.poll() is None:
            time.sleep(0.25)
            now = scrape(url)
            if now.get("count", 0.0) > seen["count"]:
                new = int(now["count"] - seen["count"])
                durations += [(now["sum"] - seen["sum"]) / new] * new  # one at a time unless a scrape was slow
                if not after_first:
                    after_first = proc_status(process.pid).get("VmRSS", 0.0)
                seen = {"count": now["count"], "sum": now["sum"]}
        failed = int(scrape(url).get("failed", 0.0))
        status = proc_status(process.pid)
        maxrss = 0.0
        if process.returncode is None:  # still running (poll() reaps it otherwise, and wait4 has nothing to say)
            process.send_signal(signal.SIGTERM)
            timer = threading.Timer(120, process.kill)
            timer.start()
            try:
                _, code, usage = os.wait4(process.pid, 0)
            finally:
                timer.cancel()
            process.returncode = os.waitstatus_to_exitcode(code)
            maxrss = usage.ru_maxrss / 1024
    finally:
        if process.returncode is None:
            process.kill()
            process.wait()
    return Service(
        durations,
        failed,
        status.get("VmRSS", 0.0),
        status.get("VmHWM", 0.0),
        after_first,
        maxrss,
        time.perf_counter() - started,
        load,
        log,
    )


# ---------------------------------------------------------------------------------------------- printing


def spread(values: Sequence[float], unit: str = "s", digits: int = 2) -> str:
    if not values:
        return "—"
    shown = " / ".join(f"{v:.{digits}f}" for v in values)
    return f"{shown} {unit}" + (
        f" (min {min(values):.{digits}f}, median {statistics.median(values):.{digits}f})" if len(values) > 2 else ""
    )


def verdict(value: float, target: float) -> str:
    return f"{'meets' if value <= target else 'misses'} ≤ {target:g}"


def compare(label: str, got: set[tuple[str, str, str]], want: set[tuple[str, str, str]]) -> str:
    if got == want:
        return f"{label}: {len(got)} proposals, all as the generator expects"
    missing, extra = sorted(want - got), sorted(got - want)
    return (
        f"{label}: {len(got)} proposals vs {len(want)} expected — {len(missing)} missing "
        f"(e.g. {missing[:2]}), {len(extra)} unexpected (e.g. {extra[:2]})"
    )


# ---------------------------------------------------------------------------------------------- main


def build(base: Path, args: argparse.Namespace) -> tuple[Any, Path, fleet.Generated, Path]:
    """Seed the registry, generate the repository for its host, and make a bare remote holding it."""
    spec = fleet.Fleet(files=args.files, images=args.images, tags=args.tags, refs=args.refs)
    tags = fleet.tag_list(spec.tags)
    started = time.perf_counter()
    ram = "/dev/shm" if os.path.isdir("/dev/shm") else None
    storage = Path(tempfile.mkdtemp(prefix="bench-scale-registry-", dir=ram))
    server = fleet.seed_registry(fleet.repositories(spec.images), tags, storage)
    seeded = time.perf_counter() - started
    started = time.perf_counter()
    gen = fleet.generate(server.host, spec)
    remote = fleet.make_remote(base, gen.files)
    print(
        f"registry: {spec.images} repositories × {len(tags)} tags at {server.url}, seeded in {seeded:.1f}s; "
        f"repository generated and committed in {time.perf_counter() - started:.1f}s:\n  {fleet.describe(gen)}"
    )
    return server, storage, gen, remote


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--child-naive":
        child_naive(Path(sys.argv[2]))
        return 0
    if len(sys.argv) > 1 and sys.argv[1] == "--child-warm":
        child_warm(Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4]))
        return 0
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=10_000, help="YAML files in the config repository")
    parser.add_argument("--images", type=int, default=200, help="configured images (registry repositories)")
    parser.add_argument("--tags", type=int, default=50, help="tags per image")
    parser.add_argument("--refs", type=int, default=None, help="references to configured images (default 2 × files)")
    parser.add_argument("--rounds", type=int, default=2, help="alternations of naive load, cold plan, warm process")
    parser.add_argument("--service-cycles", type=int, default=6, help="cycles to watch the service run (0: skip)")
    parser.add_argument(
        "--service-repo",
        choices=["settled", "stale"],
        default="settled",
        help="what the service's remote holds: nothing to update (default), or the same out-of-date repository as plan",
    )
    parser.add_argument(
        "--interval", default="1s", help="the service's interval (cycles run back to back when they take longer)"
    )
    parser.add_argument("--timeout", type=float, default=1800, help="seconds any one measured process may take")
    parser.add_argument(
        "--code-root",
        type=Path,
        default=ROOT,
        help="source tree image-updater runs from (e.g. a `git archive` of another commit, for A/B)",
    )
    parser.add_argument(
        "--generate-only",
        type=Path,
        default=None,
        metavar="DIR",
        help="write the repository's files under DIR (host 127.0.0.1:5000) and stop",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (outputs, logs, checkouts)")
    args = parser.parse_args()
    if args.generate_only is not None:
        gen = fleet.generate("127.0.0.1:5000", fleet.Fleet(args.files, args.images, args.tags, args.refs))
        for rel, text in gen.files.items():
            (args.generate_only / rel).parent.mkdir(parents=True, exist_ok=True)
            (args.generate_only / rel).write_text(text)
        print(f"{args.generate_only}: {fleet.describe(gen)}")
        return 0

    from tests.support.registry import free_port

    wall_started = time.perf_counter()
    base = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    env = {**os.environ, "PYTHONPATH": str(args.code_root.resolve())}
    compile_tree(args.code_root.resolve())  # as installed: bytecode, not source, each process (compiled.py)
    python = [sys.executable]
    cli = [*python, "-m", "image_updater.cli"]
    server = storage = None
    try:
        server, storage, gen, remote = build(base, args)
        host = server.host
        expected = gen.expected(host)
        config = fleet.write_config(
            base / "config.yaml", host, f"file://{remote}", gen.policies, base / "unused-checkout"
        )
        checkout = base / "naive-checkout"
        subprocess.run(["git", "clone", "-q", f"file://{remote}", str(checkout)], check=True)
        print(f"load average at start: {loadavg()}; measured code: {args.code_root.resolve()}\n")

        naive: list[Measured] = []
        plans: list[Measured] = []
        warms: list[tuple[Measured, dict[str, Any]]] = []
        for r in range(args.rounds):
            n = measured(
                [*python, str(BENCH / "repo_scale.py"), "--child-naive", str(checkout)],
                base / f"naive-{r}.out",
                env=env,
                cwd=base,
                timeout=args.timeout,
            )
            facts = n.json()
            naive.append(n)
            print(
                f"round {r + 1}: (b) naive ruamel load: {n.wall:.2f}s wall ({facts.get('load_seconds', 0):.2f}s "
                f"loading {facts.get('files', 0):,} files, {facts.get('documents', 0):,} documents), "
                f"peak RSS {n.maxrss_mb:.0f} MB [load {n.load}]"
            )
            # each round's plan starts with an empty parse cache (cycle/store.py) of its own: cold
            plan_env = {**env, "IMAGE_UPDATER_CACHE__DIR": str(base / f"plan-cache-{r}")}
            p = measured(
                [*cli, "plan", "--config", str(config)],
                base / f"plan-{r}.out",
                env=plan_env,
                cwd=base,
                timeout=args.timeout,
            )
            plans.append(p)
            proposals, decisions = fleet.parse_plan(p.stdout.read_text(errors="replace"), fleet.image_names(config))
            print(
                f"round {r + 1}: (a) cold plan: {p.wall:.2f}s wall, peak RSS {p.maxrss_mb:.0f} MB, exit "
                f"{p.returncode}, {decisions:,} decisions listed [load {p.load}]"
            )
            print(f"         {compare('plan', proposals, expected)}")
            if p.returncode:
                print(f"         plan stderr: {p.stderr.read_text(errors='replace')[-400:]}")
            again = measured(
                [*cli, "plan", "--config", str(config)],
                base / f"plan-again-{r}.out",
                env=plan_env,
                cwd=base,
                timeout=args.timeout,
            )
            same = again.stdout.read_text(errors="replace") == p.stdout.read_text(errors="replace")
            print(
                f"round {r + 1}: (a') plan again, a new process with that parse cache kept: {again.wall:.2f}s wall, "
                f"peak RSS {again.maxrss_mb:.0f} MB, output {'the same' if same else 'DIFFERENT'} [load {again.load}]"
            )
            shutil.rmtree(base / f"plan-cache-{r}", ignore_errors=True)
            w = measured(
                [
                    *python,
                    str(BENCH / "repo_scale.py"),
                    "--child-warm",
                    str(config),
                    str(base / f"warm-{r}" / "checkout"),
                    "2",
                ],
                base / f"warm-{r}.out",
                env=env,
                cwd=base,
                timeout=args.timeout,
            )
            cycles = w.json().get("cycles", [])
            warms.append((w, {"cycles": cycles}))
            shown = ", ".join(
                f"{c['seconds']:.2f}s ({c['changes']:,} changes, {c['error_count']} errors)" for c in cycles
            )
            print(
                f"round {r + 1}: (c) one process, two dry-run cycles: {shown or w.stderr.read_text()[-400:]}; "
                f"peak RSS {w.maxrss_mb:.0f} MB [load {w.load}]"
            )
            shutil.rmtree(base / f"warm-{r}", ignore_errors=True)

        service: Service | None = None
        if args.service_cycles > 0:
            service_remote = base / "service.git"
            if args.service_repo == "stale":
                shutil.copytree(remote, service_remote, symlinks=True)
            else:
                settled = fleet.generate(host, fleet.Fleet(args.files, args.images, args.tags, args.refs, settled=True))
                assert not settled.expected(host)
                fleet.make_remote(base, settled.files, name="service.git")
            port = free_port()
            service_config = fleet.write_config(
                base / "service.yaml",
                host,
                f"file://{service_remote}",
                gen.policies,
                base / "service-checkout",
                port=port,
                interval=args.interval,
            )
            service = measure_service(
                cli, service_config, port, args.service_cycles, args.timeout, env, base, base / "service.log"
            )
            shown = ", ".join(f"{c:.2f}" for c in service.cycles)
            print(
                f"(d) service, interval {args.interval}, {args.service_repo} remote: cycles {shown} s "
                f"({service.failed} failed); RSS {service.after_first_mb:.0f} MB after the first cycle, "
                f"{service.rss_mb:.0f} MB at the end, peak {service.hwm_mb:.0f} MB (wait4: "
                f"{service.maxrss_mb:.0f} MB) [load {service.load}]"
            )
            if service.failed or len(service.cycles) < args.service_cycles:
                print(f"    service: {service.failed} cycle(s) failed; last error: {last_error(service.log)}")
        report(args, gen, naive, plans, warms, service)
        print(f"\nwhole run: {time.perf_counter() - wall_started:.0f}s; load average at the end: {loadavg()}")
    finally:
        cleanup(server, storage, base, keep=args.keep)
    return 0


def cleanup(server: Any, storage: Path | None, base: Path, *, keep: bool) -> None:
    """Stop the registry, drop its storage, and drop the run's folder unless ``--keep`` (then say where)."""
    if server is not None:
        server.stop()
    if storage is not None:
        shutil.rmtree(storage, ignore_errors=True)
    if keep:
        print(f"kept: {base}")
    else:
        shutil.rmtree(base, ignore_errors=True)


def last_error(log: Path) -> str:
    """The last line of the last exception the service logged (JSON log), or the log's tail."""
    for line in reversed(log.read_text(errors="replace").splitlines()):
        if line.startswith("{"):
            entry = json.loads(line)
            if entry.get("level") in ("error", "critical") or "error" in entry:
                text = str(entry.get("error") or entry.get("event"))
                return f"{entry.get('event')}: {text.strip().splitlines()[-1][:300]}"
    return log.read_text(errors="replace")[-300:]


def report(
    args: argparse.Namespace,
    gen: fleet.Generated,
    naive: list[Measured],
    plans: list[Measured],
    warms: list[tuple[Measured, dict[str, Any]]],
    service: Service | None,
) -> None:
    ratios = [p.wall / n.wall for p, n in zip(plans, naive, strict=True)]
    warm_second = [c["cycles"][1]["seconds"] for _, c in warms if len(c["cycles"]) > 1]
    warm_first = [c["cycles"][0]["seconds"] for _, c in warms if c["cycles"]]
    rows = [
        (
            "repository",
            f"{len(gen.files):,} files, {gen.size / 1e6:.1f} MB, {len(gen.refs):,} references, "
            f"{len(gen.policies)} images × {len(gen.tags)} tags",
            "",
        ),
        ("(b) naive ruamel round-trip load, process wall", spread([n.wall for n in naive]), ""),
        ("(a) cold `plan`, process wall", spread([p.wall for p in plans]), ""),
        ("(a)/(b) per round", spread(ratios, unit="×"), verdict(max(ratios), TARGETS["plan/naive"]) if ratios else ""),
        (
            "peak RSS, cold plan",
            spread([p.maxrss_mb for p in plans], "MB", 0),
            verdict(max(p.maxrss_mb for p in plans), TARGETS["rss_mb"]) if plans else "",
        ),
        ("peak RSS, naive load (for scale)", spread([n.maxrss_mb for n in naive], "MB", 0), ""),
        ("(c) first cycle in the process (clone, parse, scan)", spread(warm_first), ""),
        (
            "(c) warm cycle: the second, nothing changed",
            spread(warm_second),
            verdict(max(warm_second), TARGETS["warm"]) if warm_second else "",
        ),
        (
            "peak RSS, two-cycle process",
            spread([w.maxrss_mb for w, _ in warms], "MB", 0),
            verdict(max(w.maxrss_mb for w, _ in warms), TARGETS["rss_mb"]) if warms else "",
        ),
    ]
    if service is not None and service.cycles:
        skip = 1 if args.service_repo == "settled" else 2
        steady = service.cycles[skip:] or service.cycles[-1:]
        failed = f"; {service.failed} FAILED" if service.failed else ""
        rows += [
            (
                "(d) service: first cycle (clone, parse" + (")" if skip == 1 else ", push), second"),
                spread(service.cycles[:skip]),
                "",
            ),
            (
                f"(d) service steady state: cycles {skip + 1}–{len(service.cycles)}, median",
                f"{statistics.median(steady):.2f} s (range {min(steady):.2f}–{max(steady):.2f}){failed}",
                verdict(statistics.median(steady), TARGETS["steady"]),
            ),
            (
                "service RSS at the end / peak (VmHWM)",
                f"{service.rss_mb:.0f} / {service.hwm_mb:.0f} MB",
                verdict(service.hwm_mb, TARGETS["rss_mb"]),
            ),
        ]
    width = max(len(r[0]) for r in rows)
    print(f"\n{'figure':<{width}}  {'value':<48}  target")
    for label, value, target in rows:
        print(f"{label:<{width}}  {value:<48}  {target}")


if __name__ == "__main__":
    sys.exit(main())
