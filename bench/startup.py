"""Start-up cost: what importing image-updater takes, and how long short commands run, against a 0.5 s target.

Run from the repository root: ``.venv/bin/python bench/startup.py`` (about half a minute; ``--help``).
See bench/README.md for the figures. Prints figures; asserts nothing.

1. ``python -X importtime -c "import …"`` for three sets of modules: ``cli`` (what ``version`` and ``--help``
   import), ``plan`` (``cli`` + ``config`` + ``commands.once``, everything ``plan`` imports before it does any
   work) and ``run`` (``plan`` + ``commands.run``). The figure is the sum of the top-level entries'
   cumulative times, less the interpreter's own start-up imports (those ``-c pass`` shows). Best and median of
   ``--rounds``; the top 10 cumulative imports of the best ``plan`` round, and the same time grouped by
   top-level package.
2. Wall time of whole processes, interleaved round by round: ``python -c pass`` (the floor), the ``plan``
   imports without ``-X importtime``, ``image-updater version`` and ``image-updater plan --help`` (both as
   ``python -m image_updater.cli``, so ``--code-root`` applies; the console script does the same imports).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from compiled import compile_tree  # noqa: E402

TARGET = 0.5
SETS = {
    "cli": ["image_updater.cli"],
    "plan": ["image_updater.cli", "image_updater.config", "image_updater.commands.once"],
    "run": ["image_updater.cli", "image_updater.config", "image_updater.commands.once", "image_updater.commands.run"],
}


def importtime(code: str, env: dict[str, str]) -> list[tuple[int, float, float, str]]:
    """(depth, self µs, cumulative µs, module) per line of ``-X importtime``, in the order printed."""
    err = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stderr
    rows = []
    for line in err.splitlines():
        if not line.startswith("import time:") or "imported package" in line:
            continue
        self_us, cumulative_us, name = line.removeprefix("import time:").split("|")
        depth = (len(name) - len(name.lstrip(" "))) // 2
        rows.append((depth, float(self_us), float(cumulative_us), name.strip()))
    return rows


def own_imports(rows: list[tuple[int, float, float, str]], startup: set[str]) -> float:
    """Seconds of the top-level imports that the interpreter's start-up does not do by itself."""
    return sum(cum for depth, _, cum, name in rows if depth == 0 and name not in startup) / 1e6


def wall(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, timeout=120)
    return time.perf_counter() - started


def fmt(values: list[float]) -> str:
    return f"best {min(values) * 1000:6.0f} ms, median {statistics.median(values) * 1000:6.0f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--code-root", type=Path, default=ROOT, help="source tree to import from (A/B)")
    parser.add_argument("--top", type=int, default=10)
    args = parser.parse_args()
    env = {**os.environ, "PYTHONPATH": str(args.code_root.resolve())}
    compile_tree(args.code_root.resolve())  # as installed: bytecode, not source, each process (compiled.py)
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    subprocess.run([sys.executable, "-c", "import " + ", ".join(SETS["run"])], env=env, check=True)  # .pyc files
    startup = {name for _, _, _, name in importtime("pass", env)}

    times: dict[str, list[float]] = {name: [] for name in SETS}
    best_plan: list[tuple[int, float, float, str]] = []
    cli = [sys.executable, "-m", "image_updater.cli"]
    commands = {
        "python -c pass (interpreter floor)": [sys.executable, "-c", "pass"],
        "python -c 'import <plan set>'": [sys.executable, "-c", "import " + ", ".join(SETS["plan"])],
        "image-updater version (python -m)": [*cli, "version"],
        "image-updater plan --help (python -m)": [*cli, "plan", "--help"],
    }
    walls: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(args.rounds):  # interleaved, so the machine's other work disturbs every figure alike
        for name, modules in SETS.items():
            rows = importtime("import " + ", ".join(modules), env)
            seconds = own_imports(rows, startup)
            if name == "plan" and (not times["plan"] or seconds < min(times["plan"])):
                best_plan = rows
            times[name].append(seconds)
        for name, command in commands.items():
            walls[name].append(wall(command, env))

    print(
        f"start-up, {args.rounds} rounds, code from {args.code_root.resolve()}, load average {load} at the start, "
        f"{' '.join(Path('/proc/loadavg').read_text().split()[:3])} at the end"
    )
    print("  -X importtime, image-updater's own imports (cumulative, less the interpreter's start-up):")
    for name, modules in SETS.items():
        verdict = "meets" if min(times[name]) <= TARGET else "misses"
        print(f"    {name:<5} {fmt(times[name])}  ({verdict} < {TARGET} s)  {', '.join(modules)}")
    print("  whole processes, wall time:")
    floor = min(walls["python -c pass (interpreter floor)"])
    for name, values in walls.items():
        extra = "" if name.startswith("python -c pass") else f"  (+{(min(values) - floor) * 1000:.0f} ms over it)"
        print(f"    {name:<40} {fmt(values)}{extra}")
    own = [r for r in best_plan if r[3] not in startup]
    print(f"  top {args.top} cumulative imports of the plan set (best round; µs → ms):")
    for _, self_us, cum_us, name in sorted(own, key=lambda r: -r[2])[: args.top]:
        print(f"    {cum_us / 1000:8.1f} ms cumulative  {self_us / 1000:7.1f} ms self  {name}")
    by_package: dict[str, float] = {}
    for _, self_us, _, name in own:
        package = name.split(".")[0]
        by_package[package] = by_package.get(package, 0.0) + self_us
    print(f"  the same time by top-level package (sum of self times), top {args.top}:")
    for package, us in sorted(by_package.items(), key=lambda kv: -kv[1])[: args.top]:
        print(f"    {us / 1000:8.1f} ms  {package}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
