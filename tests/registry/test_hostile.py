"""A hostile registry cannot stall, exhaust or mislead a cycle: each trick hits a limit, named, and the rest lands.

One ``run --once`` process (its peak RSS read from the kernel, its data segment capped at 1 GiB so a
failure cannot take the machine down) updates a healthy image while five hostile answers come from
real servers: endless paging, a gzip bomb, an endless body, a tag list redirected to another origin
that forges tags, and an https registry whose Bearer realm is plain http on another host.
"""

from __future__ import annotations

import base64
import os
import resource
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from image_updater.registry import RegistryClient, RegistrySettings
from tests.support.gitrepo import make_remote
from tests.support.registry import RegistryServer
from tests.support.registry_proxy import Bystander, ProxyBehaviour, RegistryProxy
from tests.support.registry_tls import private_ca

HOSTILE = ("hostile/pages", "hostile/bomb", "hostile/endless", "hostile/redirect")
PASSWORD = "s3cret-registry-password"
DATA_LIMIT = 1 << 30  # the child's data segment: a body read whole would hit it instead of the machine's memory
WAIT = 180.0  # seconds; a guard against hangs only


@pytest.fixture
def bystander() -> Iterator[Bystander]:
    server = Bystander(["1.0.0", "1.1.0", "1.9.0"]).start()
    yield server
    server.stop()


def _deployment(images: list[str]) -> str:
    containers = "".join(f"        - name: c{i}\n          image: {image}:1.0.0\n" for i, image in enumerate(images))
    head = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n"
    return f"{head}spec:\n  template:\n    spec:\n      containers:\n{containers}"


