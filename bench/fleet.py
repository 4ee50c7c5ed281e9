"""A generated fleet: a config repository of realistic YAML, the registry it points at, and the settings for it.

Shared by ``bench/repo_scale.py`` and ``bench/renovate.py``. Only the standard library is imported at module
level, so the measured child processes that import this module pay nothing for it.

The repository (``generate``) mixes what a platform repository holds: Deployments, StatefulSets and CronJobs
(one to four containers, init containers, sidecars of images nobody configured), multi-document bundles,
kustomizations with ``images:`` entries (``newTag``, some with ``newName``), Helm values files with anchors,
merge keys and aliases, a few large files (a multi-document all-in-one bundle, a CRD with a big schema, a big
values file, a ConfigMap of dashboards, RBAC) and files holding no image at all (Services, ConfigMaps,
NetworkPolicies, RBAC, Namespaces; some with the word "image" in them). Every one of ``refs`` references names
one of the ``images`` configured repositories with a tag that ``expected`` knows the right answer for.
"""

from __future__ import annotations

import json
import random
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

    from tests.support.registry import RegistryServer

ENVS = ("prod", "staging", "dev", "eu-prod", "us-prod")
BIG_FILES = (  # name, size in KB, holds references
    ("clusters/prod/all-in-one.yaml", 600, True),
    ("platform/crds/workflows.example.com.yaml", 900, False),
    ("charts/platform/values.yaml", 300, True),
    ("platform/monitoring/dashboards.yaml", 400, False),
    ("platform/rbac/cluster-roles.yaml", 200, False),
)
UNCONFIGURED = (
    "docker.io/library/busybox:1.36.1",
    "docker.io/library/nginx:1.25.3",
    "ghcr.io/acme/log-shipper:v2.4.0",
    "quay.io/prometheus/node-exporter:v1.7.0",
    "registry.k8s.io/pause:3.9",
)


# ---------------------------------------------------------------------------------------------- tags and policies


