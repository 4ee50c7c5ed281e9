"""Realistic webhook bodies, one per sender type, shaped after the senders' published examples.

Each sample says which repository (path, host) and tag a correct parser must report, so tests check
the mapping and not only the status code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

MT_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DIGEST_EF = "sha256:" + "ef" * 32


@dataclass(frozen=True)
class Sample:
    type: str
    body: dict[str, Any]
    repository: str
    host: str | None
    tag: str | None
    headers: dict[str, str] = field(default_factory=dict)

    def raw(self) -> bytes:
        return json.dumps(self.body).encode()


def distribution_event(
    repository: str,
    tag: str | None,
    *,
    host: str = "127.0.0.1:5000",
    action: str = "push",
    media_type: str = MT_MANIFEST,
) -> dict[str, Any]:
    target: dict[str, Any] = {
        "mediaType": media_type,
        "size": 524,
        "length": 524,
        "digest": "sha256:" + "ab" * 32,
        "repository": repository,
        "url": f"http://{host}/v2/{repository}/manifests/sha256:{'ab' * 32}",
    }
    if tag is not None:
        target["tag"] = tag
    return {
        "id": "7d3c9b1e-5d1a-4d0b-9e0f-1c2d3e4f5a6b",
        "timestamp": "2024-05-01T10:00:00.123Z",
        "action": action,
        "target": target,
        "request": {
            "id": "b1c2",
            "addr": "127.0.0.1:41234",
            "host": host,
            "method": "PUT",
            "useragent": "docker/24.0.7",
        },
        "actor": {},
        "source": {"addr": "registry:5000", "instanceID": "a1b2c3"},
    }


SAMPLES: dict[str, Sample] = {
    "distribution": Sample(
        "distribution", {"events": [distribution_event("team/web", "1.4.0")]}, "team/web", "127.0.0.1:5000", "1.4.0"
    ),
    "dockerhub": Sample(
        "dockerhub",
        {
            "callback_url": "https://registry.hub.docker.com/u/acme/web/hook/2141b5bi5i5b02bec211i4eeih0242eg1/",
            "push_data": {"pushed_at": 1417566161, "pusher": "trustedbuilder", "tag": "2.0.1"},
            "repository": {
                "comment_count": 0,
                "date_created": 1417494799,
                "description": "",
                "is_official": False,
                "is_private": True,
                "is_trusted": True,
                "name": "web",
                "namespace": "acme",
                "owner": "acme",
                "repo_name": "acme/web",
                "repo_url": "https://registry.hub.docker.com/u/acme/web/",
                "star_count": 0,
                "status": "Active",
            },
        },
        "acme/web",
        "docker.io",
        "2.0.1",
    ),
    "harbor": Sample(
        "harbor",
        {
            "type": "PUSH_ARTIFACT",
            "occur_at": 1680501893,
            "operator": "admin",
            "event_data": {
                "resources": [
                    {
                        "digest": "sha256:" + "cd" * 32,
                        "tag": "v3.1.0",
                        "resource_url": "harbor.example.com/library/api:v3.1.0",
                    }
                ],
                "repository": {
                    "date_created": 1680501893,
                    "name": "api",
                    "namespace": "library",
                    "repo_full_name": "library/api",
                    "repo_type": "private",
                },
            },
        },
        "library/api",
        "harbor.example.com",
        "v3.1.0",
    ),
    "quay": Sample(
        "quay",
        {
            "name": "worker",
            "repository": "acme/worker",
            "namespace": "acme",
            "docker_url": "quay.io/acme/worker",
            "homepage": "https://quay.io/repository/acme/worker",
            "updated_tags": ["0.9.2"],
        },
        "acme/worker",
        "quay.io",
        "0.9.2",
    ),
    "ghcr": Sample(
        "ghcr",
        {
            "action": "published",
            "package": {
                "id": 1234567,
                "name": "Operator",
                "namespace": "Acme-Org",
                "ecosystem": "CONTAINER",
                "package_type": "CONTAINER",
                "html_url": "https://github.com/orgs/Acme-Org/packages/container/package/operator",
                "owner": {"login": "Acme-Org", "type": "Organization"},
                "package_version": {
                    "id": 987654,
                    "version": DIGEST_EF,
                    "name": DIGEST_EF,
                    "container_metadata": {
                        "tag": {"name": "v1.2.3", "digest": DIGEST_EF},
                        "labels": {},
                        "manifest": {},
                    },
                    "package_url": "ghcr.io/acme-org/operator:v1.2.3",
                },
                "registry": {
                    "about_url": "https://docs.github.com/packages",
                    "name": "GitHub CONTAINER registry",
                    "type": "CONTAINER",
                    "url": "https://ghcr.io/acme-org",
                    "vendor": "GitHub Inc",
                },
            },
            "repository": {"full_name": "Acme-Org/operator"},
            "sender": {"login": "octocat"},
        },
        "acme-org/operator",
        "ghcr.io",
        "v1.2.3",
        headers={"X-GitHub-Event": "package"},
    ),
    "gitlab": Sample(
        "gitlab",
        {"events": [distribution_event("group/project/app", "main-5f3c2a1", host="registry.gitlab.example.com")]},
        "group/project/app",
        "registry.gitlab.example.com",
        "main-5f3c2a1",
    ),
    "acr": Sample(
        "acr",
        {
            "id": "cb8c3971-9adc-488b-bdd8-43cbb4974ff5",
            "timestamp": "2017-11-17T16:52:01.343145347Z",
            "action": "push",
            "target": {
                "mediaType": MT_MANIFEST,
                "size": 524,
                "digest": "sha256:" + "12" * 32,
                "length": 524,
                "repository": "hello-world",
                "tag": "v1",
            },
            "request": {
                "id": "3cbb6949-7549-4fa1-86cd-a6d5451dffc7",
                "host": "myregistry.azurecr.io",
                "method": "PUT",
                "useragent": "docker/17.09.0-ce go/go1.8.3 git-commit/afdb6d4",
            },
        },
        "hello-world",
        "myregistry.azurecr.io",
        "v1",
    ),
    "generic": Sample(
        "generic",
        {"image": "registry.example.com/team/batch:2024.05.01"},
        "team/batch",
        "registry.example.com",
        "2024.05.01",
    ),
}
