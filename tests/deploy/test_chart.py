"""The Helm chart, rendered and linted by Helm's own engine, checked against the Kubernetes schemas."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.chart import (
    CHART_DIR,
    NAMESPACE,
    by_kind,
    full_values,
    helm,
    main_container,
    render,
    render_raw,
)

kubernetes_validate = pytest.importorskip(
    "kubernetes_validate", reason="kubernetes-validate is not installed (pip install kubernetes-validate)"
)

# The oldest Kubernetes the chart claims (Chart.yaml kubeVersion) and the newest the validator knows.
KUBE_VERSIONS = ["1.25.0", kubernetes_validate.utils.latest_version()]
# CRDs have no schema in the Kubernetes OpenAPI documents the validator ships.
CRD_KINDS = {"ServiceMonitor"}
VALUE_SETS = {"default": None, "full": full_values()}


@pytest.mark.parametrize("values_name", VALUE_SETS)
def test_lint_passes_in_strict_mode(values_name: str) -> None:
    report = helm.lint(CHART_DIR, VALUE_SETS[values_name], strict=True, namespace=NAMESPACE)
    assert report["total_charts_linted"] == 1
    assert report["errors"] == []
    # Severity 2 is a warning, 3 an error; informational notes (such as "icon is recommended") may remain.
    assert [m for m in report["messages"] if m["severity"] >= 2] == []


@pytest.mark.parametrize("kube_version", KUBE_VERSIONS)
@pytest.mark.parametrize("values_name", VALUE_SETS)
def test_rendered_objects_validate_against_kubernetes_schemas(values_name: str, kube_version: str) -> None:
    objects = render(VALUE_SETS[values_name])
    validated = []
    for obj in objects:
        if obj["kind"] in CRD_KINDS:
            continue  # schema validation skipped: a CRD, unknown to the built-in schemas
        kubernetes_validate.validate(obj, kube_version, strict=True)
        validated.append(obj["kind"])
    expected = {"ConfigMap", "Deployment", "Service", "ServiceAccount"}
    if values_name == "full":
        expected |= {"Ingress", "NetworkPolicy"}
        assert {o["kind"] for o in objects} - set(validated) == {"ServiceMonitor"}
    assert sorted(validated) == sorted(expected)


def test_the_validator_rejects_what_kubernetes_would() -> None:
    """Guards the test above: a misspelt field must fail strict validation, not pass unseen."""
    deployment = by_kind(render(), "Deployment")
    deployment["spec"]["template"]["spec"]["containers"][0]["readinessProbes"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBE_VERSIONS[-1], strict=True)


def test_single_instance_with_recreate_strategy() -> None:
    spec = by_kind(render(full_values()), "Deployment")["spec"]
    assert spec["replicas"] == 1
    assert spec["strategy"] == {"type": "Recreate"}


def test_config_map_holds_values_config_verbatim() -> None:
    values = full_values()
    config_map = by_kind(render(values), "ConfigMap")
    assert list(config_map["data"]) == ["config.yaml"]
    assert yaml.safe_load(config_map["data"]["config.yaml"]) == values["config"]


def test_container_runs_the_service_with_the_mounted_config() -> None:
    values = full_values()
    objects = render(values)
    pod = by_kind(objects, "Deployment")["spec"]["template"]["spec"]
    container = main_container(objects)

    assert container["image"] == f"{values['image']['repository']}@{values['image']['digest']}"
    assert container["args"] == ["run", "--config", "/etc/image-updater/config.yaml"]
    mounts = {m["name"]: m for m in container["volumeMounts"]}
    assert mounts["config"] == {"name": "config", "mountPath": "/etc/image-updater", "readOnly": True}
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert volumes["config"]["configMap"]["name"] == by_kind(objects, "ConfigMap")["metadata"]["name"]

    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["IMAGE_UPDATER_SERVICE__PORT"] == str(values["containerPort"])
    assert env["IMAGE_UPDATER_SERVICE__LOG_LEVEL"] == "debug"
    assert container["resources"] == values["resources"]


def test_ports_and_probes_are_what_the_values_say() -> None:
    values = full_values()
    objects = render(values)
    container = main_container(objects)
    assert container["ports"] == [{"name": "http", "containerPort": values["containerPort"], "protocol": "TCP"}]
    # Helm merges user values over the defaults, so the expectation is the merged values.
    merged = helm.Chart.load(CHART_DIR).merge_values(values)
    assert container["livenessProbe"] == merged["livenessProbe"] == values["livenessProbe"]
    assert container["readinessProbe"] == merged["readinessProbe"]
    assert container["readinessProbe"]["periodSeconds"] == 5
    assert container["readinessProbe"]["failureThreshold"] == 2

    service = by_kind(objects, "Service")
    assert service["spec"]["ports"] == [
        {"name": "http", "port": values["service"]["port"], "targetPort": "http", "protocol": "TCP"}
    ]
    assert service["spec"]["selector"] == by_kind(objects, "Deployment")["spec"]["selector"]["matchLabels"]


def test_default_probes_hit_the_health_endpoints() -> None:
    container = main_container(render())
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}


@pytest.mark.parametrize("values_name", VALUE_SETS)
def test_security_context_is_restrictive_and_from_values(values_name: str) -> None:
    values = VALUE_SETS[values_name]
    objects = render(values)
    pod = by_kind(objects, "Deployment")["spec"]["template"]["spec"]
    container = main_container(objects)
    defaults = helm.Chart.load(CHART_DIR).merge_values(values)

    assert pod["securityContext"] == defaults["podSecurityContext"]
    assert container["securityContext"] == defaults["securityContext"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == 65532
    assert pod["securityContext"]["fsGroup"] == 65532
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert container["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert pod["automountServiceAccountToken"] is False

    # With a read-only root, the work dir and /tmp (HOME) must be writable emptyDirs.
    volumes = {v["name"]: v for v in pod["volumes"]}
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    for path in ("/var/lib/image-updater", "/tmp"):
        assert "emptyDir" in volumes[mounts[path]], path


def test_credentials_are_references_to_existing_secrets() -> None:
    values = full_values()
    objects = render(values)
    assert [o for o in objects if o["kind"] == "Secret"] == [], "the chart must never create a Secret"
    pod = by_kind(objects, "Deployment")["spec"]["template"]["spec"]
    volumes = {v["name"]: v.get("secret") for v in pod["volumes"]}
    mounts = {m["name"]: m for m in main_container(objects)["volumeMounts"]}

    assert volumes["git-ssh"] == {
        "secretName": "git-deploy-key",
        "defaultMode": 0o440,
        "items": [{"key": "identity", "path": "identity"}, {"key": "known_hosts", "path": "known_hosts"}],
    }
    assert volumes["dockerconfig"]["secretName"] == "regcred"
    assert volumes["webhooks"]["secretName"] == "webhook-secrets"
    assert volumes["secret-internal"]["secretName"] == "internal-registry"
    assert "git-token" not in volumes

    # The file paths the config names are exactly where the secrets are mounted.
    config = values["config"]
    assert config["git"]["ssh_key_file"] == mounts["git-ssh"]["mountPath"] + "/identity"
    assert config["git"]["known_hosts_file"] == mounts["git-ssh"]["mountPath"] + "/known_hosts"
    assert config["docker_config"] == mounts["dockerconfig"]["mountPath"] + "/.dockerconfigjson"
    assert config["service"]["webhooks"][0]["secret_file"].startswith(mounts["webhooks"]["mountPath"] + "/")
    assert config["registries"][1]["password_file"].startswith(mounts["secret-internal"]["mountPath"] + "/")
    assert all(m["readOnly"] for name, m in mounts.items() if volumes.get(name))


def test_token_credentials_mount_the_token_file() -> None:
    values = {"credentials": {"git": {"token": {"existingSecret": "git-token", "key": "password"}}}}
    objects = render(values)
    pod = by_kind(objects, "Deployment")["spec"]["template"]["spec"]
    volumes = {v["name"]: v.get("secret") for v in pod["volumes"]}
    assert volumes["git-token"]["items"] == [{"key": "password", "path": "token"}]
    mounts = {m["name"]: m["mountPath"] for m in main_container(objects)["volumeMounts"]}
    assert mounts["git-token"] == "/var/run/secrets/git"
    assert "git-ssh" not in volumes


@pytest.mark.parametrize(
    ("key_path", "key"),
    [(("git",), "token"), (("registries",), "password"), (("service", "webhooks"), "secret")],
)
def test_secret_values_in_config_are_refused(key_path: tuple[str, ...], key: str) -> None:
    values = full_values()
    leaked = "hunter2-do-not-print"
    target: Any = values["config"]
    for part in key_path:
        target = target[part]
    (target[0] if isinstance(target, list) else target)[key] = leaked
    with pytest.raises(helm.HelmRenderError) as caught:
        render(values)
    assert f'under key "{key}"' in str(caught.value)
    assert leaked not in str(caught.value)


def test_config_port_different_from_container_port_is_refused() -> None:
    values = full_values()
    values["config"]["service"]["port"] = 8081
    with pytest.raises(helm.HelmRenderError, match=r"config\.service\.port \(8081\) differs from containerPort"):
        render(values)


def test_ingress_publishes_only_webhook_paths() -> None:
    values = full_values()
    objects = render(values)
    ingress = by_kind(objects, "Ingress")
    service = by_kind(objects, "Service")
    assert ingress["spec"]["ingressClassName"] == "nginx"
    assert [r["host"] for r in ingress["spec"]["rules"]] == values["ingress"]["hosts"]
    for rule in ingress["spec"]["rules"]:
        assert rule["http"]["paths"] == [
            {
                "path": "/webhook",
                "pathType": "Prefix",
                "backend": {"service": {"name": service["metadata"]["name"], "port": {"number": 80}}},
            }
        ]
    assert ingress["spec"]["tls"] == values["ingress"]["tls"]


def test_optional_objects_are_off_by_default() -> None:
    kinds = {o["kind"] for o in render()}
    assert kinds == {"ConfigMap", "Deployment", "Service", "ServiceAccount"}


def test_service_monitor_scrapes_metrics_on_the_service_port() -> None:
    objects = render(full_values())
    monitor = by_kind(objects, "ServiceMonitor")
    assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
    assert monitor["metadata"]["labels"]["release"] == "prometheus"
    assert monitor["spec"]["endpoints"] == [
        {"port": "http", "path": "/metrics", "interval": "1m", "scrapeTimeout": "10s"}
    ]
    assert monitor["spec"]["selector"]["matchLabels"] == by_kind(objects, "Service")["spec"]["selector"]
    assert monitor["spec"]["namespaceSelector"] == {"matchNames": [NAMESPACE]}


def test_network_policy_allows_dns_and_the_configured_egress() -> None:
    values = full_values()
    policy = by_kind(render(values), "NetworkPolicy")["spec"]
    assert policy["policyTypes"] == ["Ingress", "Egress"]
    assert policy["ingress"] == [
        {"ports": [{"port": "http", "protocol": "TCP"}], "from": values["networkPolicy"]["ingressFrom"]}
    ]
    dns, git_and_https = policy["egress"]
    assert {(p["port"], p["protocol"]) for p in dns["ports"]} == {(53, "UDP"), (53, "TCP")}
    assert git_and_https == {"ports": values["networkPolicy"]["egress"]["ports"]}


def test_network_policy_can_leave_egress_open() -> None:
    values = full_values()
    values["networkPolicy"]["egress"]["restrict"] = False
    policy = by_kind(render(values), "NetworkPolicy")["spec"]
    assert policy["policyTypes"] == ["Ingress"]
    assert "egress" not in policy


def test_config_checksum_annotation_follows_the_config_map() -> None:
    def checksum_and_config_map(values: dict[str, Any]) -> tuple[str, str]:
        raw = render_raw(values)
        deployment = yaml.safe_load(raw["image-updater/templates/deployment.yaml"])
        annotation = deployment["spec"]["template"]["metadata"]["annotations"]["checksum/config"]
        return annotation, raw["image-updater/templates/configmap.yaml"]

    values = full_values()
    first, config_map_text = checksum_and_config_map(values)
    assert first == hashlib.sha256(config_map_text.encode()).hexdigest()
    assert checksum_and_config_map(full_values())[0] == first
    values["config"]["images"][0]["policy"] = {"semver": "^2"}
    assert checksum_and_config_map(values)[0] != first


@pytest.mark.parametrize(
    ("bad_values", "where"),
    [
        ({"containerPort": "http"}, "/containerPort"),
        ({"service": {"port": "eighty"}}, "/service/port"),
        ({"ingress": {"enabled": "yes"}}, "/ingress/enabled"),
        ({"credentials": {"git": {"ssh": {"existingSecret": 42}}}}, "/credentials/git/ssh/existingSecret"),
        ({"replicaCount": 2}, "replicaCount"),
    ],
)
def test_values_schema_rejects_wrong_values(bad_values: dict[str, Any], where: str) -> None:
    with helm.Chart.load(CHART_DIR) as chart:
        with pytest.raises(helm.HelmValuesError) as caught:
            chart.validate_schema(bad_values)
        assert where in str(caught.value)
        with pytest.raises(helm.HelmValuesError):
            chart.render(values=bad_values, name="iu", namespace=NAMESPACE)
    report = helm.lint(CHART_DIR, bad_values, strict=True)
    assert any(where in error for error in report["errors"])


def test_notes_tell_how_to_verify_with_plan() -> None:
    notes = render_raw(full_values())["image-updater/templates/NOTES.txt"]
    assert "image-updater plan --config /etc/image-updater/config.yaml" in notes
    assert "https://hooks.example.com/webhook/<receiver>" in notes
    assert "WARNING" not in notes
    assert "config.git.url is empty" in render_raw()["image-updater/templates/NOTES.txt"]


def _value_paths(node: Any, prefix: str = "") -> list[str]:
    """Dotted paths of the documented values: leaves, empty maps and lists; config is free-form."""
    if not isinstance(node, dict) or not node or prefix == "config":
        return [prefix]
    return [p for key, child in node.items() for p in _value_paths(child, f"{prefix}.{key}" if prefix else key)]


def test_readme_documents_every_value() -> None:
    readme = (CHART_DIR / "README.md").read_text().split("\n## Values\n", 1)[1]
    defaults = yaml.safe_load((CHART_DIR / "values.yaml").read_text())
    documented = set(re.findall(r"^\| `([^`]+)` \|", readme, flags=re.MULTILINE))
    missing = [path for path in _value_paths(defaults) if path not in documented]
    assert missing == [], f"values without a row in charts/image-updater/README.md: {missing}"
    unknown = sorted(documented - set(_value_paths(defaults)))
    assert unknown == [], f"README rows for values that do not exist: {unknown}"


def test_getting_started_values_render_and_validate() -> None:
    """The values file the getting-started guide tells people to write must install as shown."""
    guide = (CHART_DIR.parents[1] / "docs" / "getting-started.md").read_text()
    blocks = [doc for b in re.findall(r"```yaml\n(.*?)```", guide, flags=re.DOTALL) for doc in yaml.safe_load_all(b)]
    (values,) = [b for b in blocks if isinstance(b, dict) and {"image", "config", "credentials"} <= set(b)]
    report = helm.lint(CHART_DIR, values, strict=True)
    assert report["errors"] == []
    objects = render(values)
    for obj in objects:
        kubernetes_validate.validate(obj, KUBE_VERSIONS[-1], strict=True)
    assert yaml.safe_load(by_kind(objects, "ConfigMap")["data"]["config.yaml"]) == values["config"]
    mounts = {m["mountPath"] for m in main_container(objects)["volumeMounts"]}
    assert {"/var/run/secrets/git-ssh", "/var/run/secrets/webhooks"} <= mounts


def test_several_targets_each_with_its_own_secret_load_as_the_service_would_read_them(tmp_path: Path) -> None:
    """The staging-push / production-PR setup: two targets, one Secret each, and the rendered config.yaml
    loads with the environment the chart gives the container."""
    from image_updater.config import load_settings

    targets = [
        {
            "name": "staging",
            "git": {
                "url": "https://github.com/acme/config.git",
                "paths": ["envs/staging"],
                "token_file": "/var/run/secrets/targets/staging/token",
            },
        },
        {
            "name": "prod",
            "git": {
                "url": "https://github.com/acme/config.git",
                "paths": ["envs/prod"],
                "token_file": "/var/run/secrets/targets/prod/token",
                "write": {"mode": "pull_request"},
                "forge": {"token_file": "/var/run/secrets/targets/prod/token"},
            },
            "images": [{"name": "web", "follow": {"target": "staging", "soak": "24h"}}],
        },
    ]
    values = {
        "config": {"targets": targets, "images": [{"name": "web", "image": "ghcr.io/acme/web"}]},
        "credentials": {
            "targets": [
                {"name": "staging", "existingSecret": "staging-git"},
                {"name": "prod", "existingSecret": "prod-git"},
            ]
        },
    }
    objects = render(values)
    for obj in objects:
        kubernetes_validate.validate(obj, KUBE_VERSIONS[-1], strict=True)
    pod = by_kind(objects, "Deployment")["spec"]["template"]["spec"]
    volumes = {v["name"]: v.get("secret") for v in pod["volumes"]}
    mounts = {m["name"]: m for m in main_container(objects)["volumeMounts"]}
    for target in targets:
        name = str(target["name"])
        assert volumes[f"target-{name}"]["secretName"] == f"{name}-git"
        assert mounts[f"target-{name}"]["readOnly"] is True
        assert target["git"]["token_file"].startswith(mounts[f"target-{name}"]["mountPath"] + "/")  # type: ignore[index]
    config = tmp_path / "config.yaml"
    config.write_text(by_kind(objects, "ConfigMap")["data"]["config.yaml"])
    env = {e["name"]: e["value"] for e in main_container(objects)["env"]}
    settings = load_settings(config, environ=env)
    assert [(t.name, t.workdir) for t in settings.cycle_targets] == [
        ("staging", "/var/lib/image-updater/targets/staging"),
        ("prod", "/var/lib/image-updater/targets/prod"),
    ]
