"""The managers: find image references in config-repo YAML and rewrite exactly their bytes."""

from image_updater.manifests.engine import ManifestFile
from image_updater.manifests.managers import MANAGER_NAMES, MANAGERS, Manager, file_name_matcher
from image_updater.manifests.model import FoundImage, ImageEdit
from image_updater.manifests.paths import parse_path
from image_updater.manifests.prefilter import could_hold_images
from image_updater.manifests.settings import CustomResourceSettings, KeyPathSettings, ManagerOptions, ManifestSettings
from image_updater.manifests.textedit import TextEdit, unified_diff

__all__ = [
    "MANAGERS",
    "MANAGER_NAMES",
    "CustomResourceSettings",
    "FoundImage",
    "ImageEdit",
    "KeyPathSettings",
    "Manager",
    "ManagerOptions",
    "ManifestFile",
    "ManifestSettings",
    "TextEdit",
    "could_hold_images",
    "file_name_matcher",
    "parse_path",
    "unified_diff",
]
