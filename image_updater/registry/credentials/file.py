"""``file:PATH``: a ``username:password`` pair in one file (a mounted Secret's field: argocd-image-updater's
``secret:namespace/name#field``), read again at every expiry so a rotated Secret is picked up."""

from __future__ import annotations

from pathlib import Path

from image_updater.errors import RegistryAuthError
from image_updater.registry.credentials.model import Credentials, CredentialSource, parse_helper_output
from image_updater.registry.settings import RegistrySettings


def source(target: str, settings: RegistrySettings) -> CredentialSource:
    path = Path(target)

    async def load() -> Credentials:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise RegistryAuthError(f"file {path} is unreadable ({exc.strerror})", registry=settings.name) from None
        creds = parse_helper_output(data.strip())
        if creds is None:
            raise RegistryAuthError(f"file {path} does not hold username:password", registry=settings.name)
        return creds

    return CredentialSource(f"file {path}", load, settings.credentials_ttl.total_seconds())
