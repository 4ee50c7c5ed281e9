"""What every manager shares: turning nodes into slots and FoundImages with a skip reason when needed.

Managers only decide *where* an image lives; these helpers decide whether the value there is an
image reference we can resolve and edit, so every manager skips and reports in the same words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from image_updater.errors import InvalidReferenceError
from image_updater.manifests.model import FoundImage, Insertion, Locator, Slot
from image_updater.manifests.settings import ManagerOptions
from image_updater.manifests.tree import Alias, ComposedText, MapNode, Node, Scalar, deref, string_value
from image_updater.reference import ImageReference, is_valid_tag

_TRAILING = re.compile(r"[ \t]*(?:#[^\r\n]*)?")


@dataclass
class FileContext:
    """One parsed file as managers see it; ``image_aliases`` records aliases read at image fields."""

    path: str
    text: str
    composed: ComposedText
    options: ManagerOptions
    image_aliases: set[int] = field(default_factory=set)

    @property
    def documents(self) -> list[Node]:
        return self.composed.documents

    def value(self, node: Node | None) -> Node | None:
        """Follow an alias at an image field, remembering that this alias is an image use."""
        if isinstance(node, Alias):
            self.image_aliases.add(node.start)
        return deref(node)


def template_reason(value: str) -> str | None:
    if "${" in value or re.search(r"\$[A-Za-z_]", value):
        return "contains ${VAR} interpolation"
    if "{{" in value:
        return "contains a {{ }} template"
    return None


def scalar_problem(node: Node | None, what: str) -> str | None:
    """Why ``node`` cannot hold an image string, or None when it can."""
    if isinstance(node, Scalar):
        if node.style in ("|", ">"):
            return f"{what} is a block scalar"
        if not node.is_string:
            return f"{what} is a YAML {node.type_name} ({node.value}), not a string"
        return template_reason(node.value)
    if node is None:
        return None
    kind = "map" if isinstance(node, MapNode) else "list"
    return f"{what} is a {kind}, not a string"


def slot(node: Scalar, key: str = "") -> Slot:
    return Slot(node.start, node.end, node.value, node.style, node.line, key)


def full_reference(
    ctx: FileContext,
    manager: str,
    node: Node | None,
    *,
    policy: str | None = None,
    what: str = "image",
    prefix_sep: str | None = None,
) -> FoundImage | None:
    """A scalar holding a whole reference; ``prefix_sep`` keeps Argo CD's ``old=`` prefix."""
    value = ctx.value(node)
    if value is None or (isinstance(value, Scalar) and (value.is_null or value.value == "")):
        return None
    line = value.line
    problem = scalar_problem(value, what)
    if problem is not None or not isinstance(value, Scalar):
        return FoundImage(ctx.path, line, manager, None, policy, problem or f"{what} is not a string")
    prefix, text = "", value.value
    if prefix_sep is not None and prefix_sep in text:
        head, _, text = text.partition(prefix_sep)
        prefix = head + prefix_sep
    try:
        reference = ImageReference.parse(text)
    except InvalidReferenceError as exc:
        return FoundImage(ctx.path, line, manager, None, policy, f"not an image reference: {exc}")
    return FoundImage(ctx.path, line, manager, reference, policy, locator=Locator(full=slot(value), prefix=prefix))


@dataclass
class Parts:
    """The scalars of a split image (Helm block, kustomize entry, Argo CD parameters)."""

    name: Node | None = None
    registry: Node | None = None
    tag: Node | None = None
    digest: Node | None = None
    name_text: str | None = None  # when the name comes from elsewhere (kustomize ``name``)
    keys: dict[str, str] = field(default_factory=dict)  # role -> key as written


def split_reference(
    ctx: FileContext,
    manager: str,
    parts: Parts,
    line: int,
    *,
    policy: str | None = None,
    insertion: Insertion | None = None,
) -> FoundImage:
    slots: dict[str, Slot | None] = {}
    values: dict[str, str | None] = {}
    for role in ("registry", "name", "tag", "digest"):
        node = ctx.value(getattr(parts, role))
        key = parts.keys.get(role, role)
        if node is None:
            slots[role], values[role] = None, None
            continue
        if isinstance(node, Scalar) and node.is_null:  # ``tag:`` / ``tag: ~``: a slot with no value yet
            slots[role], values[role] = Slot(node.start, node.end, "", node.style, node.line, key), None
            continue
        problem = scalar_problem(node, key)
        if problem is not None or not isinstance(node, Scalar):
            return FoundImage(ctx.path, line, manager, None, policy, problem)
        slots[role], values[role] = slot(node, key), node.value or None
    name = values["name"] or parts.name_text
    if not name:
        return FoundImage(ctx.path, line, manager, None, policy, "no repository/name value")
    if values["registry"]:
        name = f"{values['registry'].rstrip('/')}/{name}"
    tag, digest = values["tag"], values["digest"]
    if slots["tag"] is None and (insertion is None or insertion.key_for("tag") is None):
        return FoundImage(
            ctx.path,
            line,
            manager,
            None,
            policy,
            "no tag field, and a new one cannot be inserted here (flow style or no key)",
        )
    if tag is not None and not is_valid_tag(tag):
        return FoundImage(ctx.path, line, manager, None, policy, f"tag {tag!r} is not a valid OCI tag")
    try:
        ImageReference.parse(name)
    except InvalidReferenceError as exc:
        return FoundImage(ctx.path, line, manager, None, policy, f"not an image reference: {exc}")
    locator = Locator(
        name=slots["name"], registry=slots["registry"], tag=slots["tag"], digest=slots["digest"], insertion=insertion
    )
    return FoundImage(ctx.path, line, manager, ImageReference(name, tag, digest), policy, locator=locator)


def insertion_point(ctx: FileContext, mapping: Node | None, keys: dict[str, str]) -> Insertion | None:
    """A new sibling line may follow a block mapping's last single-line scalar value when it ends its line."""
    node = deref(mapping)
    if not isinstance(node, MapNode) or node.flow or not node.pairs:
        return None
    text = ctx.text
    last_key, last_value = node.pairs[-1]
    value = deref(last_value)
    if not isinstance(last_key, Scalar) or not isinstance(last_value, Scalar | Alias):
        return None
    if isinstance(value, Scalar) and value.style in ("|", ">"):
        return None
    end = last_value.end
    trailing = _TRAILING.match(text, end)
    line_end = trailing.end() if trailing else end
    if line_end < len(text) and text[line_end] not in "\r\n":
        return None
    line_start = text.rfind("\n", 0, last_key.start) + 1
    column = last_key.start - line_start
    if text[line_start : last_key.start].strip(" -") != "":
        return None
    if line_end < len(text):
        newline = "\r\n" if text.startswith("\r\n", line_end) else "\n"
    else:
        newline = "\r\n" if "\r\n" in text else "\n"
    return Insertion(line_end, " " * column, newline, tuple(keys.items()))


def key_scalar(mapping: Node | None, key: str) -> Node | None:
    """The raw value node under ``key`` (aliases kept, so the caller's ctx.value records them)."""
    node = deref(mapping)
    if not isinstance(node, MapNode):
        return None
    for k, value in node.pairs:
        if isinstance(k, Scalar) and k.value == key:
            return value
    return None


__all__ = [
    "FileContext",
    "Parts",
    "full_reference",
    "insertion_point",
    "key_scalar",
    "slot",
    "split_reference",
    "string_value",
]
