"""The image, built from the Dockerfile and run as the chart runs it.

Built by scripts/build-image.sh with buildah on a Debian base made on this machine (the cache under
/var/tmp makes a rebuild with nothing changed take seconds); run by tests/support/container.py as
the image's non-root user, with the root file system read-only and only the chart's emptyDir paths
writable. Skips, saying why, where buildah or mmdebstrap are missing or the tests do not run as root.
"""

from __future__ import annotations

import os
import subprocess
import time
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.deploy.contract import from_chart, from_dockerfile, from_image_config
from tests.deploy.dockerfile import parse
from tests.support.container import BuiltImage, Container, Mount, NotAvailable, Started, build_image
from tests.support.gitrepo import BareRemote, GitDaemon, make_remote, start_git_daemon
from tests.support.registry import RegistryServer, free_port
from tests.test_end_to_end import DEPLOYMENT, write_config

ROOT = Path(__file__).resolve().parents[2]
SIZE_TARGET = 150 * 1000 * 1000  # compressed, as pulled from a registry
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def image(request: pytest.FixtureRequest) -> BuiltImage:
    try:
        built = build_image()
    except NotAvailable as reason:
        pytest.skip(str(reason))
    # The build's own summary (base cached or made, seconds, size) belongs in the test log.
    show(
        request,
        [
            line
            for line in built.build_log.splitlines()
            if line.startswith("build-image: built") or line.startswith("build-image: base")
        ],
    )
    return built


def show(request: pytest.FixtureRequest, lines: list[str]) -> None:
    """Print past pytest's capture, so the figures are in the log of a passing run too."""
    capture = request.config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():
        print("", *lines, sep="\n")


@pytest.fixture(scope="module")
def container(image: BuiltImage) -> Iterator[Container]:
    made = Container(image)
    try:
        yield made
    finally:
        made.remove()


@pytest.fixture
def volumes(tmp_path: Path, container: Container) -> dict[str, Path]:
    """Fresh host folders for the image's volumes, owned by its user (as fsGroup makes emptyDirs)."""
    made = {}
    for target in sorted(container.config["Volumes"]):
        source = tmp_path / "volumes" / target.strip("/").replace("/", "_")
        source.mkdir(parents=True)
        os.chown(source, *container.user)
        made[target] = source
    return made


def writable(volumes: dict[str, Path]) -> list[Mount]:
    return [Mount(source, target) for target, source in volumes.items()]


@pytest.fixture
def served(registry: RegistryServer, tmp_path: Path) -> Iterator[tuple[RegistryServer, BareRemote, Path, GitDaemon]]:
    """A registry with tags, a config repo served by git daemon, and a config dir to mount.

    The remote is reached over git:// on loopback, as a real one is over the network (a file://
    path would have to exist inside the read-only image).
    """
    with registry.pusher() as pusher:
        pusher.push_tags("team/web", ["1.0.0", "1.1.0", "1.2.0-rc.1", "2.0.0"])
    remotes = tmp_path / "remotes"
    remotes.mkdir()
    remote = make_remote(remotes, {"deploy/web.yaml": DEPLOYMENT.format(host=registry.host)})
    daemon = start_git_daemon(remotes)
    config_dir = tmp_path / "etc"
    config_dir.mkdir()
    written = write_config(tmp_path, registry, ServedRemote(remote.path, daemon.url(remote.path.name)))
    # as a chart user's config: no git.workdir, so the checkout goes below the chart's IMAGE_UPDATER_WORKDIR
    text = "".join(line for line in written.read_text().splitlines(keepends=True) if "workdir:" not in line)
    (config_dir / "config.yaml").write_text(text)
    try:
        yield registry, remote, config_dir, daemon
    finally:
        daemon.stop()


class ServedRemote(BareRemote):
    """The same bare repository, named by its git:// URL."""

    def __init__(self, path: Path, url: str) -> None:
        super().__init__(path)
        self._url = url

    @property
    def url(self) -> str:
        return self._url


