import httpx

from tests.support.registry import MT_DOCKER_LIST, MT_OCI_INDEX, RegistryServer


def test_pushed_tags_are_listed_and_multiarch_indexes_resolve(registry: RegistryServer) -> None:
    with registry.pusher() as pusher:
        pusher.push_tags("team/web", ["1.0.0", "1.1.0"])
        oci = pusher.push_index("team/web", "2.0.0", ["linux/amd64", "linux/arm64"])
        docker = pusher.push_index("team/web", "2.1.0", ["linux/amd64"], oci=False)
    tags = httpx.get(f"{registry.url}/v2/team/web/tags/list").json()["tags"]
    assert sorted(tags) == ["1.0.0", "1.1.0", "2.0.0", "2.1.0"]
    accept = f"{MT_OCI_INDEX}, {MT_DOCKER_LIST}"
    head = httpx.head(f"{registry.url}/v2/team/web/manifests/2.0.0", headers={"Accept": accept})
    assert head.headers["Docker-Content-Digest"] == oci.digest
    head = httpx.head(f"{registry.url}/v2/team/web/manifests/2.1.0", headers={"Accept": accept})
    assert head.headers["Docker-Content-Digest"] == docker.digest


def test_basic_auth_registry_refuses_anonymous(basic_auth_registry: RegistryServer) -> None:
    assert httpx.get(f"{basic_auth_registry.url}/v2/").status_code == 401
    assert httpx.get(f"{basic_auth_registry.url}/v2/", auth=("ci", "s3cret-pass")).status_code == 200
