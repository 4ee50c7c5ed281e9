"""The config repo's working copy: clone, sync, commit and push without losing anyone's work."""

from image_updater.gitops.repo import OWNED_MARKER, ConfigRepo, PushResult
from image_updater.gitops.settings import Author, CommitSettings, GitSettings, SigningSettings, repository_identity

__all__ = [
    "OWNED_MARKER",
    "Author",
    "CommitSettings",
    "ConfigRepo",
    "GitSettings",
    "PushResult",
    "SigningSettings",
    "repository_identity",
]
