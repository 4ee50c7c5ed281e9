"""The pure parts: settings validation, name resolution, challenge and Link parsing, manifest reading."""

from __future__ import annotations

import asyncio
import base64
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from image_updater.registry import RegistriesSettings, RegistryClient, RegistrySettings
from image_updater.registry.auth import Challenge, parse_challenges
from image_updater.registry.client import next_link, origin
from image_updater.registry.credentials import docker_config_credentials
from image_updater.registry.oci import choose_child, index_children, parse_created, platform_name
from image_updater.registry.settings import normalise_prefix
from image_updater.registry.transport import retry_after_seconds


def reg(name: str, prefix: str, url: str = "https://example.test", **extra: object) -> RegistrySettings:
    return RegistrySettings.model_validate({"name": name, "url": url, "prefix": prefix, **extra})


@pytest.mark.parametrize(
    ("prefix", "canonical"),
    [
        ("docker.io", "docker.io"),
        ("index.docker.io/myorg", "docker.io/myorg"),
        ("myorg", "docker.io/myorg"),
        ("127.0.0.1:5000", "127.0.0.1:5000"),
        ("ghcr.io/org/", "ghcr.io/org"),
        ("localhost/team", "localhost/team"),
    ],
)
def test_prefixes_are_normalised_like_image_names(prefix: str, canonical: str) -> None:
    assert normalise_prefix(prefix) == canonical


@pytest.mark.parametrize(
    ("image", "registry", "path", "url"),
    [
        ("ghcr.io/team/app", "team", "team/app", "https://team.example"),
        ("ghcr.io/teams/app", "ghcr", "teams/app", "https://ghcr.example"),  # a prefix matches whole components
        ("ghcr.io/other/app", "ghcr", "other/app", "https://ghcr.example"),
        ("nginx", "docker.io", "library/nginx", "https://registry-1.docker.io"),
        ("docker.io/library/nginx", "docker.io", "library/nginx", "https://registry-1.docker.io"),
        ("index.docker.io/nginx:1.25", "docker.io", "library/nginx", "https://registry-1.docker.io"),
        ("myorg/tool", "hub-org", "myorg/tool", "https://hub-mirror.example"),
        ("localhost:5000/a/b/c", "localhost:5000", "a/b/c", "https://localhost:5000"),
    ],
)
def test_longest_prefix_wins_and_unknown_domains_are_implicit_https(
    image: str, registry: str, path: str, url: str
) -> None:
    client = RegistryClient(
        [
            reg("ghcr", "ghcr.io", "https://ghcr.example"),
            reg("team", "ghcr.io/team", "https://team.example"),
            reg("hub-org", "docker.io/myorg", "https://hub-mirror.example"),
        ]
    )
    repo = client.repository(image)
    assert (repo.registry.name, repo.path, repo.registry.url) == (registry, path, url)
    assert repo.image == image


def test_derived_entries_apply_by_longest_prefix_and_a_configured_prefix_wins() -> None:
    """Entries a source implies (a Flux secretRef for one image) join the configured ones, per owner."""
    client = RegistryClient(
        [reg("ghcr", "ghcr.io", "https://ghcr.example"), reg("team", "ghcr.io/team", "https://team")]
    )
    assert client.repository("ghcr.io/acme/api").registry.name == "ghcr"
    client.use_derived(
        "default",
        [reg("flux:a/api", "ghcr.io/acme/api", "https://ghcr.example"), reg("x", "ghcr.io/team", "https://x")],
    )
    assert client.repository("ghcr.io/acme/api").registry.name == "flux:a/api"  # longer prefix: this image only
    assert client.repository("ghcr.io/acme/web").registry.name == "ghcr"
    assert client.repository("ghcr.io/team/app").registry.name == "team"  # same prefix as configured: config wins
    client.use_derived("default", [])
    assert client.repository("ghcr.io/acme/api").registry.name == "ghcr"  # gone with the next read


