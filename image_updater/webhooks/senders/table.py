"""The one table of webhook senders: how each authenticates and which module parses its payload.

A new sender is one module beside these (a ``parse`` function) plus one row here; the settings'
``type`` values, the docs' sender list and the conformance test all read this table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from image_updater.webhooks.payload import Parser
from image_updater.webhooks.senders import acr, distribution, dockerhub, generic, ghcr, gitlab, harbor, quay


@dataclass(frozen=True)
class SenderSpec:
    """How one sender type authenticates and which parser reads it.

    ``auth="signature"``: ``header`` carries ``sha256=HMAC(body)`` (``None``: the receiver's configured
    ``signature_header``).  ``auth="token"``: the secret comes in ``header`` (if the sender can set one)
    or as the last URL path segment, ``/webhook/{receiver}/{secret}``.
    """

    auth: Literal["signature", "token"]
    header: str | None
    parser: Parser


SENDERS: Mapping[str, SenderSpec] = {
    # The registry's `notifications.endpoints[].headers` can carry `Authorization: Bearer SECRET`.
    "distribution": SenderSpec("token", "Authorization", distribution.parse),
    # Docker Hub and Quay cannot add headers or sign: the secret is in the URL path.
    "dockerhub": SenderSpec("token", None, dockerhub.parse),
    "quay": SenderSpec("token", None, quay.parse),
    # Harbor sends the policy's "auth header" value verbatim as `Authorization`.
    "harbor": SenderSpec("token", "Authorization", harbor.parse),
    # ACR webhooks take custom headers: `Authorization: Bearer SECRET`.
    "acr": SenderSpec("token", "Authorization", acr.parse),
    "gitlab": SenderSpec("token", "X-Gitlab-Token", gitlab.parse),
    "ghcr": SenderSpec("signature", "X-Hub-Signature-256", ghcr.parse),
    "generic": SenderSpec("signature", None, generic.parse),
}
