"""A fleet in one instance: 50 targets × 20 images over 200 repositories, against 50 single-target runs.

Run from the repository root: ``.venv/bin/python bench/targets.py`` (``--help`` for sizes).

What one run does, all against the same registry (a CNCF Distribution seeded as in bench/scan.py, behind
the recording proxy of tests/support/registry_proxy.py, which counts tag-list requests per repository):

1. makes ``--targets`` bare remotes, each holding ``--images`` Deployments; target *i* uses repositories
   ``(i × step + k) mod repos`` for *k* < images, so every repository is shared by several targets;
2. **fleet**: one ``Updater`` over one settings object with every target runs two cycles (cold: clones;
   warm: fetches), with delivery off (``plan``'s dry run);
3. **singles**: for each target alone, a fresh ``Updater`` over settings holding only that target, two
   cycles each, one after the other (what 50 separate instances, or 50 ``plan`` runs, would cost);
4. prints tag-list requests per unique repository per cycle (target 1.00) and fleet ÷ singles wall time.

Asserts nothing; every loop is bounded by the sizes given.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from scan import seed  # noqa: E402

from image_updater.config import Settings  # noqa: E402
from image_updater.cycle import Updater  # noqa: E402
from tests.support.gitrepo import make_remote  # noqa: E402
from tests.support.registry_proxy import RegistryProxy  # noqa: E402

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
spec:
  template:
    spec:
      containers:
        - name: {name}
          image: {host}/fleet/{name}:1.0.0
"""


def repositories(count: int) -> list[str]:
    return [f"r{index:03d}" for index in range(count)]


def build(base: Path, host: str, proxy_url: str, targets: int, images: int, repos: list[str]) -> Settings:
    step = max(1, len(repos) // targets)
    listed = []
    for index in range(targets):
        used = [repos[(index * step + k) % len(repos)] for k in range(images)]
        remote = make_remote(
            base,
            {f"apps/{name}.yaml": DEPLOYMENT.format(name=name, host=host) for name in used},
            name=f"t{index:02d}.git",
        )
        listed.append({"name": f"t{index:02d}", "git": {"url": f"file://{remote.path}"}})
    return Settings(
        registries=[{"name": "local", "url": proxy_url, "prefix": host, "insecure": True}],
        targets=listed,
        images=[{"name": name, "image": f"{host}/fleet/{name}", "policy": {"semver": "^1.0"}} for name in repos],
        workdir=str(base / "checkouts"),
    )


async def two_cycles(settings: Settings, workdir: Path) -> tuple[float, float, int]:
    """(cold seconds, warm seconds, errors) of two dry-run cycles of one long-lived Updater."""
    updater = Updater(settings, workdir=workdir)
    try:
        started = time.perf_counter()
        cold = await updater.run_cycle(dry_run=True)
        middle = time.perf_counter()
        warm = await updater.run_cycle(dry_run=True)
        ended = time.perf_counter()
    finally:
        await updater.aclose()
    return middle - started, ended - middle, len(cold.all_errors) + len(warm.all_errors)


def alone(settings: Settings, name: str) -> Settings:
    target = next(t for t in settings.targets if t.name == name)
    return Settings(registries=settings.registries, targets=[target], images=settings.images, workdir=settings.workdir)


def tag_lists(proxy: RegistryProxy) -> dict[str, int]:
    counts: dict[str, int] = {}
    for method, path in proxy.requests:
        if method == "GET" and "/tags/list" in path:
            repo = path.split("/v2/", 1)[1].split("/tags/list", 1)[0]
            counts[repo] = counts.get(repo, 0) + 1
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--targets", type=int, default=50)
    parser.add_argument("--images", type=int, default=20, help="images per target")
    parser.add_argument("--repos", type=int, default=200, help="repositories in the registry")
    parser.add_argument("--tags", type=int, default=10, help="tags per repository")
    args = parser.parse_args()
    repos = repositories(args.repos)
    server, storage = seed([f"fleet/{r}" for r in repos], [f"1.0.{n}" for n in range(args.tags)], all_by_api=False)
    proxy = RegistryProxy(server.url).start()
    base = Path(tempfile.mkdtemp(prefix="bench-targets-"))
    try:
        settings = build(base, server.host, proxy.url, args.targets, args.images, repos)
        used = {f"fleet/{image.name}" for t in settings.cycle_targets for image in t.images}
        print(f"{args.targets} targets × {args.images} images over {len(used)} repositories, {args.tags} tags each")

        proxy.requests.clear()
        fleet_cold, fleet_warm, fleet_errors = asyncio.run(two_cycles(settings, base / "fleet"))
        fleet_lists = tag_lists(proxy)

        proxy.requests.clear()
        single_cold = single_warm = 0.0
        single_errors = 0
        for target in settings.targets:
            cold, warm, errors = asyncio.run(two_cycles(alone(settings, target.name), base / "single" / target.name))
            single_cold, single_warm, single_errors = single_cold + cold, single_warm + warm, single_errors + errors
        single_lists = tag_lists(proxy)

        per_repo = sum(fleet_lists.values()) / (2 * len(used))
        print(f"errors: fleet {fleet_errors}, singles {single_errors}")
        print(
            f"tag-list requests per unique repository per cycle: fleet {per_repo:.2f} (target 1.00), "
            f"singles {sum(single_lists.values()) / (2 * len(used)):.2f}"
        )
        print(
            f"cold cycle: fleet {fleet_cold:.2f} s, {args.targets} single-target runs {single_cold:.2f} s, "
            f"ratio {fleet_cold / single_cold:.2f}"
        )
        print(
            f"warm cycle: fleet {fleet_warm:.2f} s, {args.targets} single-target runs {single_warm:.2f} s, "
            f"ratio {fleet_warm / single_warm:.2f}"
        )
    finally:
        proxy.stop()
        server.stop()
        shutil.rmtree(base, ignore_errors=True)
        if storage is not None:
            shutil.rmtree(storage, ignore_errors=True)


if __name__ == "__main__":
    main()
