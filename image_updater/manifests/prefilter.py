"""A cheap byte scan that rules files out before any YAML parsing: most config-repo files hold no image."""

from __future__ import annotations

import posixpath

from image_updater.manifests.model import ManagerOptions

_TOKENS = (b"image", b"Image", b"repository", b"newTag", b"newName")
_SUFFIXES = (".yaml", ".yml")
_DEFAULT = ManagerOptions()


def could_hold_images(path: str, data: bytes, options: ManagerOptions = _DEFAULT) -> bool:
    """False only when no manager could find anything: not YAML by name, binary, or no telling word."""
    name = posixpath.basename(path)
    if not name.endswith(_SUFFIXES) and name != "Kustomization":
        return False
    if b"\0" in data[:8192]:
        return False
    tokens = list(_TOKENS)
    for key_path in options.key_paths:
        for path_text in (key_path.tag, key_path.repository, key_path.digest):
            if path_text:
                tokens.append(path_text.rsplit(".", 1)[-1].split("[", 1)[0].encode())
    tokens += [kind.encode() for kind, _ in options.custom_resources]
    return any(token in data for token in tokens if token)
