"""Settings: one typed object from a YAML file plus ``IMAGE_UPDATER_*`` environment overrides."""

from image_updater.config.loader import load_settings
from image_updater.config.settings import ServiceSettings, Settings

__all__ = ["ServiceSettings", "Settings", "load_settings"]
