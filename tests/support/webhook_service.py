"""A real registry that notifies a real image-updater, a config file for it, and a config repo to update.

Shared by the webhook end-to-end tests and ``bench/webhook_latency.py``.

Seeding is done through a *second* registry process on the same filesystem storage, one without
notifications: a push to the notifying registry before image-updater listens would be retried by the
registry until it is delivered, arriving at an unpredictable moment as an extra webhook cycle.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import httpx

from tests.support.gitrepo import BareRemote
from tests.support.registry import RegistryServer, free_port, start_registry

RECEIVER = "registry"
TOKEN = "e2e-webhook-token-4c1d7b9a2f68e035"


def _filesystem_storage(root: Path) -> dict[str, object]:
    return {"storage": {"filesystem": {"rootdirectory": str(root)}, "delete": {"enabled": True}}}


def notifying_registry(storage: Path, app_port: int, seed: Mapping[str, Sequence[str]]) -> RegistryServer:
    """Push ``seed`` (repository → tags) quietly, then serve the same storage with notifications on."""
    storage.mkdir(parents=True, exist_ok=True)
    seeder = start_registry(extra_config=_filesystem_storage(storage))
    try:
        with seeder.pusher() as pusher:
            for repository, tags in seed.items():
                pusher.push_tags(repository, list(tags))
    finally:
        seeder.stop()
    return start_registry(
        extra_config=_filesystem_storage(storage),
        notifications=[
            {
                "name": "image-updater",
                "url": f"http://127.0.0.1:{app_port}/webhook/{RECEIVER}",
                "timeout": "2s",
                "threshold": 5,
                "backoff": "1s",
                "headers": {"Authorization": [f"Bearer {TOKEN}"]},
                "ignore": {"actions": ["pull"], "mediatypes": ["application/octet-stream"]},
            }
        ],
    )


def write_service_config(
    base: Path,
    registry_host: str,
    remote: BareRemote,
    app_port: int,
    images: Mapping[str, str],
    *,
    paths: Sequence[str] = (".",),
    interval: str = "3600s",
) -> Path:
    """A config file for ``image-updater run``: ``images`` is name → repository path on the
    (plain HTTP) registry at ``registry_host``.

    The poll interval is long (an hour by default) so any commit seen within a test came from the
    start-up cycle or a webhook, never from the schedule.
    """
    secret_file = base / "registry-webhook.token"
    secret_file.write_text(TOKEN + "\n")
    image_lines = "".join(
        f'  - name: {name}\n    image: {registry_host}/{path}\n    policy: {{semver: "^{_major(name)}"}}\n'
        for name, path in images.items()
    )
    config = base / "config.yaml"
    config.write_text(f"""\
registries:
  - name: local
    url: http://{registry_host}
    prefix: {registry_host}
    insecure: true
git:
  url: {remote.url}
  branch: main
  author: {{name: image-updater, email: bot@example.com}}
  workdir: {base / "checkout"}
  paths: {json.dumps(list(paths))}
images:
{image_lines}service:
  listen: 127.0.0.1
  port: {app_port}
  interval: {interval}
  jitter: 0
  log_format: json
  webhooks:
    - name: {RECEIVER}
      type: distribution
      secret_file: {secret_file}
""")
    return config


def _major(name: str) -> str:
    """Images named ``api`` are on 0.x in these tests; everything else on 1.x."""
    return "0.1" if name == "api" else "1.0"


DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  namespace: {namespace}
  labels: {{app: {name}, tier: {tier}}}
spec:
  replicas: {replicas}
  selector:
    matchLabels: {{app: {name}}}
  template:
    metadata:
      labels: {{app: {name}}}
    spec:
      containers:
        - name: {name}
          image: {image}  # pinned by image-updater
          ports:
            - containerPort: {port}
          env:
            - name: LOG_LEVEL
              value: info
          resources:
            requests: {{cpu: 50m, memory: 64Mi}}
            limits: {{memory: 256Mi}}
"""


def deployment(
    name: str, image: str, *, namespace: str = "apps", replicas: int = 2, port: int = 8080, tier: str = "backend"
) -> str:
    return DEPLOYMENT.format(name=name, namespace=namespace, replicas=replicas, port=port, image=image, tier=tier)


def config_repo_files(host: str, tracked: Mapping[str, str], *, filler: int = 0) -> dict[str, str]:
    """One Deployment per ``tracked`` image (name → ``repo:tag``) plus ``filler`` realistic others.

    The filler files are Deployments of images image-updater is not configured for (some on the same
    registry, some on Docker Hub), spread over team folders like a real platform repo.
    """
    files = {f"apps/{name}/deployment.yaml": deployment(name, f"{host}/{ref}") for name, ref in tracked.items()}
    for i in range(filler):
        team = f"team-{i % 25:02d}"
        name = f"svc-{i:04d}"
        image = (
            f"{host}/other/{name}:2.{i % 7}.{i % 3}"
            if i % 3 == 0
            else f"docker.io/library/nginx:1.{20 + i % 5}"
            if i % 3 == 1
            else f"ghcr.io/acme/{name}:v{i % 9}.0.1"
        )
        files[f"clusters/prod/{team}/{name}.yaml"] = deployment(
            name,
            image,
            namespace=team,
            replicas=1 + i % 4,
            port=8000 + i % 100,
            tier="frontend" if i % 2 else "backend",
        )
    return files


def metric(base_url: str, name: str, labels: Mapping[str, str] | None = None) -> float | None:
    """One sample's value from a live ``/metrics`` (None when the series does not exist yet)."""
    from prometheus_client.parser import text_string_to_metric_families

    text = httpx.get(f"{base_url}/metrics", timeout=5).text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in (labels or {}).items()):
                return float(sample.value)
    return None


def wait_for(condition: Callable[[], bool], what: str, deadline: float = 30.0) -> None:
    """Poll ``condition()`` until true; the deadline guards against hangs and measures nothing."""
    end = time.monotonic() + deadline
    while not condition():
        if time.monotonic() > end:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.02)


__all__ = [
    "RECEIVER",
    "TOKEN",
    "config_repo_files",
    "deployment",
    "free_port",
    "metric",
    "notifying_registry",
    "wait_for",
    "write_service_config",
]
