"""Digest pins are kept: a pinned reference moves to ``new-tag@<the digest the registry serves for it>``.

Against a real registry (its digests) and a bare remote, through one real cycle (Flux
digestReflectionPolicy, Renovate pinDigests). Once, ``repo:1.0.0@sha256:…`` under a semver policy became
``repo:1.2.0`` and the pin was gone.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from image_updater.config import Settings
from image_updater.cycle import Updater
from tests.support.gitrepo import BareRemote, make_remote
from tests.support.registry import RegistryServer


def _cycle(registry: RegistryServer, remote: BareRemote, tmp_path: Path, **image: Any) -> list[str]:
    settings = Settings(
        registries=[{"name": "local", "url": registry.url, "prefix": registry.host, "insecure": True}],
        git={"url": remote.url, "workdir": str(tmp_path / "checkout")},
        images=[{"name": "web", "image": f"{registry.host}/team/web", "policy": {"semver": "^1.0"}, **image}],
    )

    async def run() -> list[str]:
        updater = Updater(settings)
        try:
            return (await updater.run_cycle()).all_errors
        finally:
            await updater.aclose()

    return asyncio.run(run())


def test_a_pinned_reference_moves_to_the_new_tag_with_its_digest(registry: RegistryServer, tmp_path: Path) -> None:
    with registry.pusher() as pusher:
        pushed = pusher.push_tags("team/web", ["1.0.0", "1.2.0"])
        multi = pusher.push_index("team/web", "1.3.0", ["linux/amd64", "linux/arm64"])
    old = pushed["1.0.0"].digest
    pod = "kind: Pod\nspec:\n  containers:\n  - name: web\n    image: {}\n"
    remote = make_remote(
        tmp_path,
        {
            "pod.yaml": pod.format(f"{registry.host}/team/web:1.0.0@{old}"),
            "kustomization.yaml": f"images:\n- name: {registry.host}/team/web\n  newTag: 1.0.0\n  digest: {old}\n",
            "plain.yaml": pod.format(f"{registry.host}/team/web:1.0.0"),
        },
    )
    assert _cycle(registry, remote, tmp_path) == []
    # the index digest of the multi-arch tag, as the registry serves it for 1.3.0
    assert remote.read("pod.yaml").decode().endswith(f"image: {registry.host}/team/web:1.3.0@{multi.digest}\n")
    assert remote.read("kustomization.yaml").decode().endswith(f"  newTag: 1.3.0\n  digest: {multi.digest}\n")
    assert remote.read("plain.yaml").decode().endswith("team/web:1.3.0\n")  # not pinned, stays unpinned


def test_pin_digest_adds_pins_where_there_are_none(registry: RegistryServer, tmp_path: Path) -> None:
    with registry.pusher() as pusher:
        pushed = pusher.push_tags("team/web", ["1.0.0"])
    pod = "kind: Pod\nspec:\n  containers:\n  - name: web\n    image: {}\n"
    remote = make_remote(tmp_path, {"plain.yaml": pod.format(f"{registry.host}/team/web:1.0.0")})
    assert _cycle(registry, remote, tmp_path, pin_digest=True) == []
    digest = pushed["1.0.0"].digest
    assert remote.read("plain.yaml").decode().endswith(f"team/web:1.0.0@{digest}\n")
    assert remote.log()[0] == "chore(images): update 1 image"


def test_a_pinned_tag_that_was_pushed_again_gets_its_new_digest(registry: RegistryServer, tmp_path: Path) -> None:
    with registry.pusher() as pusher:
        before = pusher.push_image("team/web", "1.0.0", created="2024-01-01T00:00:00Z").digest
        after = pusher.push_image("team/web", "1.0.0", created="2024-02-01T00:00:00Z").digest
    assert before != after
    pod = "kind: Pod\nspec:\n  containers:\n  - name: web\n    image: {}\n"
    remote = make_remote(tmp_path, {"pod.yaml": pod.format(f"{registry.host}/team/web:1.0.0@{before}")})
    assert _cycle(registry, remote, tmp_path) == []
    assert remote.read("pod.yaml").decode().endswith(f"team/web:1.0.0@{after}\n")
