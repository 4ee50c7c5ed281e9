"""The key-path grammar (``spec.jobs[*].template``, ``backend.image.tag``) shared by the settings and the managers.

One grammar, read once: the settings parse every configured path at load (so ``a..b`` is an error
naming the key, not a crash at the first cycle) and the managers walk the steps they parsed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from image_updater.manifests.tree import Node, SeqNode, deref, get

Step = str | int | None
"""A mapping key, a list index, or None for every item (``[*]``)."""

_STEP = re.compile(r"([^.\[\]]+)|\[(\d+|\*)\]")
_FORM = "write keys as a.b and list indices as [0] or [*]"


def parse_path(path: str) -> tuple[Step, ...]:
    """``spec.jobs[*].template`` → ``("spec", "jobs", None, "template")``; raises ValueError naming the path."""
    steps: list[Step] = []
    position = 0
    for match in _STEP.finditer(path):
        if path[position : match.start()] not in ("", "."):
            raise ValueError(f"bad key path {path!r} at character {position + 1}: {_FORM}")
        key, index = match.groups()
        steps.append(key if key is not None else (None if index == "*" else int(index)))
        position = match.end()
    if position != len(path) or not steps:
        raise ValueError(f"bad key path {path!r}: {_FORM}")
    return tuple(steps)


def resolve(node: Node | None, steps: Sequence[Step]) -> Iterator[Node]:
    """Every node ``steps`` lead to from ``node`` (``[*]`` fans out; a missing key leads nowhere)."""
    node = deref(node)
    if node is None:
        return
    if not steps:
        yield node
        return
    step, rest = steps[0], steps[1:]
    if isinstance(step, str):
        yield from resolve(get(node, step), rest)
    elif isinstance(node, SeqNode):
        chosen = node.items if step is None else node.items[step : step + 1]
        for item in chosen:
            yield from resolve(item, rest)
