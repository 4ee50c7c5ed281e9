"""Rendering the chart with Helm's own engine (helm-python-sdk embeds Helm v4's Go SDK).

Kept apart from the tests so every test renders the same way: one release name, one namespace,
and manifests parsed into plain dicts.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

helm = pytest.importorskip("helm_python", reason="helm-python-sdk is not installed (pip install helm-python-sdk)")

CHART_DIR = Path(__file__).resolve().parents[2] / "charts" / "image-updater"
RELEASE = "iu"
NAMESPACE = "gitops"

# Every optional part switched on, SSH Git credentials, non-default ports and probes: what a
# production install with webhooks from outside the cluster and Prometheus looks like.
FULL_VALUES: dict[str, Any] = {
    "image": {"repository": "registry.example.com/platform/image-updater", "digest": "sha256:" + "ab" * 32},
    "config": {
        "registries": [
            {
                "name": "ghcr",
                "url": "https://ghcr.io",
                "prefix": "ghcr.io",
                "credentials": "dockerconfig:/var/run/secrets/dockerconfig/.dockerconfigjson",
            },
            {
                "name": "internal",
                "url": "https://registry.example.com",
                "prefix": "registry.example.com",
                "username": "bot",
                "password_file": "/var/run/secrets/registry/internal/password",
            },
        ],
        "docker_config": "/var/run/secrets/dockerconfig/.dockerconfigjson",
        "git": {
            "url": "ssh://git@github.com/org/config.git",
            "branch": "main",
            "author": {"name": "image-updater", "email": "image-updater@example.com"},
            "paths": ["clusters/prod"],
            "ssh_key_file": "/var/run/secrets/git-ssh/identity",
            "known_hosts_file": "/var/run/secrets/git-ssh/known_hosts",
            "write": {"mode": "pull_request"},
        },
        "images": [{"name": "web", "image": "ghcr.io/org/web", "policy": {"semver": "^1.2"}}],
        "service": {
            "port": 9090,
            "interval": 600,
            "webhooks": [
                {
                    "name": "registry",
                    "type": "distribution",
                    "secret_file": "/var/run/secrets/webhooks/registry",
                }
            ],
        },
    },
    "credentials": {
        "dockerConfig": {"existingSecret": "regcred"},
        "git": {"ssh": {"existingSecret": "git-deploy-key"}},
        "webhooks": {"existingSecret": "webhook-secrets"},
        "extra": [
            {
                "name": "internal",
                "existingSecret": "internal-registry",
                "mountPath": "/var/run/secrets/registry/internal",
            }
        ],
    },
    "containerPort": 9090,
    "service": {"port": 80},
    "ingress": {
        "enabled": True,
        "className": "nginx",
        "hosts": ["hooks.example.com", "hooks.internal.example.com"],
        "tls": [{"secretName": "hooks-tls", "hosts": ["hooks.example.com"]}],
    },
    "metrics": {"serviceMonitor": {"enabled": True, "interval": "1m", "labels": {"release": "prometheus"}}},
    "networkPolicy": {
        "enabled": True,
        "ingressFrom": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}],
        "egress": {"ports": [{"port": 443, "protocol": "TCP"}, {"port": 22, "protocol": "TCP"}]},
    },
    "podSecurityContext": {
        "runAsNonRoot": True,
        "runAsUser": 65532,
        "runAsGroup": 65532,
        "fsGroup": 65532,
        "seccompProfile": {"type": "RuntimeDefault"},
    },
    "livenessProbe": {
        "httpGet": {"path": "/healthz", "port": "http"},
        "initialDelaySeconds": 15,
        "periodSeconds": 30,
        "timeoutSeconds": 5,
        "failureThreshold": 4,
    },
    "readinessProbe": {
        "httpGet": {"path": "/readyz", "port": "http"},
        "periodSeconds": 5,
        "failureThreshold": 2,
    },
    "resources": {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"memory": "1Gi"}},
    "extraEnv": [{"name": "IMAGE_UPDATER_SERVICE__LOG_LEVEL", "value": "debug"}],
    "podAnnotations": {"example.com/team": "platform"},
    "nodeSelector": {"kubernetes.io/os": "linux"},
}


def full_values() -> dict[str, Any]:
    """A fresh copy, so a test that tweaks it cannot leak into another."""
    return copy.deepcopy(FULL_VALUES)


def render_raw(values: dict[str, Any] | None = None) -> dict[str, str]:
    """Template path → rendered text, as `helm template` would produce it."""
    with helm.Chart.load(CHART_DIR) as chart:
        rendered: dict[str, str] = chart.render(values=values, name=RELEASE, namespace=NAMESPACE, is_install=True)
    return rendered


def render(values: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """The rendered Kubernetes objects (NOTES.txt and empty documents left out)."""
    objects: list[dict[str, Any]] = []
    for path, text in sorted(render_raw(values).items()):
        if path.endswith("NOTES.txt"):
            continue
        objects.extend(doc for doc in yaml.safe_load_all(text) if doc)
    return objects


def by_kind(objects: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    """The single object of ``kind``; fails the test when there is none or more than one."""
    matches = [obj for obj in objects if obj["kind"] == kind]
    assert len(matches) == 1, f"expected one {kind}, rendered {len(matches)}"
    return matches[0]


def main_container(objects: list[dict[str, Any]]) -> dict[str, Any]:
    containers = by_kind(objects, "Deployment")["spec"]["template"]["spec"]["containers"]
    assert [c["name"] for c in containers] == ["image-updater"]
    container: dict[str, Any] = containers[0]
    return container
