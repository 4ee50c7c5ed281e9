"""What the docs and config.example.yaml tell people must be what the product does."""

from __future__ import annotations

import re
from typing import Any

from image_updater.reference import ImageReference
from tests.conftest import ROOT
from tests.test_config import _shown_settings

#: Registry hosts whose notifications have a receiver type of their own; any other sender can only use
#: ``generic`` (a CI job). GHCR sends GitHub ``package`` webhooks, never the Distribution registry's.
SENDERS_OF = {"ghcr.io": {"ghcr", "generic"}, "docker.io": {"dockerhub", "generic"}, "quay.io": {"quay", "generic"}}


def _receiver_types(settings: dict[str, Any]) -> set[str]:
    return {str(hook["type"]) for hook in (settings.get("service") or {}).get("webhooks") or []}


def test_webhook_receivers_shown_beside_images_are_ones_their_registry_can_call() -> None:
    checked = 0
    for where, settings in _shown_settings():
        types = _receiver_types(settings)
        if not types:
            continue
        hosts = {ImageReference.parse(str(image["image"])).domain for image in settings.get("images") or []}
        for host in hosts & set(SENDERS_OF):
            checked += 1
            assert types & SENDERS_OF[host], f"{where}: images from {host} but only {sorted(types)} receivers"
    assert checked >= 1  # the getting-started guide pairs ghcr.io images with a receiver


def test_example_says_declined_updates_are_matched_by_the_body_marker() -> None:
    """delivery/messages.py matches a declined PR by the ``<!-- image-updater update: … -->`` marker in its body."""
    text = (ROOT / "config.example.yaml").read_text()
    start = text.index("recreate_declined:")
    comment = " ".join(re.findall(r"#\s*(.*)", text[start : text.index("\n", text.index("\n", start) + 1)]))
    assert "same title" not in comment
    assert "marker" in comment and "body" in comment
