"""Where a registry's username and password come from: one module per ``credentials:`` kind, one table.

Every source is read lazily and re-read after ``credentials_ttl`` or after the registry refused what it gave,
so rotated secrets (mounted files, ECR/GAR/ACR tokens printed by an ``ext:`` script, credential helpers) are
picked up without a restart. Nothing here ever puts a secret, or a helper's output, into a message, and
every password obtained, whatever its source, is registered with the log redactor before it is used.
"""

from image_updater.registry.credentials.dockerconfig import docker_config_credentials
from image_updater.registry.credentials.model import Credentials, CredentialSource
from image_updater.registry.credentials.sources import CREDENTIAL_SOURCES, credential_source

__all__ = ["CREDENTIAL_SOURCES", "CredentialSource", "Credentials", "credential_source", "docker_config_credentials"]
