"""The local demo: a real registry, a config repo with a bare remote, one update cycle, the resulting diff.

Everything runs on loopback in a temporary folder (kept with --keep). It uses the same registry launcher
and image pusher as the tests, and the real `image-updater` command line.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.gitrepo import git, make_remote  # noqa: E402
from tests.support.registry import start_registry  # noqa: E402

DEPLOYMENT = """\
# The web frontend. image-updater only ever rewrites the image value below.
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  template:
    spec:
      containers:
        - name: web
          image: {host}/team/web:1.0.0   # kept up to date by image-updater (semver ^1.0)
          ports:
            - containerPort: 8080
"""

VALUES = """\
worker:
  image:
    repository: {host}/team/worker
    tag: "2024.01.05"   # date tags, newest wins
"""

CONFIG = """\
registries:
  - name: demo
    url: http://{host}
    prefix: {host}
    insecure: true
git:
  url: {remote}
  branch: main
  author: {{name: image-updater, email: image-updater@example.com}}
  paths: ["."]
  workdir: {workdir}
images:
  - name: web
    image: {host}/team/web
    policy: {{semver: "^1.0"}}
    ignore: ["*-debug"]
  - name: worker
    image: {host}/team/worker
    policy: {{filter: '^(?P<date>\\d{{4}}\\.\\d{{2}}\\.\\d{{2}})$', extract: "$date", order: alphabetical}}
"""


def cli(*args: str) -> None:
    print(f"\n$ image-updater {' '.join(args)}", flush=True)
    subprocess.run([sys.executable, "-m", "image_updater.cli", *args], check=False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="image-updater-demo-"))
    registry = start_registry()
    try:
        host = registry.host
        print(f"registry: {registry.url} (CNCF Distribution, in memory)")
        with registry.pusher() as pusher:
            for tag in ["1.0.0", "1.1.0", "1.2.0-rc.1", "1.1.1-debug", "2.0.0"]:
                pusher.push_image("team/web", tag)
            for tag in ["2024.01.05", "2024.02.11", "2024.03.02", "latest"]:
                pusher.push_image("team/worker", tag)
        print("pushed team/web: 1.0.0 1.1.0 1.2.0-rc.1 1.1.1-debug 2.0.0")
        print("pushed team/worker: 2024.01.05 2024.02.11 2024.03.02 latest")
        remote = make_remote(
            base,
            {
                "apps/web/deployment.yaml": DEPLOYMENT.format(host=host),
                "apps/worker/values.yaml": VALUES.format(host=host),
            },
        )
        print(f"config repo: {remote.url}")
        config = base / "config.yaml"
        config.write_text(CONFIG.format(host=host, remote=remote.url, workdir=base / "checkout"))
        cli("plan", "--config", str(config))
        cli("run", "--once", "--config", str(config))
        print("\n$ git log -1 -p  (on the remote)", flush=True)
        print(git(remote.path, "log", "-1", "-p", "--format=commit %H%nAuthor: %an <%ae>%n%n%B", "main"))
        cli("run", "--once", "--config", str(config))
        print(f"\ncommits on the remote: {len(remote.log())} (the second run changed nothing)")
    finally:
        registry.stop()
        if args.keep:
            print(f"kept {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
