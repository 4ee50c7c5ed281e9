"""Settings: one typed object from a YAML file plus ``IMAGE_UPDATER_*`` environment overrides."""

from image_updater.config.loader import load_settings
from image_updater.config.settings import (
    CustomResourceSettings,
    ImageSettings,
    KeyPathSettings,
    ManifestSettings,
    RepoSettings,
    Settings,
    WriteSettings,
)

__all__ = ["CustomResourceSettings", "ImageSettings", "KeyPathSettings", "ManifestSettings", "RepoSettings",
           "Settings", "WriteSettings", "load_settings"]
