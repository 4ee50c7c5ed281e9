"""One hierarchy for every failure, so callers catch by concern and messages always name the culprit.

Every message must name what the user has to look at (file and line, image, registry, key) and must
never contain a secret.
"""

from __future__ import annotations


class ImageUpdaterError(Exception):
    """Base of every error this package raises on purpose."""


class ConfigError(ImageUpdaterError):
    """The settings are wrong: names the file and the key."""

    def __init__(self, message: str, *, source: str | None = None, key: str | None = None) -> None:
        self.source = source
        self.key = key
        where = ", ".join(p for p in (source, f"key {key}" if key else None) if p)
        super().__init__(f"{where}: {message}" if where else message)


class InvalidReferenceError(ImageUpdaterError):
    """An image reference or tag that is not valid OCI syntax."""


class RegistryError(ImageUpdaterError):
    """A registry could not answer what we asked; names the registry and the image."""

    def __init__(self, message: str, *, registry: str | None = None, image: str | None = None) -> None:
        self.registry = registry
        self.image = image
        where = " ".join(
            p for p in (f"registry {registry}" if registry else None, f"image {image}" if image else None) if p
        )
        super().__init__(f"{where}: {message}" if where else message)


class RegistryAuthError(RegistryError):
    """Credentials were refused or could not be obtained."""


class RegistryNotFoundError(RegistryError):
    """The repository, tag or manifest does not exist."""


class RegistryUnavailableError(RegistryError):
    """Transient failures (429, 5xx, timeouts, resets) persisted past the retry budget."""


class RegistryProtocolError(RegistryError):
    """The registry answered something that does not follow the distribution spec."""


class RegistryStatusError(RegistryProtocolError):
    """An HTTP status the request does not expect; ``status`` names it (a 400 to ``?n=`` means the page size)."""

    def __init__(self, message: str, *, status: int, registry: str | None = None, image: str | None = None) -> None:
        self.status = status
        super().__init__(message, registry=registry, image=image)


class PolicyError(ImageUpdaterError):
    """A policy could not decide (e.g. numerical order over a tag that is not a number)."""


class ManifestError(ImageUpdaterError):
    """A config-repo file could not be read or edited; names the file and the line."""

    def __init__(self, message: str, *, path: str, line: int | None = None) -> None:
        self.path = path
        self.line = line
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {message}")


class ManifestParseError(ManifestError):
    """The file is not YAML we can parse; it is never written."""


class ManifestEditError(ManifestError):
    """An edit could not be applied or did not read back; the file is never written."""


class GitError(ImageUpdaterError):
    """Cloning, committing or pushing the config repo failed."""


class PushRejectedError(GitError):
    """The remote refused the push (it moved, or a lease did not hold)."""


class ForgeError(ImageUpdaterError):
    """A forge API (GitHub, GitLab, Gitea) refused a request; carries the forge's own message."""

    def __init__(self, message: str, *, forge: str, status: int | None = None) -> None:
        self.forge = forge
        self.status = status
        code = f" (HTTP {status})" if status is not None else ""
        super().__init__(f"{forge}{code}: {message}")


class WebhookError(ImageUpdaterError):
    """A webhook request was not authentic or not understood."""
