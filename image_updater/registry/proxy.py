"""Which proxy a registry request goes through: the registry's own ``proxy`` setting, else the environment.

git and the forge client (httpx) honour ``HTTPS_PROXY``, ``HTTP_PROXY`` and ``NO_PROXY`` by themselves;
aiohttp only does with ``trust_env``, which also sends ``~/.netrc`` passwords to registries and fails
when they meet our ``Authorization`` header. So the route is decided here, with the standard library's
reading of those variables (the one aiohttp's ``trust_env`` and requests use), and handed to the
transport per request.
"""

from __future__ import annotations

import urllib.request
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit, urlunsplit

from image_updater.registry.settings import RegistrySettings
from image_updater.secrets import read_secret, register_secret


@dataclass(frozen=True)
class ProxyRoute:
    """A proxy to send requests through: its address (never with credentials) and the login, if any."""

    address: str
    username: str | None
    password: str | None
    source: str  # the setting or variable it came from, for messages

    def refused(self) -> str:
        """What to fix when the proxy answers 407."""
        if self.username is None:
            return f"the proxy {self.address} wants credentials (HTTP 407): give {self.source} a username and password"
        return f"the proxy {self.address} refused the credentials (HTTP 407): check {self.source}"


class ProxyRoutes:
    """The route for each origin one registry's requests go to, decided once per origin and remembered.

    ``forget`` drops what was decided (after a 407), so a rotated proxy password file is read again.
    """

    def __init__(self, settings: RegistrySettings) -> None:
        self._settings = settings
        self._routes: dict[str, ProxyRoute | None] = {}

    def for_url(self, url: str) -> ProxyRoute | None:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in self._routes:
            self._routes[origin] = self._decide(parts.scheme, parts.netloc.rpartition("@")[2])
        return self._routes[origin]

    def forget(self) -> None:
        self._routes.clear()

    def _decide(self, scheme: str, host: str) -> ProxyRoute | None:
        setting = self._settings.proxy
        key = f"registries[{self._settings.name}].proxy"
        if setting is not None:  # for every request of this registry: the setting names no other
            password = read_secret(file=setting.password_file, env=setting.password_env, what=f"{key} password")
            return ProxyRoute(setting.address, setting.username, password, key)
        if urllib.request.proxy_bypass(host):  # NO_PROXY (host or host:port, suffixes, *)
            return None
        proxies = urllib.request.getproxies()
        # ALL_PROXY when no scheme's own variable is set, as curl (git) and httpx (the forges) read it.
        name = scheme if proxies.get(scheme) else "all"
        address = proxies.get(name)
        if not address:
            return None
        variable = f"{name.upper()}_PROXY"
        if "://" not in address:
            address = f"http://{address}"  # curl and git read "proxy:3128" as http
        parts = urlsplit(address)
        username = unquote(parts.username) if parts.username else None
        password = unquote(parts.password) if parts.password else None
        register_secret(password)
        bare = urlunsplit((parts.scheme, parts.netloc.rpartition("@")[2], "", "", ""))
        return ProxyRoute(bare, username, password, f"the credentials in {variable}")
