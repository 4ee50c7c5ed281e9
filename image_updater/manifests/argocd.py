"""Argo CD Applications (and ApplicationSet templates, ``.argocd-source*.yaml`` write-back files).

Per source: ``helm.parameters`` whose name contains "image" (``X.repository``/``X.name`` with
``X.tag`` and ``X.digest`` form one image; a lone ``X`` or ``X.image`` holds a full reference; a lone
``X.tag`` names no image and is ignored), ``helm.valuesObject``
(read like Helm values) and ``kustomize.images`` strings (``name=newName:tag`` or ``name:tag``).
"""

from __future__ import annotations

from collections.abc import Iterator

from image_updater.manifests import helm
from image_updater.manifests.locate import FileContext, Parts, full_reference, split_reference
from image_updater.manifests.model import FoundImage
from image_updater.manifests.tree import Node, Scalar, SeqNode, deref, get, string_value

NAME = "argocd"
FILE_PATTERNS = ("*.yaml", "*.yml")
TOKENS = (b"image", b"Image")  # parameters are matched on "image" in any case
_ROLES = {
    "repository": "name",
    "name": "name",
    "image": "name",
    "repo": "name",
    "tag": "tag",
    "version": "tag",
    "digest": "digest",
}


def sources(document: Node) -> Iterator[Node]:
    kind = string_value(get(document, "kind"))
    if kind == "Application":
        spec = get(document, "spec")
    elif kind == "ApplicationSet":
        spec = get(get(get(document, "spec"), "template"), "spec")
    elif kind is None and (get(document, "helm") is not None or get(document, "kustomize") is not None):
        yield document
        return
    else:
        return
    single = get(spec, "source")
    if single is not None:
        yield single
    many = deref(get(spec, "sources"))
    if isinstance(many, SeqNode):
        yield from many.items


def helm_parameters(ctx: FileContext, parameters: Node | None) -> Iterator[FoundImage]:
    entries = deref(parameters)
    if not isinstance(entries, SeqNode):
        return
    groups: dict[str, Parts] = {}
    lines: dict[str, int] = {}
    for entry in entries.items:
        name = string_value(get(entry, "name"))
        if not name or "image" not in name.lower():
            continue
        value = get(entry, "value")
        prefix, _, last = name.rpartition(".")
        role = _ROLES.get(last.lower()) if prefix else None
        if role is None:
            found = full_reference(ctx, NAME, value, what=f"parameter {name}")
            if found is not None:
                yield found
            continue
        parts = groups.setdefault(prefix, Parts(keys={}))
        setattr(parts, role, value)
        parts.keys[role] = name
        lines.setdefault(prefix, deref(entry).line)  # type: ignore[union-attr]
    for prefix, parts in groups.items():
        if parts.name is not None and parts.tag is not None:
            yield split_reference(ctx, NAME, parts, lines[prefix])
        elif parts.name is not None:  # ``worker.image`` alone holds a whole reference
            found = full_reference(ctx, NAME, parts.name, what=f"parameter {parts.keys['name']}")
            if found is not None:
                yield found
        # a tag or digest without a repository parameter: nothing names the image


def find(ctx: FileContext) -> Iterator[FoundImage]:
    for document in ctx.documents:
        for source in sources(document):
            helm_section = get(source, "helm")
            yield from helm_parameters(ctx, get(helm_section, "parameters"))
            values_text = deref(get(helm_section, "values"))
            if isinstance(values_text, Scalar) and values_text.is_string and "image" in values_text.value:
                yield FoundImage(
                    ctx.path,
                    values_text.line,
                    NAME,
                    None,
                    None,
                    "helm.values is a string: images inside it cannot be edited in place; "
                    "move them to helm.valuesObject or helm.parameters",
                )
            values_object = get(helm_section, "valuesObject")
            if values_object is not None:
                yield from helm.find_in(ctx, NAME, [values_object])
            images = deref(get(get(source, "kustomize"), "images"))
            if isinstance(images, SeqNode):
                for item in images.items:
                    found = full_reference(ctx, NAME, item, prefix_sep="=")
                    if found is not None:
                        yield found
