"""Flux setter markers: a line comment ``# {"$imagepolicy": "ns:policy[:tag|:name|:digest]"}`` on a field.

Only the marker decides the binding; the key the value sits under does not matter. A marker is
recognised only right after a value node on the same line, so marker-looking text inside a block
scalar (which is not a comment) never binds anything.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

from image_updater.errors import InvalidReferenceError
from image_updater.manifests.locate import FileContext, full_reference, scalar_problem, slot
from image_updater.manifests.model import FoundImage, Locator
from image_updater.manifests.tree import Alias, MapNode, Node, Scalar, deref, walk
from image_updater.reference import ImageReference, is_valid_tag

NAME = "marker"
FILE_PATTERNS = ("*.yaml", "*.yml", "Kustomization")  # the files Flux reads for markers
TOKEN = "$imagepolicy"
TOKENS = (TOKEN.encode(),)
FIELDS = ("tag", "name", "digest")
_COMMENT = re.compile(r"[ \t]+#[ \t]*(\{[^\r\n]*\})[ \t]*(?=\r?\n|$)")
_NAME_KEYS = ("newName", "repository", "image", "name")


def marker_at(text: str, end: int) -> str | None:
    match = _COMMENT.match(text, end)
    if match is None or TOKEN not in match.group(1):
        return None
    try:
        body = json.loads(match.group(1))
    except ValueError:
        return None
    value = body.get(TOKEN) if isinstance(body, dict) else None
    return value if isinstance(value, str) else None


def split_marker(marker: str) -> tuple[str, str]:
    """``ns:policy:tag`` -> ("ns:policy", "tag"); ``ns:policy`` and ``policy`` bind the whole reference."""
    parts = marker.split(":")
    if len(parts) == 3:
        return f"{parts[0]}:{parts[1]}", parts[2]
    return marker, ""


def find(ctx: FileContext) -> Iterator[FoundImage]:
    if TOKEN not in ctx.text:
        return
    for node in walk(ctx.documents):
        if not isinstance(node, MapNode):
            continue
        marked: list[tuple[Node, str, str]] = []
        for _, value in node.pairs:
            if isinstance(value, Scalar | Alias):
                marker = marker_at(ctx.text, value.end)
                if marker is not None:
                    policy, field = split_marker(marker)
                    marked.append((value, policy, field))
        for value, policy, field in marked:
            yield _found(ctx, node, value, policy, field, marked)
    # Markers on list items (``- image:v1 # {...}``) bind the whole reference.
    for node in walk(ctx.documents):
        if not isinstance(node, MapNode):
            for item in getattr(node, "items", []):
                if isinstance(item, Scalar | Alias) and (marker := marker_at(ctx.text, item.end)):
                    policy, field = split_marker(marker)
                    yield _found(ctx, None, item, policy, field, [])


def _found(
    ctx: FileContext,
    mapping: MapNode | None,
    value: Node,
    policy: str,
    field: str,
    siblings: list[tuple[Node, str, str]],
) -> FoundImage:
    if field == "":
        found = full_reference(ctx, NAME, value, policy=policy)
        return found or FoundImage(ctx.path, value.line, NAME, None, policy, "empty value", field)
    target = ctx.value(value)
    line = target.line if target is not None else value.line
    if field not in FIELDS:
        return FoundImage(ctx.path, line, NAME, None, policy, f"unknown marker field {field!r}", field)
    problem = scalar_problem(target, field)
    if problem is not None or not isinstance(target, Scalar):
        return FoundImage(ctx.path, line, NAME, None, policy, problem or f"{field} is not a string", field)
    text = target.value
    name = _sibling_name(mapping, policy, siblings) if field != "name" else text
    if field == "tag" and not is_valid_tag(text):
        return FoundImage(ctx.path, line, NAME, None, policy, f"tag {text!r} is not a valid OCI tag", field)
    if field == "name":
        try:
            ImageReference.parse(text)
        except InvalidReferenceError as exc:
            return FoundImage(ctx.path, line, NAME, None, policy, f"not an image name: {exc}", field)
    reference = ImageReference(name, text if field == "tag" else None, text if field == "digest" else None)
    locator = Locator(partial=True, **{field: slot(target)})  # type: ignore[arg-type]
    return FoundImage(ctx.path, line, NAME, reference, policy, None, field, locator)


def _sibling_name(mapping: MapNode | None, policy: str, siblings: list[tuple[Node, str, str]]) -> str:
    for value, sibling_policy, field in siblings:
        target = deref(value)
        if field == "name" and sibling_policy == policy and isinstance(target, Scalar):
            return target.value
    if mapping is None:
        return ""
    keyed = {k.value: deref(v) for k, v in mapping.pairs if isinstance(k, Scalar)}
    for key in _NAME_KEYS:
        candidate = keyed.get(key)
        if isinstance(candidate, Scalar) and candidate.is_string and candidate.value:
            return candidate.value
    return ""