def _run_measured(command: list[str], env: dict[str, str], log: Path) -> tuple[int, int]:
    """(exit status, peak RSS in KiB) of ``command``, killed after WAIT seconds."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_DATA, (DATA_LIMIT, DATA_LIMIT))

    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, preexec_fn=limit)
    timer = threading.Timer(WAIT, process.kill)
    timer.start()
    try:
        _, status, usage = os.wait4(process.pid, 0)
    finally:
        timer.cancel()
    process.returncode = os.waitstatus_to_exitcode(status)
    return process.returncode, usage.ru_maxrss


@pytest.mark.slow
def test_hostile_registries_hit_their_limits_and_the_healthy_image_still_lands(
    registry: RegistryServer, bystander: Bystander, tmp_path: Path
) -> None:
    with registry.pusher() as pusher:
        for repository in ("team/healthy", *HOSTILE, "secure/web"):
            pusher.push_tags(repository, ["1.0.0", "1.1.0"])
    hostile = RegistryProxy(
        registry.url,
        ProxyBehaviour(
            endless_pages={"hostile/pages"},
            gzip_bomb={"hostile/bomb"},
            endless_body={"hostile/endless"},
            redirect_to={"hostile/redirect": bystander.url},
        ),
    ).start()
    context, ca_file = private_ca(tmp_path)
    realm = f'Bearer realm="{bystander.url}/token",service="registry"'
    secure = RegistryProxy(registry.url, ProxyBehaviour(challenge=realm), ssl_context=context).start()
    try:
        images = [f"{hostile.host}/{r}" for r in ("team/healthy", *HOSTILE)] + [f"{secure.host}/secure/web"]
        remote = make_remote(tmp_path, {"deploy/web.yaml": _deployment(images)})
        config = tmp_path / "config.yaml"
        config.write_text(
            "registries:\n"
            f"  - {{name: hostile, url: {hostile.url}, prefix: {hostile.host}, insecure: true}}\n"
            f"  - {{name: secure, url: {secure.url}, prefix: {secure.host}, ca_file: {ca_file}, "
            "username: ci, password_env: SECURE_PASSWORD}\n"
            f"git:\n  url: {remote.url}\n  author: {{name: image-updater, email: bot@example.com}}\n"
            f"  workdir: {tmp_path / 'checkout'}\n"
            "images:\n"
            + "".join(
                f'  - name: {image.rsplit("/", 1)[1]}-{i}\n    image: {image}\n    policy: {{semver: "^1.0"}}\n'
                for i, image in enumerate(images)
            )
        )
        command = [sys.executable, "-m", "image_updater.cli", "run", "--once", "--config", str(config)]
        log = tmp_path / "run.log"
        rc, peak_kib = _run_measured(command, {**os.environ, "SECURE_PASSWORD": PASSWORD}, log)
    finally:
        hostile.stop()
        secure.stop()
    out = log.read_text(errors="replace")

    assert rc == 1, out[-3000:]  # errors reported, not a crash
    assert "Traceback" not in out and "MemoryError" not in out
    landed = remote.read("deploy/web.yaml").decode()
    assert f"{hostile.host}/team/healthy:1.1.0\n" in landed  # the healthy image is updated
    for image in images[1:]:
        assert f"{image}:1.0.0\n" in landed  # every hostile one untouched
    errors = [line for line in out.splitlines() if line.startswith("error: ")]
    expected = {
        "hostile/pages": "goes on past 1000 pages (max_pages)",
        "hostile/bomb": "tag list is larger than 16777216 bytes (max_tag_list_bytes)",
        "hostile/endless": "tag list is larger than 16777216 bytes (max_tag_list_bytes)",
        "hostile/redirect": f"redirected to another origin (http://127.0.0.1:{bystander.app.port})",
        "secure/web": "plain http under an https registry; refusing the downgrade",
    }
    for repository, reason in expected.items():
        named = [e for e in errors if f"/{repository} " in e or f"/{repository}:" in e]
        assert any(reason in e and "registry " in e for e in named), (repository, errors)
    assert bystander.requests == []  # neither forged tags nor the password went to the other origin
    assert PASSWORD not in out and base64.b64encode(f"ci:{PASSWORD}".encode()).decode() not in out
    assert peak_kib * 1024 < 300 << 20, f"peak RSS {peak_kib // 1024} MiB"
    print(f"\nhostile registries: peak RSS {peak_kib // 1024} MiB under a 1 GiB gzip bomb and an endless body")


async def test_a_tag_list_redirect_within_the_origin_or_to_a_mirror_is_followed_without_credentials(
    registry: RegistryServer, tmp_path: Path
) -> None:
    with registry.pusher() as pusher:
        pusher.push_tags("team/web", ["1.0.0", "1.1.0"])
    mirror = RegistryProxy(registry.url).start()
    front = RegistryProxy(registry.url, ProxyBehaviour(redirect_to={"team/web": mirror.url})).start()
    try:
        settings = RegistrySettings(name="front", url=front.url, prefix=front.host, insecure=True, mirrors=[mirror.url])
        async with RegistryClient([settings]) as client:
            assert sorted(await client.list_tags(f"{front.host}/team/web")) == ["1.0.0", "1.1.0"]
        without = settings.model_copy(update={"mirrors": []})
        async with RegistryClient([without]) as client:
            with pytest.raises(Exception, match=r"registry front image .*: tag list redirected to another origin"):
                await client.list_tags(f"{front.host}/team/web")
    finally:
        front.stop()
        mirror.stop()
    assert all(auth is None for auth in mirror.authorizations)


async def test_a_listing_with_more_tags_than_max_tags_is_refused_naming_the_setting(registry: RegistryServer) -> None:
    with registry.pusher() as pusher:
        pusher.push_tags("team/many", [f"1.0.{n}" for n in range(12)])
    proxy = RegistryProxy(registry.url, ProxyBehaviour(page_size=4)).start()
    try:
        settings = RegistrySettings(name="paged", url=proxy.url, prefix=proxy.host, insecure=True, max_tags=5)
        async with RegistryClient([settings]) as client:
            with pytest.raises(
                Exception, match=r"registry paged image .*: tag list holds more than 5 tags \(max_tags\)"
            ):
                await client.list_tags(f"{proxy.host}/team/many")
            roomy = RegistryClient([settings.model_copy(update={"max_tags": 12})])
            async with roomy:
                assert len(await roomy.list_tags(f"{proxy.host}/team/many")) == 12
    finally:
        proxy.stop()