# The environment the chart gives the container (deployment.yaml); listening on loopback only here.
def chart_env(port: int = 8080) -> dict[str, str]:
    return {
        "IMAGE_UPDATER_SERVICE__PORT": str(port),
        "IMAGE_UPDATER_WORKDIR": "/var/lib/image-updater",
        "IMAGE_UPDATER_SERVICE__LISTEN": "127.0.0.1",
    }


def test_image_config_is_the_runtime_contract(image: BuiltImage) -> None:
    contract = from_image_config(image.config)
    assert contract == from_dockerfile(parse(ROOT / "Dockerfile"))
    assert image.config["Entrypoint"] == ["image-updater"]
    labels = image.config["Labels"]
    with open(ROOT / "pyproject.toml", "rb") as f:
        assert labels["org.opencontainers.image.version"] == tomllib.load(f)["project"]["version"]
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    if head.returncode == 0:  # the build labels the image with the commit it was built from
        assert labels["org.opencontainers.image.revision"] == head.stdout.strip()
    assert labels["org.opencontainers.image.base.name"].startswith("localhost/image-updater-base:")
    try:
        from tests.deploy.chart import render
    except pytest.skip.Exception:
        return  # helm-python-sdk is x86_64 only; the Dockerfile-chart comparison is in test_dockerfile.py
    assert contract == from_chart(render())


def test_version_and_git_as_the_non_root_user(container: Container, volumes: dict[str, Path]) -> None:
    with open(ROOT / "pyproject.toml", "rb") as f:
        version = tomllib.load(f)["project"]["version"]
    result = container.run(["version"], mounts=writable(volumes))
    assert (result.returncode, result.stdout, result.stderr) == (0, f"image-updater {version}\n", "")

    result = container.run(["git", "--version"], entrypoint=[], mounts=writable(volumes))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("git version 2.")

    result = container.run(["id", "-u"], entrypoint=[], mounts=writable(volumes))
    assert result.stdout.strip() == "65532" == str(container.user[0])


PROBE = r"""
for dir in "$@"; do
  if out=$(touch "$dir/.write-probe" 2>&1); then echo "$dir: written"; rm "$dir/.write-probe"
  else echo "$dir: ${out##*: }"; fi
done
grep -E '^[0-9]+ [0-9]+ [^ ]+ [^ ]+ / ' /proc/self/mountinfo | cut -d' ' -f6 | cut -d, -f1
"""


def probe_writes(container: Container, mounts: list[Mount], *dirs: str) -> list[str]:
    result = container.run(["sh", "-c", PROBE, "probe", *dirs], entrypoint=[], mounts=mounts)
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def test_root_is_read_only_and_only_the_charts_volumes_are_writable(
    container: Container, volumes: dict[str, Path]
) -> None:
    assert set(volumes) == {"/var/lib/image-updater", "/tmp"}
    lines = probe_writes(
        container, writable(volumes), "/", "/opt", "/opt/venv/bin", "/etc", "/tmp", "/var/lib/image-updater"
    )
    assert lines == [
        "/: Read-only file system",
        "/opt: Read-only file system",
        "/opt/venv/bin: Read-only file system",
        "/etc: Read-only file system",
        "/tmp: written",
        "/var/lib/image-updater: written",
        "ro",  # how / is mounted
    ]
    # The image's own /var/lib/image-updater belongs to the user; without the volume over it, only
    # the read-only root stops the write (not permissions).
    without_work = [m for m in writable(volumes) if m.target != "/var/lib/image-updater"]
    assert probe_writes(container, without_work, "/var/lib/image-updater")[0] == (
        "/var/lib/image-updater: Read-only file system"
    )
    stat = container.run(["stat", "-c", "%u", "/var/lib/image-updater"], entrypoint=[], mounts=without_work)
    assert stat.stdout.strip() == "65532"