def tag_list(count: int) -> list[str]:
    """``count`` tags: mostly stable 1.x.y, a few 2.0.z (a major the policies exclude), pre-releases of 1.9.0
    (above every stable 1.x, which neither tool may pick for a stable current tag), and ``latest``."""
    other = ["latest"] if count >= 10 else []
    pre = [f"1.9.0-rc.{i + 1}" for i in range(count // 16)]
    major2 = [f"2.0.{i}" for i in range(count // 10)]
    n_stable = max(1, count - len(other) - len(pre) - len(major2))
    return ([f"1.{i // 10}.{i % 10}" for i in range(n_stable)] + major2 + pre + other)[: max(1, count)]


def _key(tag: str) -> tuple[int, ...]:
    return tuple(int(x) for x in tag.split("."))


def stable(tags: list[str]) -> list[str]:
    return sorted((t for t in tags if t.replace(".", "").isdigit() and t.count(".") == 2), key=_key)


@dataclass(frozen=True)
class Policy:
    """One policy both tools can say: image-updater's ``semver`` range, Renovate's ``allowedVersions``."""

    range: str  # "^1.0" (latest stable 1.x) or "~1.2" (latest stable 1.2.x)

    def allows(self, tag: str) -> bool:
        major, minor, _ = _key(tag)
        if self.range.startswith("^"):
            return major == int(self.range[1:].split(".")[0])
        want_major, want_minor = (int(x) for x in self.range[1:].split("."))
        return (major, minor) == (want_major, want_minor)

    def choose(self, tags: list[str], current: str) -> str:
        """The greatest allowed stable tag, never below ``current`` (no downgrades)."""
        allowed = [t for t in stable(tags) if self.allows(t)]
        best = allowed[-1] if allowed else current
        return best if _key(best) > _key(current) else current

    def currents(self, tags: list[str]) -> list[str]:
        """Tags a file may hold today for this policy: stable, not above what the policy allows."""
        allowed = [t for t in stable(tags) if self.allows(t)]
        top = _key(allowed[-1]) if allowed else (0,)
        return [t for t in stable(tags) if _key(t) <= top and _key(t)[0] == 1]


def policies(images: int, tags: list[str]) -> list[Policy]:
    """Three in four images follow ``^1.0``, every fourth ``~1.2`` (when there are 1.2.x tags at all)."""
    has_12 = any(t.startswith("1.2.") for t in stable(tags))
    return [Policy("~1.2" if has_12 and i % 4 == 3 else "^1.0") for i in range(images)]


def repositories(images: int) -> list[str]:
    return [f"bench/app-{i:03d}" for i in range(images)]


# ---------------------------------------------------------------------------------------------- the repository


@dataclass
class Fleet:
    files: int = 10_000
    images: int = 200
    tags: int = 50
    refs: int | None = None  # references to configured images; default 2 per file
    seed: int = 14
    settled: bool = False  # every reference already at the tag its policy chooses: the same files otherwise

    @property
    def ref_count(self) -> int:
        return self.refs if self.refs is not None else 2 * self.files


@dataclass
class Generated:
    files: dict[str, str]
    refs: list[tuple[str, str]]  # (repository, current tag), one per reference to a configured image
    unconfigured_refs: int
    tags: list[str]
    policies: list[Policy]
    kinds: dict[str, int] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return sum(len(text.encode()) for text in self.files.values())

    def expected(self, host: str) -> set[tuple[str, str, str]]:
        """(image, current, chosen) for every reference whose tag should move."""
        by_repo = dict(zip(repositories(len(self.policies)), self.policies, strict=True))
        out = set()
        for repo, current in self.refs:
            chosen = by_repo[repo].choose(self.tags, current)
            if chosen != current:
                out.add((f"{host}/{repo}", current, chosen))
        return out


class _Refs:
    """Hands out references: every configured image about equally often, tags spread over the allowed ones."""

    def __init__(
        self, rng: random.Random, host: str, count: int, tags: list[str], pols: list[Policy], settled: bool = False
    ) -> None:
        repos = repositories(len(pols))
        order = [i % len(repos) for i in range(count)]
        rng.shuffle(order)
        self._queue = order
        self._rng, self._host, self._repos, self._tags, self._pols = rng, host, repos, tags, pols
        self._currents = [p.currents(tags) for p in pols]
        self._settled = settled
        self.handed: list[tuple[str, str]] = []

    def left(self) -> int:
        return len(self._queue)

    def take(self) -> tuple[str, str, str]:
        """(registry host, repository, tag)."""
        i = self._queue.pop()
        currents = self._currents[i]
        # about one reference in six is already where the policy wants it
        tag = self._pols[i].choose(self._tags, currents[0]) if self._rng.random() < 0.16 else self._rng.choice(currents)
        if self._settled:  # the same random draws, so the same files, but with nothing left to update
            tag = self._pols[i].choose(self._tags, tag)
        self.handed.append((self._repos[i], tag))
        return self._host, self._repos[i], tag

    def image(self) -> str:
        host, repo, tag = self.take()
        return f"{host}/{repo}:{tag}"


def _env(rng: random.Random, count: int) -> str:
    keys = [
        "LOG_LEVEL",
        "LOG_FORMAT",
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTEL_SERVICE_NAME",
        "HTTP_PORT",
        "GRPC_PORT",
        "DB_HOST",
        "DB_PORT",
        "DB_NAME",
        "CACHE_TTL",
        "FEATURE_FLAGS",
        "REGION",
        "TZ",
        "GOMAXPROCS",
        "JAVA_OPTS",
        "MAX_CONNECTIONS",
        "REQUEST_TIMEOUT",
        "RETRY_BACKOFF",
        "SENTRY_ENVIRONMENT",
        "QUEUE_URL",
    ]
    values = ["info", "8080", "true", "30s", "eu-west-1", "json", "4", "db.internal.example.com"]
    text = "".join(
        f'    - name: {key}\n      value: "{rng.choice(values)}"\n' for key in rng.sample(keys, min(count, len(keys)))
    )
    return (
        text + "    - name: POD_NAME\n      valueFrom:\n        fieldRef: {fieldPath: metadata.name}\n"
        "    - name: DB_PASSWORD\n      valueFrom:\n        secretKeyRef: {name: db, key: password}\n"
    )


def _container(rng: random.Random, name: str, image: str, *, indent: str = "        ", full: bool = True) -> str:
    """One container list item, indented to ``indent``; ``image`` written plain, quoted or with a comment."""
    quote = rng.choice(["", "", '"', "'"])
    comment = rng.choice(["", "", "", "  # managed by image-updater"])
    text = f"- name: {name}\n  image: {quote}{image}{quote}{comment}\n  imagePullPolicy: IfNotPresent\n"
    if full:
        port = 8000 + rng.randrange(1000)
        text += (
            f"  ports:\n    - name: http\n      containerPort: {port}\n      protocol: TCP\n"
            f"  env:\n{_env(rng, rng.randrange(3, 12))}"
            "  resources:\n"
            f"    requests: {{cpu: {rng.choice([50, 100, 250, 500])}m, memory: {rng.choice([64, 128, 256])}Mi}}\n"
            f"    limits: {{memory: {rng.choice([256, 512, 1024])}Mi}}\n"
            f"  readinessProbe:\n    httpGet: {{path: /healthz, port: {port}}}\n    periodSeconds: 10\n"
            f"  livenessProbe:\n    httpGet: {{path: /livez, port: {port}}}\n    initialDelaySeconds: 15\n"
            "  securityContext:\n    runAsNonRoot: true\n    readOnlyRootFilesystem: true\n"
            "    allowPrivilegeEscalation: false\n    capabilities: {drop: [ALL]}\n"
            "  volumeMounts:\n    - {name: config, mountPath: /etc/app}\n    - {name: tmp, mountPath: /tmp}\n"
        )
    return "".join(indent + line + "\n" for line in text.splitlines())


def _metadata(rng: random.Random, name: str, namespace: str, team: str) -> str:
    return (
        f"metadata:\n  name: {name}\n  namespace: {namespace}\n"
        f"  labels:\n    app.kubernetes.io/name: {name}\n    app.kubernetes.io/part-of: {team}\n"
        f"    app.kubernetes.io/managed-by: argocd\n    team: {team}\n"
        f'  annotations:\n    owner: "{team}@example.com"\n'
        f"    runbook: https://runbooks.example.com/{team}/{name}\n"
    )


def _pod_spec(rng: random.Random, name: str, images: list[str], extra: list[str], indent: str) -> str:
    """A pod spec at ``indent``: the first image as an init container now and then, the rest as containers."""
    inner = indent + "  "
    text = f"{indent}serviceAccountName: {name}\n{indent}terminationGracePeriodSeconds: 30\n"
    containers = list(images)
    if len(containers) > 1 and rng.random() < 0.3:
        text += f"{indent}initContainers:\n" + _container(rng, "migrate", containers.pop(0), indent=inner, full=False)
    text += f"{indent}containers:\n"
    for n, image in enumerate(containers):
        text += _container(rng, name if n == 0 else f"sidecar-{n}", image, indent=inner)
    for n, image in enumerate(extra):
        text += _container(rng, f"helper-{n}", image, indent=inner, full=False)
    text += (
        f"{indent}volumes:\n{inner}- name: config\n{inner}  configMap: {{name: {name}-config}}\n"
        f"{inner}- name: tmp\n{inner}  emptyDir: {{}}\n"
        f"{indent}affinity:\n{inner}podAntiAffinity:\n{inner}  preferredDuringSchedulingIgnoredDuringExecution:\n"
        f"{inner}    - weight: 100\n{inner}      podAffinityTerm:\n"
        f"{inner}        labelSelector: {{matchLabels: {{app.kubernetes.io/name: {name}}}}}\n"
        f"{inner}        topologyKey: kubernetes.io/hostname\n"
    )
    return text


def deployment(
    rng: random.Random, name: str, ns: str, team: str, images: list[str], extra: list[str], kind: str = "Deployment"
) -> str:
    head = f"apiVersion: apps/v1\nkind: {kind}\n" + _metadata(rng, name, ns, team)
    spec = (
        f"spec:\n  replicas: {rng.randrange(1, 6)}\n  revisionHistoryLimit: 5\n"
        f"  selector:\n    matchLabels:\n      app.kubernetes.io/name: {name}\n"
    )
    if kind == "StatefulSet":
        spec += f"  serviceName: {name}\n  podManagementPolicy: Parallel\n"
    else:
        spec += "  strategy:\n    type: RollingUpdate\n    rollingUpdate: {maxSurge: 25%, maxUnavailable: 0}\n"
    spec += (
        f"  template:\n    metadata:\n      labels:\n        app.kubernetes.io/name: {name}\n"
        f'      annotations:\n        prometheus.io/scrape: "true"\n        prometheus.io/port: "9090"\n'
        f"    spec:\n" + _pod_spec(rng, name, images, extra, "      ")
    )
    if kind == "StatefulSet":
        spec += (
            "  volumeClaimTemplates:\n    - metadata:\n        name: data\n      spec:\n"
            "        accessModes: [ReadWriteOnce]\n        storageClassName: fast-ssd\n"
            f"        resources:\n          requests: {{storage: {rng.choice([10, 20, 50, 100])}Gi}}\n"
        )
    return head + spec


def cronjob(rng: random.Random, name: str, ns: str, team: str, images: list[str], extra: list[str]) -> str:
    minute = rng.randrange(60)
    return (
        "apiVersion: batch/v1\nkind: CronJob\n"
        + _metadata(rng, name, ns, team)
        + f'spec:\n  schedule: "{minute} */{rng.choice([1, 2, 4, 6, 12])} * * *"\n'
        "  concurrencyPolicy: Forbid\n  successfulJobsHistoryLimit: 3\n  failedJobsHistoryLimit: 1\n"
        "  jobTemplate:\n    spec:\n      backoffLimit: 2\n      activeDeadlineSeconds: 3600\n"
        "      template:\n        spec:\n          restartPolicy: OnFailure\n"
        + _pod_spec(rng, name, images, extra, "          ")
    )


def service(rng: random.Random, name: str, ns: str, team: str) -> str:
    return (
        "apiVersion: v1\nkind: Service\n"
        + _metadata(rng, name, ns, team)
        + f"spec:\n  type: ClusterIP\n  selector:\n    app.kubernetes.io/name: {name}\n"
        f"  ports:\n    - {{name: http, port: 80, targetPort: {8000 + rng.randrange(1000)}}}\n"
        "    - {name: metrics, port: 9090, targetPort: 9090}\n"
    )


def configmap(rng: random.Random, name: str, ns: str, team: str, lines: int = 20) -> str:
    body = "".join(
        f"    {k}_{n} = {rng.choice(['true', 'false', '30', 'info', 'https://api.example.com'])}\n"
        for n, k in enumerate(rng.choices(["timeout", "retries", "feature", "endpoint", "level"], k=lines))
    )
    word = "    image_cache_size = 512\n" if rng.random() < 0.2 else ""  # the word alone holds no image
    return (
        "apiVersion: v1\nkind: ConfigMap\n"
        + _metadata(rng, f"{name}-config", ns, team)
        + f"data:\n  app.properties: |\n{body}{word}  LOG_LEVEL: info\n"
    )


def network_policy(rng: random.Random, name: str, ns: str, team: str) -> str:
    return (
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
        + _metadata(rng, f"{name}-ingress", ns, team)
        + f"spec:\n  podSelector:\n    matchLabels:\n      app.kubernetes.io/name: {name}\n"
        "  policyTypes: [Ingress, Egress]\n  ingress:\n    - from:\n"
        "        - namespaceSelector:\n            matchLabels: {kubernetes.io/metadata.name: ingress-nginx}\n"
        "      ports:\n        - {protocol: TCP, port: 8080}\n  egress:\n    - to:\n"
        "        - namespaceSelector: {}\n      ports:\n        - {protocol: UDP, port: 53}\n"
    )


def rbac(rng: random.Random, name: str, ns: str, team: str) -> str:
    return (
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\n"
        + _metadata(rng, name, ns, team)
        + 'rules:\n  - apiGroups: [""]\n    resources: [configmaps, secrets]\n    verbs: [get, list, watch]\n'
        "  - apiGroups: [apps]\n    resources: [deployments]\n    verbs: [get]\n---\n"
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\n"
        + _metadata(rng, name, ns, team)
        + f"roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: Role, name: {name}}}\n"
        f"subjects:\n  - {{kind: ServiceAccount, name: {name}, namespace: {ns}}}\n"
    )


def namespace(rng: random.Random, team: str) -> str:
    return (
        f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {team}\n  labels:\n    team: {team}\n"
        "    pod-security.kubernetes.io/enforce: restricted\n  annotations:\n"
        "    scheduler.alpha.kubernetes.io/node-selector: pool=general\n"
    )


def bundle(rng: random.Random, name: str, ns: str, team: str, images: list[str], extra: list[str]) -> str:
    docs = [
        f"apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: {name}\n  namespace: {ns}\n",
        configmap(rng, name, ns, team, 8),
        service(rng, name, ns, team),
        deployment(rng, name, ns, team, images, extra),
        "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\n"
        + _metadata(rng, name, ns, team)
        + f"spec:\n  scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: {name}}}\n"
        "  minReplicas: 2\n  maxReplicas: 10\n  metrics:\n    - type: Resource\n"
        "      resource: {name: cpu, target: {type: Utilization, averageUtilization: 70}}\n",
        "apiVersion: policy/v1\nkind: PodDisruptionBudget\n"
        + _metadata(rng, name, ns, team)
        + f"spec:\n  minAvailable: 1\n  selector:\n    matchLabels: {{app.kubernetes.io/name: {name}}}\n",
    ]
    return "---\n" + "---\n".join(docs)


def kustomization(rng: random.Random, name: str, ns: str, refs: list[tuple[str, str, str]]) -> str:
    text = (
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
        f"namespace: {ns}\nresources:\n  - ../../base\n  - ingress.yaml\n"
        f"commonLabels:\n  app.kubernetes.io/instance: {name}\n"
        "patches:\n  - path: replicas.yaml\n    target: {kind: Deployment}\n"
        f"configMapGenerator:\n  - name: {name}-env\n    literals: [LOG_LEVEL=info, REGION=eu-west-1]\nimages:\n"
    )
    for host, repo, tag in refs:
        if rng.random() < 0.3:  # the base names a placeholder; the overlay points it at the real repository
            text += f"  - name: {repo.rsplit('/', 1)[-1]}\n    newName: {host}/{repo}\n    newTag: {tag}\n"
        else:
            text += f'  - name: {host}/{repo}\n    newTag: "{tag}"\n'
    return text


def helm_values(rng: random.Random, name: str, refs: list[tuple[str, str, str]], size: int = 0) -> str:
    """Values with an anchored defaults block merged into every component (``<<: *defaults``), aliases
    (``resources: *resources``; now and then a ``canary`` whose ``image: *image0`` is the first component's
    image block), and image blocks in both shapes: registry + repository, and repository alone."""
    text = (
        f"# values for {name}\nnameOverride: {name}\n"
        "defaults: &defaults\n  replicaCount: 2\n  podAnnotations: &annotations\n"
        '    prometheus.io/scrape: "true"\n  resources: &resources\n'
        "    requests: {cpu: 100m, memory: 128Mi}\n    limits: {memory: 512Mi}\n"
        "  nodeSelector: &nodes {pool: general}\n"
    )
    for n, (host, repo, tag) in enumerate(refs):
        component = f"component{n}" if n else "app"
        text += f"{component}:\n  <<: *defaults\n"
        anchor = " &image0" if n == 0 else ""
        if rng.random() < 0.5:
            text += (
                f'  image:{anchor}\n    registry: {host}\n    repository: {repo}\n    tag: "{tag}"\n'
                "    pullPolicy: IfNotPresent\n"
            )
        else:
            text += f"  image:{anchor}\n    repository: {host}/{repo}\n    tag: {tag}\n"
        text += (
            "  resources: *resources\n  podAnnotations: *annotations\n"
            f"  service:\n    type: ClusterIP\n    port: {8000 + rng.randrange(1000)}\n"
            "  ingress:\n    enabled: false\n"
        )
    if len(refs) > 1 and rng.random() < 0.3:  # a second deployment of the first component's image: an alias
        text += "canary:\n  <<: *defaults\n  replicaCount: 1\n  image: *image0\n"
    n = 0
    while len(text) < size:
        n += 1
        text += f"extraConfig{n}:\n  nodeSelector: *nodes\n  settings:\n" + "".join(
            f"    key{k}: value-{rng.randrange(10**6)}\n" for k in range(12)
        )
    return text


def _crd(rng: random.Random, size: int) -> str:
    text = (
        "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n"
        "metadata:\n  name: workflows.example.com\nspec:\n  group: example.com\n"
        "  names: {kind: Workflow, plural: workflows}\n  scope: Namespaced\n  versions:\n"
        "    - name: v1\n      served: true\n      storage: true\n      schema:\n        openAPIV3Schema:\n"
        "          type: object\n          properties:\n"
    )
    n = 0
    while len(text) < size:
        text += (
            f"            field{n}:\n              description: The container image to run for step {n}; "
            "image pull policy and image pull secrets follow the pod's.\n              type: object\n"
            "              properties:\n                image: {type: string}\n"
            "                imagePullPolicy: {type: string, enum: [Always, IfNotPresent, Never]}\n"
            "                args: {type: array, items: {type: string}}\n"
        )
        n += 1
    return text


def _dashboards(rng: random.Random, size: int) -> str:
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: grafana-dashboards\n  namespace: monitoring\ndata:\n"
    n = 0
    while len(text) < size:
        panels = [
            {
                "id": p,
                "type": "timeseries",
                "title": f"Requests {p}",
                "targets": [{"expr": f'sum(rate(http_requests_total{{job="svc-{n}"}}[5m])) by (code)'}],
            }
            for p in range(20)
        ]
        body = json.dumps({"title": f"Service {n}", "panels": panels}, indent=2)
        text += f"  dashboard-{n}.json: |\n" + "".join(f"    {line}\n" for line in body.splitlines())
        n += 1
    return text


def _cluster_roles(rng: random.Random, size: int) -> str:
    docs = []
    n = 0
    while sum(len(d) for d in docs) < size:
        docs.append(
            f"apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: role-{n}\n"
            "rules:\n"
            + "".join(
                f'  - apiGroups: ["group{k}.example.com"]\n    resources: [things{k}]\n    verbs: [get, list, watch]\n'
                for k in range(15)
            )
        )
        n += 1
    return "---\n".join(docs)


def generate(host: str, fleet: Fleet) -> Generated:
    """The repository's files (path → text) and the references it holds; deterministic for a given seed."""
    rng = random.Random(fleet.seed)
    tags = tag_list(fleet.tags)
    pols = policies(fleet.images, tags)
    refs = _Refs(rng, host, fleet.ref_count, tags, pols, fleet.settled)
    files: dict[str, str] = {}
    kinds: dict[str, int] = {}
    unconfigured = 0

    def extras() -> list[str]:
        nonlocal unconfigured
        if rng.random() < 0.12:
            unconfigured += 1
            return [rng.choice(UNCONFIGURED)]
        return []

    big = BIG_FILES[: min(len(BIG_FILES), max(1, fleet.files // 400))]
    for path, kb, holds in big:
        size = kb * 1024
        if path.endswith("all-in-one.yaml"):
            docs = []
            for n in range(min(200, refs.left() // 50)):
                docs.append(deployment(rng, f"aio-{n}", "platform", "platform", [refs.image()], extras()))
            n = 0
            while sum(len(d) for d in docs) < size:
                docs.append(service(rng, f"aio-svc-{n}", "platform", "platform"))
                docs.append(configmap(rng, f"aio-{n}", "platform", "platform"))
                n += 1
            files[path] = "---\n" + "---\n".join(docs)
        elif holds:
            count = min(100, refs.left() // 100)
            taken = [refs.take() for _ in range(count)]
            files[path] = helm_values(rng, "platform", taken, size=size)
        elif "crds" in path:
            files[path] = _crd(rng, size)
        elif "dashboards" in path:
            files[path] = _dashboards(rng, size)
        else:
            files[path] = _cluster_roles(rng, size)
        kinds["large file"] = kinds.get("large file", 0) + 1

    normal = fleet.files - len(files)
    # one in five files holds no image; the others at least one reference each
    no_image = normal // 5
    with_image = normal - no_image
    if refs.left() < with_image:  # few references asked for: fewer files hold them
        no_image += with_image - refs.left()
        with_image = refs.left()
    slots = [1] * with_image
    for _ in range(refs.left() - with_image):
        slots[rng.randrange(with_image)] += 1
    # the kind of each image-bearing file: weights
    kind_names = ["deployment", "statefulset", "cronjob", "bundle", "kustomization", "helm"]
    weights = [40, 10, 10, 14, 13, 13]
    for n, count in enumerate(slots):
        kind = rng.choices(kind_names, weights)[0]
        team = f"team-{n % 40:02d}"
        env = ENVS[n % len(ENVS)]
        name = f"svc-{n:05d}"
        ns = f"{team}-{env}"
        if kind == "kustomization":
            path = f"apps/{team}/{name}/overlays/{env}/kustomization.yaml"
            files[path] = kustomization(rng, name, ns, [refs.take() for _ in range(count)])
        elif kind == "helm":
            path = f"charts/{team}/{name}/values{'' if n % 3 else '-' + env}.yaml"
            files[path] = helm_values(rng, name, [refs.take() for _ in range(count)])
        else:
            images = [refs.image() for _ in range(count)]
            path = f"clusters/{env}/{team}/{name}-{kind}.yaml"
            if kind == "deployment":
                files[path] = deployment(rng, name, ns, team, images, extras())
            elif kind == "statefulset":
                files[path] = deployment(rng, name, ns, team, images, extras(), kind="StatefulSet")
            elif kind == "cronjob":
                files[path] = cronjob(rng, name, ns, team, images, extras())
            else:
                files[path] = bundle(rng, name, ns, team, images, extras())
        kinds[kind] = kinds.get(kind, 0) + 1
    makers = [("service", service), ("configmap", configmap), ("networkpolicy", network_policy), ("rbac", rbac)]
    for n in range(no_image):
        team = f"team-{n % 40:02d}"
        env = ENVS[n % len(ENVS)]
        if n < 40:
            files[f"clusters/{env}/{team}/namespace.yaml"] = namespace(rng, team)
            kinds["no image"] = kinds.get("no image", 0) + 1
            continue
        label, make = makers[n % len(makers)]
        files[f"clusters/{env}/{team}/common-{n:05d}-{label}.yaml"] = make(
            rng, f"common-{n:05d}", f"{team}-{env}", team
        )
        kinds["no image"] = kinds.get("no image", 0) + 1
    assert refs.left() == 0, refs.left()
    return Generated(
        files=files, refs=refs.handed, unconfigured_refs=unconfigured, tags=tags, policies=pols, kinds=kinds
    )


def describe(gen: Generated) -> str:
    kinds = ", ".join(f"{k} {v}" for k, v in sorted(gen.kinds.items(), key=lambda kv: -kv[1]))
    big = sorted((len(t.encode()) for t in gen.files.values()), reverse=True)[:5]
    return (
        f"{len(gen.files):,} files, {gen.size / 1e6:.1f} MB, {len(gen.refs):,} references to "
        f"{len(gen.policies)} configured images (+{gen.unconfigured_refs} to unconfigured ones), "
        f"{len(gen.tags)} tags each; {kinds}; largest {', '.join(f'{b // 1024} KB' for b in big)}"
    )


# ---------------------------------------------------------------------------------------------- the registry


async def _push_tags(url: str, repo: str, tags: list[str], concurrency: int = 8) -> None:
    """One config blob and one manifest, re-PUT under every tag (as bench/scan.py seeds)."""
    import asyncio
    import hashlib

    import aiohttp

    def digest(data: bytes) -> str:
        return "sha256:" + hashlib.sha256(data).hexdigest()

    config = json.dumps(
        {
            "architecture": "amd64",
            "os": "linux",
            "created": "2024-01-01T00:00:00Z",
            "config": {"Labels": {"org.opencontainers.image.title": "bench"}},
            "rootfs": {"type": "layers", "diff_ids": []},
        }
    ).encode()
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "layers": [],
            "config": {
                "mediaType": "application/vnd.docker.container.image.v1+json",
                "size": len(config),
                "digest": digest(config),
            },
        }
    ).encode()
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as session:
        async with session.post(f"{url}/v2/{repo}/blobs/uploads/") as start:
            location = start.headers["Location"]
        sep = "&" if "?" in location else "?"
        async with session.put(f"{location}{sep}digest={digest(config)}", data=config) as put:
            assert put.status == 201, put.status
        jobs = iter(tags)

        async def worker() -> None:
            for tag in jobs:
                async with session.put(
                    f"{url}/v2/{repo}/manifests/{tag}",
                    data=manifest,
                    headers={"Content-Type": "application/vnd.docker.distribution.manifest.v2+json"},
                ) as r:
                    assert r.status == 201, r.status

        await asyncio.gather(*(worker() for _ in range(concurrency)))


def seed_registry(repos: list[str], tags: list[str], root: Path) -> RegistryServer:
    """A Distribution registry on loopback whose ``repos`` all hold ``tags``: the first pushed over the API,
    the others copies of its storage tree (filesystem driver under ``root``, best on /dev/shm)."""
    import asyncio

    from tests.support.registry import start_registry

    storage = {"storage": {"filesystem": {"rootdirectory": str(root)}, "delete": {"enabled": True}}}
    server = start_registry(extra_config=storage)
    asyncio.run(_push_tags(server.url, repos[0], tags))
    base = root / "docker/registry/v2/repositories"
    for repo in repos[1:]:
        (base / repo).parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["cp", "-a", str(base / repos[0]), str(base / repo)], check=True)
    return server


# ---------------------------------------------------------------------------------------------- the remote


def make_remote(base: Path, files: dict[str, str], name: str = "config.git") -> Path:
    """A bare remote on local disk whose ``main`` holds ``files`` in one commit.

    Like ``tests.support.gitrepo.make_remote``, but with automatic ``gc`` off in the seeding clone: a commit
    of thousands of files otherwise starts a detached ``gc --auto`` that keeps running, taking CPU from the
    first measurement and racing the removal of the clone.
    """
    from tests.support.gitrepo import git

    bare, seed = base / name, base / f"{name}-seed"
    git(base, "init", "-q", "--bare", "--initial-branch=main", str(bare))
    git(base, "init", "-q", "--initial-branch=main", str(seed))
    for rel, text in files.items():
        target = seed / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    quiet = ["-c", "gc.auto=0", "-c", "maintenance.auto=false"]
    git(seed, *quiet, "add", "-A")
    git(seed, *quiet, "commit", "-q", "-m", "initial config")
    git(seed, *quiet, "push", "-q", str(bare), "main")
    shutil.rmtree(seed)
    return bare


# ---------------------------------------------------------------------------------------------- settings


def write_config(
    path: Path,
    host: str,
    remote_url: str,
    pols: list[Policy],
    workdir: Path,
    *,
    port: int | None = None,
    interval: str = "1s",
) -> Path:
    images = "".join(
        f'  - name: {repo.rsplit("/", 1)[-1]}\n    image: {host}/{repo}\n    policy: {{semver: "{pol.range}"}}\n'
        for repo, pol in zip(repositories(len(pols)), pols, strict=True)
    )
    service = (
        (f"service:\n  listen: 127.0.0.1\n  port: {port}\n  interval: {interval}\n  jitter: 0\n  log_format: json\n")
        if port is not None
        else ""
    )
    path.write_text(f"""\
registries:
  - name: bench
    url: http://{host}
    prefix: {host}
    insecure: true
git:
  url: {remote_url}
  branch: main
  author: {{name: image-updater, email: bot@example.com}}
  workdir: {workdir}
  paths: ["."]
images:
{images}{service}""")
    return path


def image_names(config: Path) -> dict[str, str]:
    """Image entry name → image, from a configuration ``write_config`` wrote."""
    text = config.read_text()
    return dict(re.findall(r"^  - name: (\S+)\n    image: (\S+)$", text, flags=re.MULTILINE))


def parse_plan(text: str, images: Mapping[str, str]) -> tuple[set[tuple[str, str, str]], int]:
    """(image, current, chosen) for every current tag ``plan`` moves, and the number of (image, current)
    decisions it lists. ``plan`` prints one line per image entry: ``  NAME CURRENT[, CURRENT…] → CHOSEN  reason
    [places]`` (``=`` when every current tag is the chosen one); ``images`` maps entry names to images."""
    proposals: set[tuple[str, str, str]] = set()
    decisions = 0
    for line in text.splitlines():
        if not line.startswith("  ") or line.startswith("   "):
            continue
        parts = line.split()
        arrow = next((n for n, part in enumerate(parts) if part in ("→", "=")), None)
        if arrow is None or arrow < 2 or parts[0] not in images or len(parts) <= arrow + 1:
            continue
        chosen = parts[arrow + 1].rstrip(":").split("@")[0]
        for current in (part.rstrip(",") for part in parts[1:arrow]):
            decisions += 1
            if current != chosen:
                proposals.add((images[parts[0]], current, chosen))
    return proposals, decisions
