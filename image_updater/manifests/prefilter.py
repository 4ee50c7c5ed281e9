"""A cheap byte scan that rules files out before any YAML parsing: most config-repo files hold no image."""

from __future__ import annotations

import posixpath

from image_updater.manifests.managers import for_file
from image_updater.manifests.settings import ManagerOptions

_DEFAULT = ManagerOptions()


def could_hold_images(path: str, data: bytes, options: ManagerOptions = _DEFAULT) -> bool:
    """False only when no manager could find anything: none reads a file of this name, the file is
    binary, or it holds none of the words those managers look for (``managers.py`` declares both)."""
    managers = for_file(posixpath.basename(path), options)
    if not managers or b"\0" in data[:8192]:
        return False
    return any(token in data for manager in managers for token in manager.all_tokens(options))
