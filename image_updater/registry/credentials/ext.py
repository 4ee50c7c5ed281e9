"""``ext:/path/to/script [args]``: a command that prints ``username:password`` (ECR, GAR, ACR token helpers)."""

from __future__ import annotations

import shlex

from image_updater.errors import RegistryAuthError
from image_updater.registry.credentials.model import Credentials, CredentialSource, parse_helper_output, run_helper
from image_updater.registry.settings import RegistrySettings


def source(target: str, settings: RegistrySettings) -> CredentialSource:
    argv = shlex.split(target)

    async def load() -> Credentials:
        status, out = await run_helper(argv, b"", settings.credentials_timeout, f"ext command {argv[0]}", settings.name)
        creds = parse_helper_output(out) if status == 0 else None
        if creds is None:
            raise RegistryAuthError(
                f"ext command {argv[0]} exited {status} without username:password", registry=settings.name
            )
        return creds

    return CredentialSource(f"ext {argv[0]}", load, settings.credentials_ttl.total_seconds())
