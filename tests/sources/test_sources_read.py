"""Reading sources beyond the golden folders: what is reported, bound and refused, on small work trees
(no registry, no git), plus a branch named after the changes and the settings that turn sources on."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from image_updater.cli import main
from image_updater.config import load_settings
from image_updater.errors import ConfigError
from image_updater.gitops import GitSettings
from image_updater.registry import RegistrySettings
from image_updater.sources import Context, SourceSet, SourceSettings, read_sources
from tests.manifests.test_yaml_bombs import merge_bomb
from tests.support.gitrepo import git, make_remote
from tests.support.registry import RegistryServer

URL = "https://github.com/acme/fleet"
GITREPO = f"""\
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {{name: flux-system, namespace: flux-system}}
spec: {{url: {URL}, ref: {{branch: main}}}}
"""
REPOSITORY = """\
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata: {name: web, namespace: flux-system}
spec: {image: ghcr.io/acme/web, interval: 5m}
"""


def automation(template: str | None = None, path: str = "./apps") -> str:
    commit = (
        "{author: {email: bot@example.com}}"
        if template is None
        else ("\n      author: {email: bot@example.com}\n      messageTemplate: '" + template.replace("'", "''") + "'")
    )
    return f"""\
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageUpdateAutomation
metadata: {{name: apps, namespace: flux-system}}
spec:
  sourceRef: {{kind: GitRepository, name: flux-system}}
  git:
    commit: {commit}
  update: {{path: {path}}}
"""


def policy(spec: str = "policy: {semver: {range: ^1.0}}") -> str:
    return f"""\
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata: {{name: web, namespace: flux-system}}
spec:
  imageRepositoryRef: {{name: web}}
  {spec}
