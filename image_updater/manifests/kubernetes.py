"""Kubernetes workloads: the containers of every pod-spec kind, plus user-configured custom resources."""

from __future__ import annotations

from collections.abc import Iterator

from image_updater.manifests.locate import FileContext, full_reference
from image_updater.manifests.model import FoundImage
from image_updater.manifests.paths import resolve
from image_updater.manifests.tree import MapNode, Node, SeqNode, deref, get, items, string_value

NAME = "kubernetes"
FILE_PATTERNS = ("*.yaml", "*.yml")
TOKENS = (b"image",)  # every container names its image under `image:`

_TEMPLATE = ("spec", "template", "spec")
POD_SPEC_PATHS: dict[str, tuple[str, ...]] = {
    "Pod": ("spec",),
    "PodTemplate": ("template", "spec"),
    "Deployment": _TEMPLATE,
    "ReplicaSet": _TEMPLATE,
    "ReplicationController": _TEMPLATE,
    "StatefulSet": _TEMPLATE,
    "DaemonSet": _TEMPLATE,
    "Job": _TEMPLATE,
    "Rollout": _TEMPLATE,
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}
CONTAINER_LISTS = ("initContainers", "containers", "ephemeralContainers")


def containers_of(target: Node) -> Iterator[Node]:
    """A pod spec, a container list or one container -> the container maps."""
    target = deref(target)  # type: ignore[assignment]
    if isinstance(target, SeqNode):
        yield from target.items
    elif isinstance(target, MapNode):
        keys = dict(items(target))
        if "image" in keys:
            yield target
        for list_key in CONTAINER_LISTS:
            containers = deref(keys.get(list_key))
            if isinstance(containers, SeqNode):
                yield from containers.items


def pod_specs(ctx: FileContext, document: Node) -> Iterator[Node]:
    kind = string_value(get(document, "kind"))
    if kind == "List":
        for item in _seq(get(document, "items")):
            yield from pod_specs(ctx, item)
        return
    if kind in POD_SPEC_PATHS:
        yield from resolve(document, list(POD_SPEC_PATHS[kind]))
    for resource in ctx.options.custom_resources:
        if resource.kind == kind:
            yield from resolve(document, resource.steps)


def _seq(node: Node | None) -> list[Node]:
    node = deref(node)
    return node.items if isinstance(node, SeqNode) else []


def find(ctx: FileContext) -> Iterator[FoundImage]:
    for document in ctx.documents:
        for spec in pod_specs(ctx, document):
            for container in containers_of(spec):
                found = full_reference(ctx, NAME, get(container, "image"))
                if found is not None:
                    yield found