def test_run_once_in_the_image_pushes_the_expected_commit(
    container: Container, volumes: dict[str, Path], served: tuple[RegistryServer, BareRemote, Path, GitDaemon]
) -> None:
    _registry, remote, config_dir, _daemon = served
    before = remote.read("deploy/web.yaml")
    result = container.run(
        ["run", "--once", "--config", "/etc/image-updater/config.yaml"],
        env=chart_env(),
        mounts=[*writable(volumes), Mount(config_dir, "/etc/image-updater", read_only=True)],
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert remote.log() == ["chore(images): update 1 image", "initial config"]
    assert remote.read("deploy/web.yaml") == before.replace(b"team/web:1.0.0", b"team/web:1.1.0")
    author = subprocess.run(
        ["git", "log", "-1", "--format=%an <%ae>"], cwd=remote.path, capture_output=True, text=True, check=True
    )
    assert author.stdout.strip() == "image-updater <bot@example.com>"
    # The checkout went to the work-dir volume, nowhere else.
    checkout = volumes["/var/lib/image-updater"] / "checkout"
    assert (checkout / ".git").is_dir()
    assert (checkout / "deploy" / "web.yaml").read_bytes() == remote.read("deploy/web.yaml")


def test_service_answers_healthz_and_exits_0_on_sigterm(
    container: Container,
    volumes: dict[str, Path],
    served: tuple[RegistryServer, BareRemote, Path, GitDaemon],
    tmp_path: Path,
) -> None:
    _registry, remote, config_dir, _daemon = served
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    mounts = [*writable(volumes), Mount(config_dir, "/etc/image-updater", read_only=True)]
    service = container.start(env=chart_env(port), mounts=mounts, log=tmp_path / "service.log")  # image's CMD
    try:
        wait_until(service, "/healthz to answer", lambda: get(f"{base}/healthz") == 200)
        # The image's own HEALTHCHECK command (for plain `docker run`) agrees.
        test = container.config["Healthcheck"]["Test"]
        assert test[0] == "CMD"
        check = container.run(test[1:], entrypoint=[], env=chart_env(port), mounts=writable(volumes))
        assert check.returncode == 0, check.stderr
        # The service's first cycle runs at start and pushes, from the read-only image, like run --once.
        wait_until(service, "the first cycle's commit", lambda: remote.log()[0] == "chore(images): update 1 image")
        ready = httpx.get(f"{base}/readyz", timeout=5)
        assert ready.status_code == 200, ready.text
        assert ready.json()["reason"].endswith("without errors")
        exit_status = service.terminate()
    finally:
        service.kill()
    assert exit_status == 0, service.output()
    assert remote.log() == ["chore(images): update 1 image", "initial config"]


def get(url: str) -> int | None:
    try:
        return httpx.get(url, timeout=2).status_code
    except httpx.TransportError:
        return None


def wait_until(service: Started, what: str, condition: Callable[[], bool], attempts: int = 600) -> None:
    """Polls (a guard against hangs, not a measurement); fails early if the service exits."""
    for _ in range(attempts):
        if service.process.poll() is not None:
            pytest.fail(f"the service exited with {service.process.returncode}:\n{service.output()}")
        if condition():
            return
        time.sleep(0.1)
    pytest.fail(f"gave up waiting for {what}:\n{service.output()}")


def test_image_size(
    image: BuiltImage, container: Container, registry: RegistryServer, request: pytest.FixtureRequest
) -> None:
    """Pushes the image to a loopback registry: the manifest's layer sizes are what a node pulls."""
    reference = f"{registry.host}/platform/image-updater:test"
    subprocess.run(
        [*image.buildah, "push", "--quiet", "--tls-verify=false", image.image_id, f"docker://{reference}"],
        check=True,
        capture_output=True,
        timeout=600,
    )
    manifest = httpx.get(
        f"{registry.url}/v2/platform/image-updater/manifests/test",
        headers={"Accept": "application/vnd.docker.distribution.manifest.v2+json"},
    ).json()
    compressed = manifest["config"]["size"] + sum(layer["size"] for layer in manifest["layers"])
    unpacked = subprocess.run(
        ["du", "-sx", "--apparent-size", "--block-size=1", container.rootfs], capture_output=True, text=True, check=True
    ).stdout.split()[0]
    show(
        request,
        [
            f"image size: {compressed / 1e6:.1f} MB compressed in {len(manifest['layers'])} layers "
            f"(target ≤ {SIZE_TARGET / 1e6:.0f} MB), {int(unpacked) / 1e6:.1f} MB unpacked"
        ],
    )
    assert compressed <= SIZE_TARGET
