"""``env:VAR``: a ``username:password`` pair in one environment variable (argocd-image-updater's ``env:``)."""

from __future__ import annotations

import os

from image_updater.errors import RegistryAuthError
from image_updater.registry.credentials.model import Credentials, CredentialSource, parse_helper_output
from image_updater.registry.settings import RegistrySettings


def source(target: str, settings: RegistrySettings) -> CredentialSource:
    async def load() -> Credentials:
        creds = parse_helper_output(os.environ.get(target, "").encode())
        if creds is None:
            raise RegistryAuthError(f"env {target} does not hold username:password", registry=settings.name)
        return creds

    return CredentialSource(f"env {target}", load, settings.credentials_ttl.total_seconds())
