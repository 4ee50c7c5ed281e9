"""Commit messages, pull-request titles, bodies and branch names: pure functions of settings and changes.

Rendering is deterministic (changes are sorted) so the same changes always give the same text, which
is what lets :func:`ensure_pull_request` skip no-op updates. Every template goes through the one
engine in ``template.py``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from image_updater.delivery.model import Change
from image_updater.delivery.settings import PullRequestSettings
from image_updater.delivery.template import fill_template
from image_updater.errors import ConfigError

ALL_GROUP = "all"
BRANCH_KEY = "git.write.pull_request.branch"


def _cell(text: str) -> str:
    """Keep a value inside its Markdown table cell: pipes escaped, line breaks flattened."""
    return " ".join(text.replace("\\", "\\\\").replace("|", "\\|").split())


def _code(text: str) -> str:
    return f"`{text}`" if text and "`" not in text else _cell(text)


def render_table(rows: Sequence[Change]) -> str:
    lines = ["| Image | Change | Policy | Why |", "|---|---|---|---|"]
    for row in sorted(rows, key=lambda r: (r.image, r.old, r.new)):
        lines.append(
            f"| {_code(row.image)} | {_code(row.old)} → {_code(row.new)} | {_cell(row.policy)} | {_cell(row.reason)} |"
        )
    return "\n".join(lines)


def _summary(group: str, rows: Sequence[Change]) -> str:
    targets = sorted({(r.image, r.new) for r in rows})
    if len(targets) == 1:  # one image to one tag, however many files hold it
        return f"{targets[0][0]} to {targets[0][1]}"
    images = {image for image, _ in targets}
    return f"{len(images)} image{'s' if len(images) != 1 else ''} ({group})"


_UPDATE_MARKER = re.compile(r"<!-- image-updater update: (.*?) -->")


def update_key(rows: Sequence[Change]) -> str:
    """What an update *is*, whatever its title says: every image with the value it moves to.

    Written into the pull request's body, it is how a later cycle recognises the same update in a
    pull request a person closed (declined), even when a title template names no tag.
    """
    return ",".join(sorted({f"{r.image}={r.new}" for r in rows}))


def update_key_of(body: str) -> str | None:
    found = _UPDATE_MARKER.findall(body)
    return found[-1] if found else None


def commit_message(template: str, changes: Sequence[Change]) -> str:
    """The commit message: every move appears once as ``- image: old → new``, however many files hold it."""
    unique = list(dict.fromkeys((c.image, c.old, c.new) for c in changes))
    return fill_template(
        template,
        {
            "count": str(len(unique)),
            "plural": "" if len(unique) == 1 else "s",
            "changes": "\n".join(f"- {image}: {old} → {new}" for image, old, new in unique),
            "images": ", ".join(dict.fromkeys(image for image, _, _ in unique)),
        },
    )


def render_pull_request(settings: PullRequestSettings, group: str, rows: Sequence[Change]) -> tuple[str, str]:
    """Return (title, body) for a group's pending changes."""
    if not rows:
        raise ValueError(f"group {group!r}: a pull request needs at least one change")
    ordered = sorted(rows, key=lambda r: (r.image, r.old, r.new))
    values = {
        "group": group,
        "summary": _summary(group, ordered),
        "count": str(len(ordered)),
        "images": ", ".join(dict.fromkeys(r.image for r in ordered)),
        "changes": ", ".join(f"{r.image} {r.old} → {r.new}" for r in ordered),
    }
    title = " ".join(fill_template(settings.title, values).split())
    body = fill_template(settings.body, {**values, "title": title, "table": render_table(ordered)})
    return title, f"{body.rstrip()}\n\n<!-- image-updater update: {update_key(ordered)} -->\n"


def group_for_image(settings: PullRequestSettings, image: str, group: str | None) -> str:
    """The pull-request group an image belongs to; an image without a ``group`` gets its own PR."""
    if settings.group_by == "all":
        return ALL_GROUP
    if settings.group_by == "group" and group:
        return group
    return image


_REF_BAD = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]+|\.\.+|@\{")


def render_branch(settings: PullRequestSettings, group: str) -> str:
    """The update branch for a group, made a valid git ref name whatever the group is called."""
    raw = fill_template(settings.branch, {"group": group})
    name = _REF_BAD.sub("-", raw)
    parts = [p.lstrip(".").removesuffix(".lock").rstrip(".") for p in name.split("/")]
    name = "/".join(p for p in parts if p)
    if not name or name == "@":
        raise ValueError(f"branch template {settings.branch!r} gives no usable ref for group {group!r}")
    return name


def branches_for_groups(
    settings: PullRequestSettings, groups: Iterable[str], *, base: str | None = None
) -> dict[str, str]:
    """Each group's update branch, checked at config load so no two groups ever share a branch.

    :func:`render_branch` folds what git forbids into ``-``, so ``a:b``, ``a-b``, ``a..b`` and ``a~b``
    all land on one branch, whose force-updates would then fight. Git also cannot hold ``x/a`` beside
    ``x/a/b`` (a ref is a file or a folder, not both), and an update branch that is, or nests with,
    ``base`` would have the updater force-push the branch its pull requests merge into.
    """
    refs: dict[str, str] = {}  # branch → who holds it, for the error
    folders: dict[str, str] = {}  # a folder of a held branch → who holds that branch
    if base is not None:
        refs[base] = f"the base branch {base!r}"
        folders.update(dict.fromkeys(_folders(base), refs[base]))
    branches: dict[str, str] = {}
    for group in sorted(set(groups)):
        try:
            branch = render_branch(settings, group)
        except ValueError as exc:
            raise ConfigError(str(exc), key=BRANCH_KEY) from None
        holder = refs.get(branch) or folders.get(branch)
        holder = holder or next((refs[f] for f in _folders(branch) if f in refs), None)
        if holder is not None:
            raise ConfigError(
                f"group {group!r} gets branch {branch!r}, which clashes with {holder}: "
                "branches must differ and neither may be a folder of the other; "
                "rename a group or change the branch template",
                key=BRANCH_KEY,
            )
        refs[branch] = f"group {group!r} (branch {branch!r})"
        folders.update(dict.fromkeys(_folders(branch), refs[branch]))
        branches[group] = branch
    return branches


def _folders(branch: str) -> list[str]:
    """``a/b/c`` → ``a``, ``a/b``: the names git keeps as folders for this ref."""
    parts = branch.split("/")
    return ["/".join(parts[:i]) for i in range(1, len(parts))]
