"""Git delivery: keep a working copy of the config repo and push changes without losing anyone's work."""

from image_updater.gitops.message import commit_message, validate_template
from image_updater.gitops.repo import ConfigRepo, Delivery
from image_updater.gitops.settings import Author, CommitSettings, GitSettings, SigningSettings

__all__ = ["Author", "CommitSettings", "ConfigRepo", "Delivery", "GitSettings", "SigningSettings",
           "commit_message", "validate_template"]
