"""What a webhook tells the service: a repository changed somewhere; the registry says what."""

from __future__ import annotations

from dataclasses import dataclass

from image_updater.errors import InvalidReferenceError
from image_updater.reference import DOCKER_HUB, split_name


@dataclass(frozen=True)
class RepositoryEvent:
    """One repository a sender says was pushed to.

    ``repository`` is the path inside the registry (``team/web``), ``host`` the registry as the sender
    saw it (``127.0.0.1:5000``, ``docker.io``) or ``None`` when the payload does not say.  ``tag`` is
    informational only: the cycle asks the registry, because a payload can lie or arrive out of order.
    ``receiver`` names the configured receiver the event came through.
    """

    repository: str
    host: str | None
    tag: str | None
    receiver: str

    @property
    def name(self) -> str:
        return f"{self.host}/{self.repository}" if self.host else self.repository

    def matches(self, image_name: str) -> bool:
        """Whether a configured image name (``127.0.0.1:5000/team/web``, ``nginx``) is this repository.

        Equal canonical names match; so does an equal path, or a configured path ending in this one,
        whatever the host: registries behind proxies or aliases report another host than the one
        users configure, and a false match costs one extra registry scan while a miss loses the event.
        """
        try:
            domain, path = split_name(image_name)
        except InvalidReferenceError:
            return False
        event_path = self.repository
        if self.host is not None:
            event_domain = self.host
            if "." in self.host and split_name(f"{self.host}/_")[0] == DOCKER_HUB:
                event_domain, event_path = split_name(self.name)  # a Docker Hub alias: library/ rule
            if (domain, path) == (event_domain, event_path):
                return True
        return path == event_path or path.endswith("/" + event_path)
