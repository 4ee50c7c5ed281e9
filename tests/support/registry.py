"""A real CNCF Distribution registry on loopback, and a tiny pusher that needs no Docker engine.

Tests start ``docker-registry`` (Debian's package) on a free port with in-memory storage; images are
built from a few bytes (a config blob and an empty layer) so pushing a tag costs two small requests.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

REGISTRY_BIN = shutil.which("docker-registry") or "/usr/bin/docker-registry"

MT_DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
MT_DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
MT_DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
MT_DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
MT_OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MT_OCI_INDEX = "application/vnd.oci.image.index.v1+json"
MT_OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
MT_OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def digest_of(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def wait_http(url: str, timeout: float = 15.0, ok: Sequence[int] = (200, 401)) -> None:
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1.0).status_code in ok:
                return
        except httpx.HTTPError as exc:
            last = exc
        time.sleep(0.05)
    raise RuntimeError(f"{url} did not come up: {last}")


@dataclass
class RegistryServer:
    """A running registry process; ``url`` is its base URL, ``host`` the ``127.0.0.1:PORT`` prefix."""

    port: int
    process: subprocess.Popen[bytes]
    workdir: Path
    auth: tuple[str, str] | None = None
    log_path: Path | None = None

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.host}"

    def pusher(self, **client_kwargs: Any) -> ImagePusher:
        return ImagePusher(self.url, auth=self.auth, **client_kwargs)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.workdir, ignore_errors=True)


def start_registry(
    *,
    htpasswd: tuple[str, str] | None = None,
    token_auth: Mapping[str, str] | None = None,
    notifications: Sequence[Mapping[str, Any]] | None = None,
    extra_config: Mapping[str, Any] | None = None,
) -> RegistryServer:
    """Start ``docker-registry serve`` on a free loopback port and wait until ``/v2/`` answers.

    ``htpasswd=(user, password)`` turns on basic auth; ``token_auth`` is the registry's
    ``auth.token`` mapping (realm, service, issuer, rootcertbundle); ``notifications`` are endpoints.
    """
    if not os.path.exists(REGISTRY_BIN):
        raise RuntimeError("docker-registry is not installed (apt-get install docker-registry)")
    workdir = Path(tempfile.mkdtemp(prefix="registry-"))
    port = free_port()
    config: dict[str, Any] = {
        "version": 0.1,
        "log": {"level": "warn", "accesslog": {"disabled": True}},
        "storage": {"inmemory": {}, "delete": {"enabled": True}},
        "http": {"addr": f"127.0.0.1:{port}", "secret": "test-only-secret"},
    }
    if htpasswd is not None:
        user, password = htpasswd
        path = workdir / "htpasswd"
        subprocess.run(["htpasswd", "-Bbc", str(path), user, password], check=True, capture_output=True)
        config["auth"] = {"htpasswd": {"realm": "basic-realm", "path": str(path)}}
    if token_auth is not None:
        config["auth"] = {"token": dict(token_auth)}
    if notifications:
        config["notifications"] = {"endpoints": [dict(e) for e in notifications]}
    if extra_config:
        config.update(extra_config)
    config_path = workdir / "config.yml"
    config_path.write_text(json.dumps(config))  # JSON is YAML
    log_path = workdir / "registry.log"
    log = open(log_path, "wb")  # noqa: SIM115 - handed to the child
    process = subprocess.Popen([REGISTRY_BIN, "serve", str(config_path)], stdout=log, stderr=subprocess.STDOUT)
    server = RegistryServer(port=port, process=process, workdir=workdir, auth=htpasswd, log_path=log_path)
    try:
        wait_http(f"{server.url}/v2/")
    except Exception:
        server.stop()
        raise
    return server


@dataclass
class PushedImage:
    """What a push produced: the tag's manifest digest and media type, and per-platform children."""

    tag: str
    digest: str
    media_type: str
    children: dict[str, str] = field(default_factory=dict)  # platform -> child manifest digest


