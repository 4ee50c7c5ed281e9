"""The managers: find image references in config-repo YAML and rewrite exactly their bytes."""

from image_updater.manifests.engine import MANAGER_NAMES, ManifestFile
from image_updater.manifests.model import FoundImage, ImageEdit, KeyPath, ManagerOptions
from image_updater.manifests.prefilter import could_hold_images

__all__ = ["MANAGER_NAMES", "FoundImage", "ImageEdit", "KeyPath", "ManagerOptions", "ManifestFile",
           "could_hold_images"]
