"""Flux image automation objects (``image.toolkit.fluxcd.io`` v1 and v1beta2) as images and targets.

ImageRepository + ImagePolicy → one image named ``<namespace>:<policy>`` (exactly the text of the markers
that name it), bound by those markers only. ImageUpdateAutomation → one target ``flux:<namespace>/<name>``
on this repository: its checkout and push branches, ``update.path``, author and commit message template,
serving the policies of its namespace its ``policySelector`` selects. docs/migrating.md says what carries
over and what differs; every field not understood is a finding with its file and line.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pydantic

from image_updater.delivery.gotemplate import GoTemplate, GoTemplateError, parse
from image_updater.errors import ImageUpdaterError
from image_updater.manifests import ManagerOptions, ManifestFile
from image_updater.policy import PolicySpec, SelectionRules
from image_updater.policy.filters import compile_regex
from image_updater.registry import RegistrySettings
from image_updater.sources.common import (
    Context,
    covering,
    covers,
    derived_registry,
    normal_path,
    selector_problem,
    selects,
    valid_image,
)
from image_updater.sources.files import Checkout, Document, mapping
from image_updater.sources.flux_message import DEFAULT_MESSAGE, FluxMessage, check_template
from image_updater.sources.model import DerivedImage, DerivedTarget, Finding, Location, Note, NotServed, SourceSet
from image_updater.validation import parse_duration

IMAGE_GROUP = "image.toolkit.fluxcd.io"
SOURCE_GROUP = "source.toolkit.fluxcd.io"
READ_VERSIONS = ("v1", "v1beta2")
KINDS = ("ImageRepository", "ImagePolicy", "ImageUpdateAutomation")
DEFAULT_EXCLUSION = r"^.*\.sig$"

_SPEC_FIELDS = {
    "ImageRepository": {
        "image",
        "interval",
        "timeout",
        "secretRef",
        "serviceAccountName",
        "certSecretRef",
        "proxySecretRef",
        "accessFrom",
        "suspend",
        "exclusionList",
        "insecure",
        "provider",
    },
    "ImagePolicy": {"imageRepositoryRef", "policy", "filterTags", "digestReflectionPolicy", "interval", "suspend"},
    "ImageUpdateAutomation": {"sourceRef", "git", "interval", "policySelector", "update", "suspend"},
}
_GIT_FIELDS = {
    "checkout": {"ref"},
    "commit": {"author", "signingKey", "messageTemplate", "messageTemplateValues"},
    "push": {"branch", "refspec", "options"},
}
_LITERAL_TAG = re.compile(r"^\^((?:[A-Za-z0-9_]|\\[.-])(?:[A-Za-z0-9_-]|\\[.-])*)\$$")


@dataclass
class _Repository:
    document: Document
    image: str = ""
    interval: float | None = None
    exclude: list[str] = field(default_factory=list)
    registry: RegistrySettings | None = None
    access_from: Any = None
    suspended: bool = False
    problem: str | None = None  # why its policies cannot be served
    contributes: list[Location] = field(default_factory=list)


@dataclass
class _Automation:
    document: Document
    served: bool = True
    reasons: list[str] = field(default_factory=list)
    path: str = "."
    selector: Any = None
    target: DerivedTarget | None = None

    def refuse(self, sources: SourceSet, where: Location, reason: str) -> None:
        self.served = False
        self.reasons.append(reason)
        sources.not_served.append(NotServed(self.document.title, where, reason))


class FluxReader:
    """One read of a checkout's Flux objects into ``sources``."""

    def __init__(self, checkout: Checkout, context: Context, sources: SourceSet) -> None:
        self.checkout, self.context, self.sources = checkout, context, sources
        self.infos: list[tuple[Document, Finding]] = []  # kept for served objects only

    # -- findings ---------------------------------------------------------------------------------------
    def finding(self, severity: str, document: Document, path: Sequence[str | int], message: str) -> Finding:
        found = Finding(
            severity,  # type: ignore[arg-type]
            document.title,
            ".".join(str(p) if isinstance(p, str) else f"[{p}]" for p in path).replace(".[", "["),
            document.at(*path),
            message,
        )
        if severity == "info":
            self.infos.append((document, found))
        else:
            self.sources.findings.append(found)
        return found

    def _unknown_fields(self, document: Document) -> None:
        spec = document.value("spec")
        if not isinstance(spec, dict):
            return
        for key in spec:
            if key not in _SPEC_FIELDS[document.kind]:
                self.finding("warning", document, ("spec", key), f"not a field of {document.kind} v1: ignored")
        git = spec.get("git") if document.kind == "ImageUpdateAutomation" else None
        for section, known in _GIT_FIELDS.items():
            value = git.get(section) if isinstance(git, dict) else None
            for key in value if isinstance(value, dict) else ():
                if key not in known:
                    self.finding(
                        "warning", document, ("spec", "git", section, key), "not a field of ImageUpdateAutomation v1"
                    )

    # -- reading ----------------------------------------------------------------------------------------
    def read(self) -> None:
        objects: dict[str, dict[tuple[str, str], Document]] = {kind: {} for kind in KINDS}
        for document in self.checkout.documents:
            if document.group != IMAGE_GROUP or document.kind not in KINDS or document.file in self.checkout.patches:
                continue
            if document.version not in READ_VERSIONS:
                self.finding(
                    "error",
                    document,
                    ("apiVersion",),
                    f"apiVersion {document.api_version} is not read; convert it to {IMAGE_GROUP}/v1",
                )
                continue
            if document.version == "v1beta2":
                self.finding(
                    "warning",
                    document,
                    ("apiVersion",),
                    "v1beta2 is read as v1, but it is not served by current Flux (image-reflector-controller "
                    "v1.2.0 and later); use v1",
                )
            key = (document.namespace, document.name)
            seen = objects[document.kind].get(key)
            if seen is not None:
                self.finding(
                    "error", document, ("metadata", "name"), f"{document.title} is also defined at {seen.location}"
                )
                continue
            objects[document.kind][key] = document
            self._unknown_fields(document)
        repositories = {key: self._repository(d) for key, d in objects["ImageRepository"].items()}
        automations = [self._automation(d) for _, d in sorted(objects["ImageUpdateAutomation"].items())]
        images: dict[tuple[str, str], DerivedImage] = {}
        for key, document in sorted(objects["ImagePolicy"].items(), key=lambda kv: (kv[1].file, kv[1].location)):
            images[key] = self._policy(document, repositories)
        self._serve(images, automations)
        self._markers(images, automations)
        served = {a.document.title for a in automations if a.served}
        served |= {f"ImageRepository {d.ref}" for d in objects["ImageRepository"].values()}
        served |= {f"ImagePolicy {d.ref}" for d in objects["ImagePolicy"].values()}
        for document, found in self.infos:
            if document.kind != "ImageUpdateAutomation" or document.title in served:
                self.sources.findings.append(found)

    def _namespaces(self) -> dict[str, dict[str, str]]:
        """Namespace labels as the API server has them: its name, plus a Namespace object's labels."""
        labels: dict[str, dict[str, str]] = {}
        for document in self.checkout.documents:
            if document.kind == "Namespace" and document.api_version == "v1":
                labels[document.name] = dict(document.labels)
        return labels

    def _repository(self, document: Document) -> _Repository:
        repo = _Repository(document)
        spec = mapping(document.value("spec"))
        image = spec.get("image")
        if not isinstance(image, str) or not image:
            repo.problem = "spec.image is missing"
            self.finding("error", document, ("spec", "image"), repo.problem)
            return repo
        problem = valid_image(image)
        if problem is not None:
            repo.problem = f"spec.image: {problem}"
            self.finding("error", document, ("spec", "image"), problem)
            return repo
        repo.image = image
        try:
            repo.interval = parse_duration(str(spec.get("interval"))) if spec.get("interval") is not None else None
        except ValueError as exc:
            self.finding("error", document, ("spec", "interval"), str(exc))
            repo.problem = f"spec.interval: {exc}"
        exclusion = spec.get("exclusionList")
        if exclusion is not None:
            repo.contributes.append(document.at("spec", "exclusionList"))
            patterns = [str(p) for p in exclusion] if isinstance(exclusion, list) else []
            for index, pattern in enumerate(patterns):
                try:
                    compile_regex(pattern, "exclusionList")
                except ValueError as exc:
                    self.finding("error", document, ("spec", "exclusionList", index), str(exc))
                    repo.problem = f"spec.exclusionList: {exc}"
            repo.exclude = [p for p in patterns if p != DEFAULT_EXCLUSION]
            if DEFAULT_EXCLUSION not in patterns:
                self.finding(
                    "info",
                    document,
                    ("spec", "exclusionList"),
                    "Flux would consider *.sig tags once the list leaves out ^.*\\.sig$; image-updater keeps "
                    "dropping artefact tags (*.sig, *.att, *.sbom, sha256-…) — include_artifacts keeps them",
                )
        repo.suspended = bool(spec.get("suspend"))
        repo.access_from = spec.get("accessFrom")
        for key in ("proxySecretRef", "serviceAccountName"):
            if spec.get(key) is not None:
                repo.problem = f"spec.{key} is not supported"
                self.finding(
                    "error",
                    document,
                    ("spec", key),
                    "not supported: give the registry its own settings in registries: "
                    "(proxy:, credentials:) and leave the image to them",
                )
        if spec.get("timeout") is not None:
            self.finding("info", document, ("spec", "timeout"), "no effect: the registry's timeout applies")
        provider = spec.get("provider") or "generic"
        if provider != "generic":
            base = covering(self.context.registries, image)
            if base is not None and (base.credentials or base.username):
                self.finding(
                    "info",
                    document,
                    ("spec", "provider"),
                    f"the credentials of registries entry {base.name} are used instead",
                )
            else:
                repo.problem = f"spec.provider {provider} is not supported"
                self.finding(
                    "error",
                    document,
                    ("spec", "provider"),
                    f"provider {provider} (workload identity) is not supported: configure a registries: entry "
                    f"for this host with credentials (ext: a script printing a token), or a secretRef",
                )
        credentials, ca_file = self._secrets(document, repo, spec)
        insecure = bool(spec.get("insecure")) and covering(self.context.registries, image) is None
        if credentials or ca_file or insecure:
            repo.registry = derived_registry(
                f"flux:{document.ref}",
                image,
                self.context.registries,
                credentials=credentials,
                ca_file=ca_file,
                insecure=insecure,
            )
        return repo

    def _secrets(self, document: Document, repo: _Repository, spec: Mapping[str, Any]) -> tuple[str | None, str | None]:
        credentials = ca_file = None
        secrets_dir = self.context.settings.secrets_dir
        for key, wanted in (("secretRef", ".dockerconfigjson"), ("certSecretRef", "ca.crt")):
            ref = spec.get(key)
            if ref is None:
                continue
            repo.contributes.append(document.at("spec", key))
            name = ref.get("name") if isinstance(ref, dict) else None
            if not name:
                repo.problem = f"spec.{key}.name is missing"
                self.finding("error", document, ("spec", key), repo.problem)
                continue
            folder = f"{document.namespace}/{name}"
            if secrets_dir is None:
                repo.problem = f"spec.{key} needs source_settings.secrets_dir"
                self.finding(
                    "error",
                    document,
                    ("spec", key),
                    f"needs source_settings.secrets_dir: the Secret {folder} mounted as <dir>/{folder}/{wanted}",
                )
                continue
            base = secrets_dir / document.namespace / str(name)
            if key == "certSecretRef" and (base / "tls.crt").exists():
                repo.problem = "client certificates are not supported"
                self.finding(
                    "error", document, ("spec", key), "tls.crt/tls.key (client certificates) are not supported"
                )
                continue
            if not (base / wanted).is_file():
                repo.problem = f"{base / wanted} is missing"
                self.finding("error", document, ("spec", key), f"{base / wanted} does not exist (Secret {folder})")
                continue
            if key == "secretRef":
                credentials = f"pullsecret:{base / wanted}"
            else:
                ca_file = str(base / wanted)
        return credentials, ca_file

    def _policy(self, document: Document, repositories: Mapping[tuple[str, str], _Repository]) -> DerivedImage:
        spec = mapping(document.value("spec"))
        image = DerivedImage(
            name=f"{document.namespace}:{document.name}",
            source="flux",
            kind="ImagePolicy",
            object=document.ref,
            location=document.at("spec", "policy"),
            origin=f"flux ImagePolicy {document.ref}, {document.at('spec', 'policy')}",
            markers_only=True,
            namespace=document.namespace,
            labels=document.labels,
        )

        def fail(path: Sequence[str], message: str) -> DerivedImage:
            self.finding("error", document, ("spec", *path), message)
            image.status, image.reason = "error", f"spec.{'.'.join(path)}: {message}"
            return image

        ref = mapping(spec.get("imageRepositoryRef"))
        namespace = str(ref.get("namespace") or document.namespace)
        repo = repositories.get((namespace, str(ref.get("name"))))
        if repo is None:
            return fail(["imageRepositoryRef"], f"no ImageRepository {namespace}/{ref.get('name')} in the repository")
        image.repository_from = repo.document.at("spec", "image")
        image.image = repo.image
        if namespace != document.namespace and not self._admits(repo, document.namespace):
            return fail(
                ["imageRepositoryRef", "namespace"],
                f"ImageRepository {namespace}/{repo.document.name} does not admit ImagePolicies of namespace "
                f"{document.namespace} (its spec.accessFrom.namespaceSelectors)",
            )
        if repo.problem is not None:
            image.status, image.reason = "error", f"ImageRepository {repo.document.ref}: {repo.problem}"
            return image
        image.contributes.extend(repo.contributes)
        image.registry = repo.registry
        policy: dict[str, Any] = {}
        choice = mapping(spec.get("policy"))
        kinds = [k for k in ("semver", "alphabetical", "numerical") if k in choice]
        if len(kinds) != 1 or set(choice) - {"semver", "alphabetical", "numerical"}:
            return fail(["policy"], "needs exactly one of semver, alphabetical, numerical")
        kind, body = kinds[0], choice[kinds[0]] or {}
        if kind == "semver":
            if not isinstance(body, dict) or not body.get("range"):
                return fail(["policy", "semver", "range"], "semver needs a range")
            policy["semver"] = str(body["range"])
        else:
            order = str((body or {}).get("order") or "asc").lower() if isinstance(body, dict) else "asc"
            if order not in ("asc", "desc"):
                return fail(["policy", kind, "order"], f"order {order!r} is not asc or desc")
            policy.update(order=kind, direction=order)
        filters = mapping(spec.get("filterTags"))
        pattern, extract = filters.get("pattern"), filters.get("extract")
        if pattern:
            policy["filter"] = str(pattern)
        if extract:
            policy["extract"] = str(extract)
        interval = repo.interval
        reflect = spec.get("digestReflectionPolicy") or "Never"
        if reflect not in ("Never", "IfNotPresent", "Always"):
            return fail(["digestReflectionPolicy"], f"{reflect!r} is not Never, IfNotPresent or Always")
        if spec.get("interval") is not None:
            if reflect != "Always":
                return fail(["interval"], "spec.interval is only allowed with digestReflectionPolicy: Always")
            image.contributes.append(document.at("spec", "interval"))
            try:
                own = parse_duration(str(spec["interval"]))
            except ValueError as exc:
                return fail(["interval"], str(exc))
            interval = min(interval, own) if interval is not None else own
        if reflect != "Never":
            image.contributes.append(document.at("spec", "digestReflectionPolicy"))
            literal = _LITERAL_TAG.match(str(pattern or ""))
            if reflect == "Always" and literal and not extract:
                policy = {"digest": literal.group(1).replace("\\", "")}
            else:
                image.pin_digest = True
        try:
            image.policy = PolicySpec(**policy)
        except pydantic.ValidationError as exc:
            message = "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())
            return fail(["policy"], message)
        image.rules = SelectionRules(exclude=repo.exclude)
        image.interval = interval
        if repo.suspended or spec.get("suspend"):
            which = f"ImageRepository {repo.document.ref}" if repo.suspended else f"ImagePolicy {document.ref}"
            image.status, image.reason = "suspended", f"{which} is suspended (spec.suspend: true)"
        return image

    def _admits(self, repo: _Repository, namespace: str) -> bool:
        """Flux's ACL: another namespace's policy may use the repository only when accessFrom admits it."""
        selectors = (repo.access_from or {}).get("namespaceSelectors") if isinstance(repo.access_from, dict) else None
        if not selectors:
            return False
        labels = {"kubernetes.io/metadata.name": namespace, **self._namespaces().get(namespace, {})}
        return any(isinstance(s, dict) and selects(s, labels) for s in selectors)

    def _automation(self, document: Document) -> _Automation:
        automation = _Automation(document)
        spec = mapping(document.value("spec"))
        if spec.get("interval") is not None:
            self.finding(
                "info",
                document,
                ("spec", "interval"),
                "no effect: image-updater updates on every cycle (service.interval) and on registry webhooks",
            )
        if spec.get("suspend"):
            automation.refuse(self.sources, document.at("spec", "suspend"), "suspended (spec.suspend: true)")
        source = mapping(spec.get("sourceRef"))
        repository = None
        if (source.get("kind") or "GitRepository") != "GitRepository":
            automation.refuse(
                self.sources, document.at("spec", "sourceRef", "kind"), "sourceRef must be a GitRepository"
            )
        else:
            namespace = str(source.get("namespace") or document.namespace)
            found = [
                d
                for d in self.checkout.of_kind(SOURCE_GROUP, "GitRepository")
                if (d.namespace, d.name) == (namespace, source.get("name"))
            ]
            where = document.at("spec", "sourceRef", "name")
            if not found:
                automation.refuse(
                    self.sources, where, f"its GitRepository {namespace}/{source.get('name')} is not in the repository"
                )
            else:
                repository = found[0]
                url = str(repository.value("spec", "url") or "")
                if not self.context.git.names_this_repository(url):
                    automation.refuse(
                        self.sources, where, f"GitRepository {repository.ref}: {self.context.other_repository(url)}"
                    )
        checkout = self._checkout_branch(automation, spec, repository)
        git = mapping(spec.get("git"))
        push = mapping(git.get("push"))
        for key in ("refspec", "options"):
            if push.get(key):
                self.finding(
                    "error",
                    document,
                    ("spec", "git", "push", key),
                    f"push {key} is not supported (image-updater pushes one branch, without push options)",
                )
                automation.refuse(
                    self.sources, document.at("spec", "git", "push", key), f"spec.git.push.{key} is not supported"
                )
        commit = mapping(git.get("commit"))
        if commit.get("signingKey") is not None:
            self.finding(
                "warning",
                document,
                ("spec", "git", "commit", "signingKey"),
                "commits are signed as git.commit.signing says, not with this key",
            )
        update = mapping(spec.get("update"))
        path = normal_path("", str(update.get("path") or "."))
        if path is None:
            self.finding("error", document, ("spec", "update", "path"), "the path leaves the repository")
            automation.refuse(self.sources, document.at("spec", "update", "path"), "spec.update.path is invalid")
            path = "."
        if (update.get("strategy") or "Setters") != "Setters":
            self.finding("error", document, ("spec", "update", "strategy"), "only the Setters strategy exists")
            automation.refuse(self.sources, document.at("spec", "update", "strategy"), "unknown update strategy")
        automation.path = path
        message = self._message(automation, commit)
        automation.selector = spec.get("policySelector")
        problem = selector_problem(automation.selector)
        if problem is not None:
            self.finding("error", document, ("spec", "policySelector"), problem)
            automation.refuse(self.sources, document.at("spec", "policySelector"), "invalid policySelector")
        author = mapping(commit.get("author"))
        if automation.served and checkout is not None:
            automation.target = DerivedTarget(
                id=f"{self.context.id_prefix}flux:{document.ref}",
                kind="ImageUpdateAutomation",
                object=document.ref,
                location=document.location,
                checkout_branch=checkout,
                push_branch=str(push.get("branch") or checkout),
                paths=[path],
                author=(
                    str(author.get("name") or self.context.git.author.name),
                    str(author.get("email") or self.context.git.author.email),
                ),
                message=message,
                git_repository=repository.at("spec", "url") if repository is not None else None,
            )
        return automation

    def _checkout_branch(
        self, automation: _Automation, spec: Mapping[str, Any], repository: Document | None
    ) -> str | None:
        document = automation.document
        git = mapping(spec.get("git"))
        ref = (git.get("checkout") or {}).get("ref") if isinstance(git.get("checkout"), dict) else None
        where = document.at("spec", "git", "checkout", "ref")
        if ref is None and repository is not None:
            ref, where = repository.value("spec", "ref"), repository.at("spec", "ref")
        if ref is None:
            return self.context.git.branch  # no ref: Flux's default branch, taken as git.branch (docs/migrating.md)
        if not isinstance(ref, dict) or not ref.get("branch") or set(ref) - {"branch"}:
            automation.refuse(self.sources, where, "checks out a tag, semver range or commit, not a branch")
            return None
        branch = str(ref["branch"])
        if branch != self.context.git.branch:
            automation.refuse(
                self.sources, where, f"checks out branch {branch}; this configuration reads {self.context.git.branch}"
            )
            return None
        return branch

    def _message(self, automation: _Automation, commit: Mapping[str, Any]) -> FluxMessage:
        document = automation.document
        source = commit.get("messageTemplate")
        values = commit.get("messageTemplateValues") or {}
        template: GoTemplate
        if not source:
            template = parse(DEFAULT_MESSAGE)
        else:
            key = document.get("spec", "git", "commit", "messageTemplate")
            first = (key.line + (1 if getattr(key, "style", "") in ("|", ">") else 0)) if key is not None else 0
            try:
                template = check_template(str(source), document.namespace, document.name, values)
            except GoTemplateError as exc:
                text = str(exc)
                shown = re.sub(
                    r"line (\d+)", lambda m: f"line {m.group(1)} (file line {int(m.group(1)) + first - 1})", text
                )
                self.finding(
                    "error",
                    document,
                    ("spec", "git", "commit", "messageTemplate"),
                    f"not supported: {shown}",
                )
                automation.refuse(
                    self.sources,
                    document.at("spec", "git", "commit", "messageTemplate"),
                    f"spec.git.commit.messageTemplate is not supported: {shown}",
                )
                template = parse(DEFAULT_MESSAGE)
        return FluxMessage(template, document.namespace, document.name, automation.path, dict(values))

    # -- serving ----------------------------------------------------------------------------------------
    def _serve(self, images: Mapping[tuple[str, str], DerivedImage], automations: Sequence[_Automation]) -> None:
        for image in images.values():
            for automation in automations:
                if automation.target is None or automation.document.namespace != image.namespace:
                    continue
                if selects(automation.selector, image.labels):
                    image.served_by.append(automation.target.id)
                    if image.status == "served":
                        automation.target.images.append(image.name)
            if image.status == "served" and not image.served_by:
                image.status = "not served"
                image.reason = "no served ImageUpdateAutomation of its namespace selects it"
            self.sources.images.append(image)
        self.sources.targets.extend(a.target for a in automations if a.target is not None)

    def _markers(self, images: Mapping[tuple[str, str], DerivedImage], automations: Sequence[_Automation]) -> None:
        """Every marker that will not be updated, and why (Flux ignores them silently)."""
        options = ManagerOptions(managers=frozenset({"marker"}))
        for rel in sorted(self.checkout.files):
            if posixpath.basename(rel) == "Kustomization" or rel.endswith((".yaml", ".yml")):
                data = self.checkout.read(rel)
                if data is None or b'"$imagepolicy"' not in data:
                    continue
                try:
                    parsed = ManifestFile.parse(rel, data, options)
                except ImageUpdaterError:
                    continue  # the cycle reports files that do not parse
                for found in parsed.images:
                    if found.policy is None:
                        continue
                    note = self._marker_note(found, images, automations)
                    if note is not None:
                        value = str(found.reference) if found.marker_field == "" else _field_value(found)
                        self.sources.notes.append(Note(Location(rel, found.line), value, note))

    def _marker_note(
        self, found: Any, images: Mapping[tuple[str, str], DerivedImage], automations: Sequence[_Automation]
    ) -> str | None:
        marker = found.policy + (f":{found.marker_field}" if found.marker_field else "")
        namespace, _, name = found.policy.partition(":")
        image = images.get((namespace, name))
        if image is None:
            return f"marker {marker} names no known policy (no ImagePolicy {namespace}/{name} in the repository)"
        covering_ = [a for a in automations if a.document.namespace == namespace and covers(a.path, found.path)]
        serving = [a for a in covering_ if a.served and selects(a.selector, image.labels)]
        if serving:
            if image.status in ("suspended", "error"):
                return f"marker {marker} is not updated: {image.reason}"
            if found.marker_field == "name" and found.reference is not None and found.reference.name == image.image:
                return f"marker {marker} already names {image.image} (the ImageRepository's spec.image)"
            return None
        served = [a for a in covering_ if a.served]
        if served:
            names = ", ".join(a.document.ref for a in served)
            return (
                f"marker {marker} is not updated: not selected by the policySelector of ImageUpdateAutomation {names}"
            )
        if covering_:
            return f"marker {marker} is not updated: " + "; ".join(
                f"ImageUpdateAutomation {a.document.ref} is not served: {', '.join(a.reasons)}" for a in covering_
            )
        return f"marker {marker} is not updated: no ImageUpdateAutomation of namespace {namespace} covers this file"


def _field_value(found: Any) -> str:
    ref = found.reference
    if ref is None:
        return ""
    return {"tag": ref.tag, "name": ref.name, "digest": ref.digest}.get(found.marker_field) or ""


def read_flux(checkout: Checkout, context: Context, sources: SourceSet) -> None:
    FluxReader(checkout, context, sources).read()


__all__ = ["IMAGE_GROUP", "FluxReader", "read_flux"]
