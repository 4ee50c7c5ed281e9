"""Image-shaped values anywhere: Helm values files, HelmRelease values, custom resource fields.

Recognised: ``image: "repo:tag"``; ``image: {registry?, repository, tag?, digest?}``; and a map under
any key that holds ``repository`` and ``tag``. Runs last, so fields a more specific manager claimed
(containers, kustomize entries, markers) keep that manager's binding.
"""

from __future__ import annotations

from collections.abc import Iterator

from image_updater.manifests.locate import (
    FileContext,
    Parts,
    full_reference,
    insertion_point,
    key_scalar,
    split_reference,
)
from image_updater.manifests.model import FoundImage
from image_updater.manifests.tree import MapNode, Node, Scalar, SeqNode, deref, walk

NAME = "helm"
FILE_PATTERNS = ("*.yaml", "*.yml")
TOKENS = (b"image", b"repository")  # `image:` values and `repository` + `tag` blocks
INSERT_KEYS = {"tag": "tag", "digest": "digest"}


def image_block(ctx: FileContext, manager: str, block: MapNode) -> FoundImage:
    parts = Parts(
        registry=key_scalar(block, "registry"),
        name=key_scalar(block, "repository"),
        tag=key_scalar(block, "tag"),
        digest=key_scalar(block, "digest"),
        keys={"registry": "registry", "name": "repository", "tag": "tag", "digest": "digest"},
    )
    insertion = insertion_point(ctx, block, INSERT_KEYS)
    return split_reference(ctx, manager, parts, block.line, insertion=insertion)


def find_in(ctx: FileContext, manager: str, roots: list[Node]) -> Iterator[FoundImage]:
    for node in walk(roots):
        if not isinstance(node, MapNode):
            continue
        for key, raw in node.pairs:
            if not isinstance(key, Scalar):
                continue
            value = deref(raw)
            if isinstance(value, MapNode) and _is_image_block(key.value, value):
                yield image_block(ctx, manager, value)
            elif key.value == "image" and isinstance(value, Scalar | SeqNode):
                found = full_reference(ctx, manager, raw)
                if found is not None:
                    yield found


def _is_image_block(key: str, value: MapNode) -> bool:
    repository = deref(key_scalar(value, "repository"))
    if not isinstance(repository, Scalar) or repository.style in ("|", ">"):
        return False
    return key == "image" or key_scalar(value, "tag") is not None


def find(ctx: FileContext) -> Iterator[FoundImage]:
    yield from find_in(ctx, NAME, ctx.documents)
