"""The runtime contract between the image and the chart, read from each of the three places it lives.

The user id, the writable paths, the port, the Git work dir, the command and the health endpoint are
written in the Dockerfile, in the built image's config, and in the chart's Deployment. Each reader
below extracts the same ``RuntimeContract`` from one of them, so a test compares whole contracts and
a change in one place that the others do not follow fails with a readable difference.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from tests.deploy.dockerfile import Dockerfile


@dataclass(frozen=True)
class RuntimeContract:
    uid: int
    gid: int
    writable: frozenset[str]  # everything else is read-only (readOnlyRootFilesystem)
    port: int
    work_root: str  # where checkouts live (the image's WORKDIR, the chart's IMAGE_UPDATER_WORKDIR)
    args: tuple[str, ...]  # what the service runs with (CMD, the chart's args)
    liveness_path: str


def _health_path(command: str) -> str:
    match = re.search(r"https?://[^/'\"]+(/[a-z]+)", command)
    assert match, f"no health URL in {command!r}"
    return match[1]


def from_dockerfile(dockerfile: Dockerfile) -> RuntimeContract:
    final = dockerfile.final
    (user,) = final.of("USER")
    uid, _, gid = user.arguments.partition(":")
    (volumes,) = [json.loads(v.arguments) for v in final.of("VOLUME")]
    (expose,) = final.of("EXPOSE")
    env = dict(re.findall(r"([A-Za-z_][A-Za-z0-9_]*)=(\S+)", " ".join(e.arguments for e in final.of("ENV"))))
    (workdir,) = final.of("WORKDIR")
    # The safe.directory git trusts, the WORKDIR and the root of the checkouts are one path.
    assert env["GIT_CONFIG_KEY_0"] == "safe.directory"
    assert env["GIT_CONFIG_VALUE_0"] == workdir.arguments, "safe.directory differs from WORKDIR"
    (cmd,) = final.of("CMD")
    (healthcheck,) = final.of("HEALTHCHECK")
    return RuntimeContract(
        uid=int(uid),
        gid=int(gid),
        writable=frozenset(volumes),
        port=int(expose.arguments.removesuffix("/tcp")),
        work_root=workdir.arguments,
        args=tuple(cmd.exec_form() or []),
        liveness_path=_health_path(healthcheck.arguments),
    )


def from_image_config(config: dict[str, Any]) -> RuntimeContract:
    """From the built image's Docker config (``buildah inspect`` … ``["Docker"]["config"]``)."""
    uid, _, gid = str(config["User"]).partition(":")
    (port,) = config["ExposedPorts"]
    env = dict(item.split("=", 1) for item in config["Env"])
    assert env["GIT_CONFIG_VALUE_0"] == config["WorkingDir"], "safe.directory differs from WorkingDir"
    return RuntimeContract(
        uid=int(uid),
        gid=int(gid),
        writable=frozenset(config["Volumes"]),
        port=int(port.removesuffix("/tcp")),
        work_root=config["WorkingDir"],
        args=tuple(config["Cmd"]),
        liveness_path=_health_path(" ".join(config["Healthcheck"]["Test"])),
    )


def from_chart(objects: list[dict[str, Any]]) -> RuntimeContract:
    """From the rendered chart (tests/deploy/chart.py ``render``)."""
    (deployment,) = [o for o in objects if o["kind"] == "Deployment"]
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    security = {**pod.get("securityContext", {}), **container.get("securityContext", {})}
    assert security["readOnlyRootFilesystem"] is True
    empty_dirs = {v["name"] for v in pod["volumes"] if "emptyDir" in v}
    writable = frozenset(m["mountPath"] for m in container["volumeMounts"] if m["name"] in empty_dirs)
    (port,) = [p["containerPort"] for p in container["ports"] if p["name"] == "http"]
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["IMAGE_UPDATER_SERVICE__PORT"] == str(port)
    liveness = container["livenessProbe"]["httpGet"]
    assert liveness["port"] == "http"
    return RuntimeContract(
        uid=security["runAsUser"],
        gid=security["runAsGroup"],
        writable=writable,
        port=port,
        work_root=env["IMAGE_UPDATER_WORKDIR"],
        args=tuple(container["args"]),
        liveness_path=liveness["path"],
    )