def test_the_pool_of_a_replaced_derived_entry_is_closed_by_the_next_cycle_not_kept_open() -> None:
    async def run() -> tuple[bool, bool, bool]:
        client = RegistryClient([reg("ghcr", "ghcr.io", "https://ghcr.example")])
        client.use_derived("default", [reg("flux:a/api", "ghcr.io/acme/api", "https://ghcr.example")])
        connection = client._connection(client.repository("ghcr.io/acme/api").registry)
        session = connection._client()  # the pool a request of this cycle opened
        client.use_derived("default", [reg("flux:a/api", "ghcr.io/acme/api", "https://other.example")])
        open_during_the_cycle = not session.closed
        await client.close_stale()  # what the next cycle does first
        closed_then = session.closed
        await client.aclose()
        return (
            open_during_the_cycle,
            closed_then,
            client.repository("ghcr.io/acme/api").registry.url == "https://other.example",
        )

    assert asyncio.run(run()) == (True, True, True)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"url": "http://r.test"}, "plain http; set insecure: true"),
        ({"url": "ftp://r.test"}, "must be an http:// or https:// URL"),
        ({"username": "u"}, "username needs password_file or password_env"),
        ({"password_env": "X"}, "username needs password_file or password_env"),
        ({"username": "u", "password_env": "X", "password_file": "/f"}, "not both"),
        ({"username": "u", "password_env": "X", "credentials": "env:Y"}, "username/password or credentials"),
        ({"credentials": "vault:/x"}, "credentials must be one of"),
        ({"password": "inline"}, "Extra inputs are not permitted"),
    ],
)
def test_settings_refuse_unsafe_or_inconsistent_registries(fields: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        RegistrySettings.model_validate({"name": "r", "url": "https://r.test", "prefix": "r.test", **fields})


def test_settings_accept_the_issue_example_and_durations_with_units() -> None:
    local = RegistrySettings.model_validate(
        {
            "name": "local",
            "url": "http://127.0.0.1:5000/",
            "prefix": "127.0.0.1:5000",
            "insecure": True,
            "username": "ci",
            "password_file": "/run/secrets/reg",
            "credentials_ttl": "5m",
            "rate_limit": 20,
            "max_concurrency": 8,
            "timeout": 10,
        }
    )
    assert local.url == "http://127.0.0.1:5000" and local.credentials_ttl == timedelta(minutes=5)
    assert local.host == "127.0.0.1:5000"
    assert reg("x", "x.test", credentials_ttl=90).credentials_ttl == timedelta(seconds=90)
    with pytest.raises(ValidationError, match="share the prefix"):
        RegistriesSettings(registries=[reg("a", "docker.io"), reg("b", "index.docker.io")])


def test_challenges_with_quotes_commas_and_several_schemes() -> None:
    header = 'Bearer realm="https://auth.test/token",service="reg, main",scope="repository:a/b:pull", Basic realm=x'
    assert parse_challenges(header) == [
        Challenge(
            "bearer", {"realm": "https://auth.test/token", "service": "reg, main", "scope": "repository:a/b:pull"}
        ),
        Challenge("basic", {"realm": "x"}),
    ]
    escaped = parse_challenges('Basic realm="with \\"quote\\""')
    assert escaped == [Challenge("basic", {"realm": 'with "quote"'})]
    assert parse_challenges("") == []


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ('</v2/a/tags/list?n=2&last=b>; rel="next"', "https://r.test/v2/a/tags/list?n=2&last=b"),
        ("<https://cdn.test/v2/a/tags/list?last=b>; rel=next", "https://cdn.test/v2/a/tags/list?last=b"),
        ('<?last=b&n=2>; rel="next"', "https://r.test/v2/a/tags/list?last=b&n=2"),
        (
            '</v2/a/tags/list?last=a>; rel="prev", </v2/a/tags/list?last=c>; rel="next"',
            "https://r.test/v2/a/tags/list?last=c",
        ),
        ('</v2/a/tags/list?last=a>; rel="prev"', None),
        (None, None),
    ],
)
def test_next_links_resolve_against_the_current_page(header: str | None, expected: str | None) -> None:
    assert next_link(header, "https://r.test/v2/a/tags/list?n=1000") == expected


@pytest.mark.parametrize(
    ("url", "same"),
    [
        ("https://R.test:443/v2/a/tags/list?last=b", True),
        ("https://user:pw@r.test/v2/a", True),
        ("https://cdn.test/v2/a/tags/list", False),
        ("http://r.test/v2/a/tags/list", False),
        ("https://r.test:8443/v2/a/tags/list", False),
        ("https://r.test.evil/v2/a", False),
        ("https://r.test:notaport/v2/a", False),
    ],
)
def test_origins_compare_scheme_host_and_effective_port(url: str, same: bool) -> None:
    assert (origin(url) == origin("https://r.test")) is same


def test_retry_after_in_seconds_or_as_a_date() -> None:
    assert retry_after_seconds("7") == 7.0
    soon = retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT")
    assert soon == 0.0  # a date in the past: retry now
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None


def test_index_platforms_skip_attestations_and_match_variants() -> None:
    index = {
        "manifests": [
            {"digest": "sha256:a", "platform": {"os": "linux", "architecture": "amd64"}},
            {"digest": "sha256:b", "platform": {"os": "linux", "architecture": "arm", "variant": "v7"}},
            {"digest": "sha256:c", "platform": {"os": "unknown", "architecture": "unknown"}},
        ]
    }
    children = index_children(index)
    assert children == [("linux/amd64", "sha256:a"), ("linux/arm/v7", "sha256:b")]
    assert choose_child(children, ("linux/arm",)) == "sha256:b"
    assert choose_child(children, ("linux/arm/v6",)) is None
    assert choose_child(children, ()) == "sha256:a"
    assert platform_name({"os": "windows", "architecture": "amd64"}) == "windows/amd64"


def test_created_times_with_nanoseconds_and_without_zone() -> None:
    expected = datetime(2024, 2, 3, 4, 5, 6, 123456, tzinfo=UTC)
    assert parse_created("2024-02-03T04:05:06.123456789Z") == expected
    assert parse_created("2024-02-03T04:05:06") == datetime(2024, 2, 3, 4, 5, 6, tzinfo=UTC)
    assert parse_created("yesterday") is None and parse_created(None) is None


async def test_docker_hub_entries_match_every_hub_alias(tmp_path: Path) -> None:
    hub = base64.b64encode(b"hubuser:hubpass").decode()
    other = base64.b64encode(b"ghuser:ghpass").decode()
    config = tmp_path / "config.json"
    config.write_text(
        json.dumps(
            {
                "auths": {
                    "https://index.docker.io/v1/": {"auth": hub},
                    "ghcr.io": {"username": "ghuser", "password": "ghpass"},
                    "broken.test": {"auth": "not base64!"},
                },
                "unused": other,
            }
        )
    )
    for host in ("registry-1.docker.io", "index.docker.io", "docker.io"):
        found = await docker_config_credentials(config, host, 1.0, "hub")
        assert found is not None and found.username == "hubuser"
        assert found.password.get_secret_value() == "hubpass"
    ghcr = await docker_config_credentials(config, "ghcr.io", 1.0, "ghcr")
    assert ghcr is not None and ghcr.username == "ghuser"
    assert await docker_config_credentials(config, "broken.test", 1.0, "b") is None
    assert await docker_config_credentials(config, "quay.io", 1.0, "q") is None