"""


def read(tmp_path: Path, files: dict[str, str], kinds: tuple[str, ...] = ("flux",), **settings: object) -> SourceSet:
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    context = Context(GitSettings(url="file:///srv/fleet.git", url_aliases=[URL]), settings=SourceSettings(**settings))
    return read_sources(tmp_path, kinds, context)  # type: ignore[arg-type]


def test_a_field_not_of_the_schema_is_a_warning_naming_its_line(tmp_path: Path) -> None:
    found = read(
        tmp_path,
        {
            "flux/sync.yaml": GITREPO,
            "flux/objects.yaml": REPOSITORY
            + "---\n"
            + policy("policy: {semver: {range: ^1.0}}\n  polcy: {}")
            + "---\n"
            + automation(),
        },
    )
    (warning,) = [f for f in found.findings if f.severity == "warning"]
    assert (warning.location.file, warning.location.line, warning.field) == ("flux/objects.yaml", 12, "spec.polcy")
    assert "not a field of ImagePolicy v1" in warning.message
    assert [i.status for i in found.images] == ["served"]


def test_templates_flux_would_render_differently_are_refused_when_read(tmp_path: Path) -> None:
    for template, says in [
        ("{{ range .Updated.Images }}{{ . }}{{ end }}", "removed '.Updated' field"),
        ("{{ .Changed.FileChanges }}", "printing a map is not supported"),
        ("{{ .Changed.Changes | toJson }}", 'function "toJson" is not supported'),
    ]:
        found = read(
            tmp_path,
            {"sync.yaml": GITREPO, "objects.yaml": REPOSITORY + "---\n" + policy() + "---\n" + automation(template)},
        )
        (error,) = found.errors
        assert error.field == "spec.git.commit.messageTemplate" and says in error.message, error
        assert not found.targets and found.images[0].status == "not served"


def test_every_marker_left_alone_says_why(tmp_path: Path) -> None:
    deployment = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n    spec:\n"
        "      containers:\n        - name: web\n"
        '          image: ghcr.io/acme/web:1.0.0 # {"$imagepolicy": "flux-system:web"}\n'
        '        - name: typo\n          image: ghcr.io/acme/web:1.0.0 # {"$imagepolicy": "flux-system:wbe"}\n'
    )
    found = read(
        tmp_path,
        {
            "sync.yaml": GITREPO,
            "objects.yaml": REPOSITORY + "---\n" + policy() + "---\n" + automation(path="./apps"),
            "apps/web.yaml": deployment,
            "elsewhere/web.yaml": deployment,
        },
    )
    notes = {(n.location.file, n.location.line): n.message for n in found.notes}
    assert "names no known policy" in notes[("apps/web.yaml", 11)]
    assert "no ImageUpdateAutomation of namespace flux-system covers this file" in notes[("elsewhere/web.yaml", 9)]
    assert ("apps/web.yaml", 9) not in notes  # served: updated, nothing to say


def test_an_image_repository_in_another_namespace_needs_its_access_from(tmp_path: Path) -> None:
    other = REPOSITORY.replace("namespace: flux-system", "namespace: apps")
    found = read(
        tmp_path,
        {
            "sync.yaml": GITREPO,
            "objects.yaml": other
            + "---\n"
            + policy().replace("{name: web}", "{name: web, namespace: apps}")
            + "---\n"
            + automation(),
        },
    )
    (error,) = found.errors
    assert "does not admit ImagePolicies of namespace flux-system" in error.message
    assert found.images[0].status == "error"

    # A selector Kubernetes would refuse admits nobody and says so, instead of failing the whole read.
    broken = other.replace(
        "interval: 5m}", "interval: 5m, accessFrom: {namespaceSelectors: [{matchExpressions: [{operator: Exists}]}]}}"
    )
    found = read(
        tmp_path,
        {"objects.yaml": broken + "---\n" + policy().replace("{name: web}", "{name: web, namespace: apps}")},
    )
    (error,) = found.errors
    assert "not read, being invalid: each matchExpressions entry needs a key" in error.message
    assert found.images[0].status == "error"


def test_a_secret_ref_needs_the_secrets_dir_and_its_file(tmp_path: Path) -> None:
    private = REPOSITORY.replace("interval: 5m}", "interval: 5m, secretRef: {name: regcred}}")
    files = {"sync.yaml": GITREPO, "objects.yaml": private + "---\n" + policy() + "---\n" + automation()}
    (error,) = read(tmp_path, files).errors
    assert "needs source_settings.secrets_dir" in error.message and "flux-system/regcred" in error.message
    (error,) = read(tmp_path, files, secrets_dir=tmp_path / "secrets").errors
    assert "secrets/flux-system/regcred/.dockerconfigjson does not exist" in error.message
    (tmp_path / "secrets/flux-system/regcred").mkdir(parents=True)
    (tmp_path / "secrets/flux-system/regcred/.dockerconfigjson").write_text('{"auths": {}}')
    found = read(tmp_path, files, secrets_dir=tmp_path / "secrets")
    assert not found.errors
    registry = found.images[0].registry
    assert registry is not None and registry.prefix == "ghcr.io/acme/web"
    assert registry.credentials == f"pullsecret:{tmp_path}/secrets/flux-system/regcred/.dockerconfigjson"


def test_argocd_pull_secret_fields_and_unknown_generators(tmp_path: Path) -> None:
    app = f"""\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: web
  namespace: argocd
  annotations:
    argocd-image-updater.argoproj.io/image-list: web=ghcr.io/acme/web:^1
    argocd-image-updater.argoproj.io/web.pull-secret: secret:argocd/creds#token
    argocd-image-updater.argoproj.io/write-back-method: git
spec:
  source: {{repoURL: {URL}.git, targetRevision: main, path: apps/web}}