class ImagePusher:
    """Pushes tiny but well-formed images (single-platform or multi-arch) over the distribution API."""

    def __init__(self, base_url: str, *, auth: tuple[str, str] | None = None, **client_kwargs: Any) -> None:
        self._client = httpx.Client(base_url=base_url, auth=auth, timeout=30.0, **client_kwargs)
        self._blobs: dict[tuple[str, str], bool] = {}

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> ImagePusher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def push_blob(self, repo: str, data: bytes) -> str:
        digest = digest_of(data)
        if self._blobs.get((repo, digest)):
            return digest
        start = self._client.post(f"/v2/{repo}/blobs/uploads/")
        start.raise_for_status()
        location = start.headers["Location"]
        sep = "&" if "?" in location else "?"
        put = self._client.put(
            f"{location}{sep}digest={digest}", content=data, headers={"Content-Type": "application/octet-stream"}
        )
        put.raise_for_status()
        self._blobs[(repo, digest)] = True
        return digest

    def put_manifest(self, repo: str, reference: str, body: bytes, media_type: str) -> str:
        resp = self._client.put(f"/v2/{repo}/manifests/{reference}", content=body, headers={"Content-Type": media_type})
        resp.raise_for_status()
        return digest_of(body)

    def _image_manifest(self, repo: str, *, created: str, platform: str, oci: bool, label: str) -> tuple[bytes, str]:
        os_name, arch, *variant = platform.split("/")
        config: dict[str, Any] = {
            "architecture": arch,
            "os": os_name,
            "created": created,
            "config": {"Labels": {"image-updater.test": label}},
            "rootfs": {"type": "layers", "diff_ids": []},
        }
        if variant:
            config["variant"] = variant[0]
        config_bytes = json.dumps(config, sort_keys=True).encode()
        layer = b"layer:" + label.encode()
        config_digest = self.push_blob(repo, config_bytes)
        layer_digest = self.push_blob(repo, layer)
        media_type = MT_OCI_MANIFEST if oci else MT_DOCKER_MANIFEST
        manifest = {
            "schemaVersion": 2,
            "mediaType": media_type,
            "config": {
                "mediaType": MT_OCI_CONFIG if oci else MT_DOCKER_CONFIG,
                "size": len(config_bytes),
                "digest": config_digest,
            },
            "layers": [
                {"mediaType": MT_OCI_LAYER if oci else MT_DOCKER_LAYER, "size": len(layer), "digest": layer_digest}
            ],
        }
        return json.dumps(manifest, sort_keys=True).encode(), media_type

    def push_image(
        self,
        repo: str,
        tag: str,
        *,
        created: str = "2024-01-01T00:00:00Z",
        platform: str = "linux/amd64",
        oci: bool = False,
    ) -> PushedImage:
        """Push a single-platform image under ``tag``; its content is unique per (repo, tag, created)."""
        body, media_type = self._image_manifest(
            repo, created=created, platform=platform, oci=oci, label=f"{repo}:{tag}:{created}:{platform}"
        )
        digest = self.put_manifest(repo, tag, body, media_type)
        return PushedImage(tag=tag, digest=digest, media_type=media_type, children={platform: digest})

    def push_index(
        self, repo: str, tag: str, platforms: Sequence[str], *, created: str = "2024-01-01T00:00:00Z", oci: bool = True
    ) -> PushedImage:
        """Push a multi-arch image: one child per platform, then an OCI index or Docker manifest list."""
        entries = []
        children: dict[str, str] = {}
        for platform in platforms:
            body, media_type = self._image_manifest(
                repo, created=created, platform=platform, oci=oci, label=f"{repo}:{tag}:{created}:{platform}"
            )
            child = self.put_manifest(repo, digest_of(body), body, media_type)
            children[platform] = child
            os_name, arch, *variant = platform.split("/")
            plat: dict[str, str] = {"os": os_name, "architecture": arch}
            if variant:
                plat["variant"] = variant[0]
            entries.append({"mediaType": media_type, "size": len(body), "digest": child, "platform": plat})
        index_type = MT_OCI_INDEX if oci else MT_DOCKER_LIST
        index = json.dumps({"schemaVersion": 2, "mediaType": index_type, "manifests": entries}, sort_keys=True).encode()
        digest = self.put_manifest(repo, tag, index, index_type)
        return PushedImage(tag=tag, digest=digest, media_type=index_type, children=children)

    def push_tags(self, repo: str, tags: Sequence[str]) -> dict[str, PushedImage]:
        return {tag: self.push_image(repo, tag) for tag in tags}


def registry_fixture(**kwargs: Any) -> Iterator[RegistryServer]:
    server = start_registry(**kwargs)
    try:
        yield server
    finally:
        server.stop()
