"""What ``image_updater.collector`` (young threshold 50,000; ``gc.freeze()`` after the settings load) changes.

Run from the repository root: ``.venv/bin/python bench/gc_effect.py`` (2,000 files; ``--files`` for others).
One generated repository and registry (``bench/fleet.py``, as ``repo_scale.py`` builds them); per round, in
alternation, two ``image-updater plan`` processes of the same code:

- **tuned**: as shipped;
- **default**: the same CLI with ``collector.tune`` and ``collector.settle`` made no-ops, so CPython's
  defaults (700, 10, 10; nothing frozen) apply.

Each child sums the time the collector spent (``gc.callbacks``) and counts its collections per generation.
Printed per mode: wall time, peak RSS, collector seconds and collections; then the ratio default / tuned.
Asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))
sys.path.insert(1, str(ROOT))

import fleet  # noqa: E402
from repo_scale import Measured, build, cleanup, measured  # noqa: E402

MODES = ("tuned", "default")


def child(mode: str, config: Path, report: Path) -> int:
    """``image-updater plan --config config`` in this process, the collector timed; figures into ``report``."""
    import gc
    import time

    spent = [0.0]
    runs = [0, 0, 0]
    started: list[float] = []

    def watch(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started.append(time.perf_counter())
        elif started:
            spent[0] += time.perf_counter() - started.pop()
            runs[info["generation"]] += 1

    gc.callbacks.append(watch)
    from image_updater import collector

    if mode == "default":
        collector.tune = lambda: None
        collector.settle = lambda **_: None
    from image_updater.cli import entry

    try:
        return entry(["plan", "--config", str(config)])
    finally:
        report.write_text(json.dumps({"gc_seconds": spent[0], "collections": runs, "threshold": gc.get_threshold()}))


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        return child(sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4]))
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=2000, help="YAML files in the config repository")
    parser.add_argument("--images", type=int, default=200)
    parser.add_argument("--tags", type=int, default=50)
    parser.add_argument("--refs", type=int, default=None, help="references to configured images (default 2 × files)")
    parser.add_argument("--rounds", type=int, default=3, help="alternations of tuned and default")
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="bench-gc-"))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    rows: dict[str, list[tuple[Measured, dict[str, object]]]] = {mode: [] for mode in MODES}
    server = storage = None
    try:
        server, storage, gen, remote = build(base, args)
        for r in range(args.rounds):
            for mode in MODES if r % 2 == 0 else reversed(MODES):
                config = fleet.write_config(
                    base / f"config-{mode}-{r}.yaml",
                    server.host,
                    f"file://{remote}",
                    gen.policies,
                    base / f"work-{mode}-{r}",
                )
                figures = base / f"gc-{mode}-{r}.json"
                run = measured(
                    [sys.executable, __file__, "--child", mode, str(config), str(figures)],
                    base / f"plan-{mode}-{r}.out",
                    env=env,
                    cwd=base,
                    timeout=args.timeout,
                )
                facts = json.loads(figures.read_text()) if figures.exists() else {}
                proposals, _ = fleet.parse_plan(run.stdout.read_text(errors="replace"), fleet.image_names(config))
                rows[mode].append((run, facts))
                right = "as expected" if proposals == gen.expected(server.host) else "NOT as expected"
                print(
                    f"round {r + 1} {mode:7}: {run.wall:.2f}s wall, peak RSS {run.maxrss_mb:.0f} MB, exit "
                    f"{run.returncode}, collector {facts.get('gc_seconds', 0):.2f}s in {facts.get('collections')} "
                    f"collections (gen 0, 1, 2), threshold {facts.get('threshold')}; proposals {right} "
                    f"[load {run.load}]"
                )
        print()
        walls = {mode: [m.wall for m, _ in rows[mode]] for mode in MODES}
        spent = {mode: [float(f.get("gc_seconds", 0)) for _, f in rows[mode]] for mode in MODES}  # type: ignore[arg-type]
        for mode in MODES:
            each = ", ".join(f"{w:.2f}" for w in walls[mode])
            print(
                f"{mode:7}: plan median {statistics.median(walls[mode]):.2f}s (of {each}), "
                f"collector median {statistics.median(spent[mode]):.2f}s, peak RSS median "
                f"{statistics.median(m.maxrss_mb for m, _ in rows[mode]):.0f} MB"
            )
        print(
            f"default / tuned: wall {statistics.median(walls['default']) / statistics.median(walls['tuned']):.2f}×, "
            f"collector time {statistics.median(spent['default']) / max(statistics.median(spent['tuned']), 1e-9):.1f}× "
            f"({args.files:,} files)"
        )
    finally:
        cleanup(server, storage, base, keep=args.keep)
    return 0


if __name__ == "__main__":
    sys.exit(main())
