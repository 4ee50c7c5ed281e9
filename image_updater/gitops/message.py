"""Commit messages from a template, so teams can match their conventions (Conventional Commits, tickets)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from image_updater.errors import ConfigError


class ChangeLine(Protocol):
    @property
    def image(self) -> str: ...
    @property
    def old(self) -> str: ...
    @property
    def new(self) -> str: ...


TEMPLATE_FIELDS = ("count", "plural", "changes", "images")


def commit_message(template: str, changes: Sequence[ChangeLine]) -> str:
    """Render the template; every change appears once as ``- image: old → new``."""
    unique = list(dict.fromkeys((c.image, c.old, c.new) for c in changes))
    lines = "\n".join(f"- {image}: {old} → {new}" for image, old, new in unique)
    images = ", ".join(dict.fromkeys(image for image, _, _ in unique))
    try:
        return template.format(count=len(unique), plural="" if len(unique) == 1 else "s",
                               changes=lines, images=images)
    except (KeyError, IndexError, ValueError) as exc:
        raise ConfigError(f"commit message template is invalid ({exc!s}); fields: {', '.join(TEMPLATE_FIELDS)}",
                          key="git.commit.message") from None


def validate_template(template: str) -> None:
    """Fail at load time, not at the first commit."""
    class _Sample:
        image, old, new = "example", "1", "2"
    commit_message(template, [_Sample()])