"""
    appset = """\
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: fleet, namespace: argocd}
spec:
  generators: [{git: {repoURL: x, directories: [{path: apps/*}]}}]
  template:
    metadata:
      name: '{{path.basename}}'
      annotations: {argocd-image-updater.argoproj.io/image-list: 'ghcr.io/acme/x'}
    spec: {source: {repoURL: x, path: '{{path}}'}}
"""
    (tmp_path / "secrets/argocd/creds").mkdir(parents=True)
    (tmp_path / "secrets/argocd/creds/token").write_text("bot:s3cret\n")
    files = {
        "argocd/web.yaml": app,
        "argocd/fleet.yaml": appset,
        "apps/web/kustomization.yaml": "resources: [d.yaml]\n",
        "apps/web/d.yaml": "kind: Pod\nspec: {containers: [{name: w, image: 'ghcr.io/acme/web:1.0.0'}]}\n",
    }
    found = read(tmp_path, files, ("argocd",), secrets_dir=tmp_path / "secrets")
    (error,) = found.errors
    assert error.object == "ApplicationSet argocd/fleet" and "generator git is not expanded" in error.message
    (image,) = found.images
    assert image.registry is not None and image.registry.credentials == f"file:{tmp_path}/secrets/argocd/creds/token"
    assert image.current_from is not None and image.current_from.file == "apps/web/d.yaml"
    assert list(found.created) == ["apps/web/.argocd-source-web.yaml"]


def test_sources_settings_refuse_an_unknown_source_naming_the_line(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("git: {url: 'https://github.com/acme/x'}\nsources: [flux, argo]\n")
    with pytest.raises(ConfigError, match=r"line 2, sources\.1: .*'flux' or 'argocd'"):
        load_settings(config, environ={})
    config.write_text(
        "git: {url: 'https://github.com/acme/x'}\nsources: [flux]\n"
        "targets: [{name: other, git: {url: 'https://github.com/acme/y'}, sources: []}]\n"
    )
    settings = load_settings(config, environ={})
    assert [(t.name, t.sources) for t in settings.cycle_targets] == [("default", ("flux",)), ("other", ())]


POD = "kind: Pod\nspec: {{containers: [{{name: t, image: '{image}'}}]}}\n"
TOOL_APP = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: tool
  namespace: argocd
  annotations:
    argocd-image-updater.argoproj.io/image-list: tool=ghcr.io/acme/tool:~2.0
    argocd-image-updater.argoproj.io/write-back-method: git
    argocd-image-updater.argoproj.io/git-branch: 'main:image-updater/{{.AppName}}-{{.SHA256 | trunc 8}}'
spec:
  source: {repoURL: 'https://github.com/acme/fleet.git', targetRevision: main, path: apps/tool}
"""


def test_a_branch_named_after_the_changes_is_created_once_and_then_kept(
    registry: RegistryServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """argocd-image-updater's git-branch template with .SHA256 (TemplateBranchName): sha256 over
    "<image path>-<old>-<new>," per change; the branch is known once the cycle has decided."""
    with registry.pusher() as pusher:
        pusher.push_tags("acme/tool", ["2.0.0", "2.0.5", "2.1.0"])
    remote = make_remote(
        tmp_path,
        {
            "argocd/tool.yaml": TOOL_APP,
            "apps/tool/kustomization.yaml": "resources: [deployment.yaml]\n",
            "apps/tool/deployment.yaml": POD.format(image="ghcr.io/acme/tool:2.0.0"),
        },
    )
    (tmp_path / "config.yaml").write_text(
        f"sources: [argocd]\nregistries: [{{name: ghcr, url: '{registry.url}', prefix: ghcr.io, insecure: true}}]\n"
        f"git: {{url: '{remote.url}', url_aliases: ['{URL}'], workdir: '{tmp_path / 'checkout'}'}}\n"
    )
    monkeypatch.chdir(tmp_path)
    assert main(["run", "--once", "--config", "config.yaml"]) == 0
    branch = "image-updater/tool-" + hashlib.sha256(b"acme/tool-2.0.0-2.0.5,").hexdigest()[:8]
    assert sorted(remote.branches()) == sorted(["main", branch])
    assert (
        remote.read("apps/tool/.argocd-source-tool.yaml", branch)
        == b"kustomize:\n  images:\n  - ghcr.io/acme/tool:2.0.5\n"
    )
    tip = remote.rev(branch)
    assert main(["run", "--once", "--config", "config.yaml"]) == 0
    assert remote.rev(branch) == tip and len(remote.branches()) == 2
    assert git(remote.path, "log", "--format=%s", "main") == "initial config"


def test_targets_derived_by_a_named_target_carry_its_name(tmp_path: Path) -> None:
    """Two targets reading one repository derive each automation twice: their ids must differ."""
    files = {"sync.yaml": GITREPO, "objects.yaml": REPOSITORY + "---\n" + policy() + "---\n" + automation()}
    for rel, text in files.items():
        (tmp_path / rel).write_text(text)
    git_settings = GitSettings(url="file:///srv/fleet.git", url_aliases=[URL])
    for reader, expected in (("default", "flux:flux-system/apps"), ("staging", "staging/flux:flux-system/apps")):
        found = read_sources(tmp_path, ["flux"], Context(git_settings, config_target=reader, has_targets=True))
        assert [t.id for t in found.targets] == [expected]
        assert found.images[0].served_by == [expected]


def test_a_kustomization_write_back_target_in_a_dotted_folder_keeps_the_folders_name(tmp_path: Path) -> None:
    # The path was once cut with lstrip("./"), which drops characters: ".config/…" became "config/…".
    app = f"""\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: web
  namespace: argocd
  annotations:
    argocd-image-updater.argoproj.io/image-list: web=ghcr.io/acme/web:^1
    argocd-image-updater.argoproj.io/write-back-method: git
    argocd-image-updater.argoproj.io/write-back-target: kustomization:.
spec:
  source: {{repoURL: {URL}.git, targetRevision: main, path: .deploy/web}}
"""
    files = {
        "argocd/web.yaml": app,
        ".deploy/web/kustomization.yaml": "images:\n- name: ghcr.io/acme/web\n  newTag: 1.0.0\n",
    }
    (image,) = read(tmp_path, files, ("argocd",)).images
    assert image.scope == (".deploy/web/kustomization.yaml",)


def test_a_merge_key_bomb_among_the_flux_files_is_refused_naming_its_path_not_expanded(tmp_path: Path) -> None:
    bomb = merge_bomb().replace("apiVersion: apps/v1", "apiVersion: image.toolkit.fluxcd.io/v1")
    found = read(tmp_path, {"flux/sync.yaml": GITREPO, "flux/bomb.yaml": bomb})
    errors = [f for f in found.findings if f.severity == "error"]
    assert [(f.location.file, "max_nodes" in f.message) for f in errors] == [("flux/bomb.yaml", True)]


def test_a_policy_written_with_a_merge_key_is_read_as_kubernetes_reads_it(tmp_path: Path) -> None:
    merged = policy("<<: *semver").replace(
        "kind: ImagePolicy", "kind: ImagePolicy\nx-defaults: &semver {policy: {semver: {range: ^1.0}}}"
    )
    found = read(
        tmp_path,
        {"flux/sync.yaml": GITREPO, "flux/objects.yaml": REPOSITORY + "---\n" + merged + "---\n" + automation()},
    )
    (image,) = found.images
    assert (image.status, image.policy.semver if image.policy else None) == ("served", "^1.0")


def test_insecure_on_an_image_repository_a_registries_entry_covers_is_said_to_be_that_entrys(tmp_path: Path) -> None:
    (tmp_path / "flux").mkdir()
    (tmp_path / "flux/objects.yaml").write_text(
        REPOSITORY.replace("interval: 5m}", "interval: 5m, insecure: true}") + "---\n" + policy()
    )
    (tmp_path / "flux/sync.yaml").write_text(GITREPO)
    ghcr = RegistrySettings(name="ghcr", url="https://ghcr.io", prefix="ghcr.io")
    context = Context(GitSettings(url="file:///srv/fleet.git", url_aliases=[URL]), registries=[ghcr])
    found = read_sources(tmp_path, ["flux"], context)
    (note,) = [f for f in found.findings if f.field == "spec.insecure"]
    assert note.severity == "info" and "registries entry ghcr covers this host" in note.message
