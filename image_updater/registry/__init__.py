"""The registry datasource: OCI distribution client with auth, paging, limits, retries and caches."""

from image_updater.registry.client import RegistryClient, Repository
from image_updater.registry.credentials import Credentials
from image_updater.registry.metadata import TagMetadata
from image_updater.registry.scanner import TagScanner
from image_updater.registry.settings import RegistriesSettings, RegistrySettings
from image_updater.registry.transport import import_in_background

__all__ = [
    "Credentials",
    "RegistriesSettings",
    "RegistryClient",
    "RegistrySettings",
    "Repository",
    "TagMetadata",
    "TagScanner",
    "import_in_background",
]
