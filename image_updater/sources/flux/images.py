"""ImageRepository + ImagePolicy → one image: what the policy chooses, from which repository, with which
registry settings. Flux splits one image's settings over two objects; this is where they meet, including
the cross-namespace ACL that decides whether they may.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pydantic

from image_updater.policy import PolicySpec, SelectionRules
from image_updater.policy.filters import compile_regex
from image_updater.registry import RegistrySettings
from image_updater.sources.common import (
    covering,
    derived_registry,
    needs_secrets_dir,
    selector_problem,
    selects,
    valid_image,
    validation_message,
)
from image_updater.sources.files import Document, mapping
from image_updater.sources.flux.objects import FluxRead
from image_updater.sources.model import DerivedImage, Location
from image_updater.validation import parse_duration

DEFAULT_EXCLUSION = r"^.*\.sig$"
_LITERAL_TAG = re.compile(r"^\^((?:[A-Za-z0-9_]|\\[.-])(?:[A-Za-z0-9_-]|\\[.-])*)\$$")


@dataclass
class Repository:
    """An ImageRepository as its policies use it."""

    document: Document
    image: str = ""
    interval: float | None = None
    exclude: list[str] = field(default_factory=list)
    registry: RegistrySettings | None = None
    access_from: Any = None
    suspended: bool = False
    problem: str | None = None  # why its policies cannot be served
    contributes: list[Location] = field(default_factory=list)


def read_repository(read: FluxRead, document: Document) -> Repository:
    """One ImageRepository: its image, interval, exclusions and registry, or ``problem`` saying why its
    policies cannot be served."""
    repo = Repository(document)
    spec = mapping(document.value("spec"))
    image = spec.get("image")
    if not isinstance(image, str) or not image:
        _problem(read, repo, ("spec", "image"), "spec.image is missing")
        return repo
    problem = valid_image(image)
    if problem is not None:
        _problem(read, repo, ("spec", "image"), f"spec.image: {problem}", problem)
        return repo
    repo.image = image
    try:
        repo.interval = parse_duration(str(spec.get("interval"))) if spec.get("interval") is not None else None
    except ValueError as exc:
        _problem(read, repo, ("spec", "interval"), f"spec.interval: {exc}", str(exc))
    exclusion = spec.get("exclusionList")
    if exclusion is not None:
        repo.contributes.append(document.at("spec", "exclusionList"))
        patterns = [str(p) for p in exclusion] if isinstance(exclusion, list) else []
        for index, pattern in enumerate(patterns):
            try:
                compile_regex(pattern, "exclusionList")
            except ValueError as exc:
                _problem(read, repo, ("spec", "exclusionList", index), f"spec.exclusionList: {exc}", str(exc))
        repo.exclude = [p for p in patterns if p != DEFAULT_EXCLUSION]
        if DEFAULT_EXCLUSION not in patterns:
            read.finding(
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
            _problem(
                read,
                repo,
                ("spec", key),
                f"spec.{key} is not supported",
                "not supported: give the registry its own settings in registries: "
                "(proxy:, credentials:) and leave the image to them",
            )
    if spec.get("timeout") is not None:
        read.finding("info", document, ("spec", "timeout"), "no effect: the registry's timeout applies")
    provider = spec.get("provider") or "generic"
    if provider != "generic":
        base = covering(read.context.registries, image)
        if base is not None and (base.credentials or base.username):
            read.finding(
                "info",
                document,
                ("spec", "provider"),
                f"the credentials of registries entry {base.name} are used instead",
            )
        else:
            _problem(
                read,
                repo,
                ("spec", "provider"),
                f"spec.provider {provider} is not supported",
                f"provider {provider} (workload identity) is not supported: configure a registries: entry "
                f"for this host with credentials (ext: a script printing a token), or a secretRef",
            )
    credentials, ca_file = _secrets(read, document, repo, spec)
    configured = covering(read.context.registries, image)
    insecure = bool(spec.get("insecure")) and configured is None
    if spec.get("insecure") and configured is not None:
        read.finding(
            "info",
            document,
            ("spec", "insecure"),
            f"registries entry {configured.name} covers this host: its own insecure setting applies",
        )
    if credentials or ca_file or insecure:
        repo.registry = derived_registry(
            f"flux:{document.ref}",
            image,
            read.context.registries,
            credentials=credentials,
            ca_file=ca_file,
            insecure=insecure,
        )
    return repo


def _problem(
    read: FluxRead, repo: Repository, path: tuple[str | int, ...], problem: str, message: str | None = None
) -> None:
    """An error at ``path`` that keeps the repository's policies from being served: ``problem`` is what they
    report, ``message`` (else ``problem``) the finding."""
    repo.problem = problem
    read.finding("error", repo.document, path, problem if message is None else message)


def _secrets(
    read: FluxRead, document: Document, repo: Repository, spec: Mapping[str, Any]
) -> tuple[str | None, str | None]:
    credentials = ca_file = None
    secrets_dir = read.context.settings.secrets_dir
    for key, wanted in (("secretRef", ".dockerconfigjson"), ("certSecretRef", "ca.crt")):
        ref = spec.get(key)
        if ref is None:
            continue
        repo.contributes.append(document.at("spec", key))
        name = ref.get("name") if isinstance(ref, dict) else None
        if not name:
            _problem(read, repo, ("spec", key), f"spec.{key}.name is missing")
            continue
        folder = f"{document.namespace}/{name}"
        if secrets_dir is None:
            _problem(
                read,
                repo,
                ("spec", key),
                f"spec.{key} needs source_settings.secrets_dir",
                needs_secrets_dir(folder, wanted),
            )
            continue
        base = secrets_dir / document.namespace / str(name)
        if key == "certSecretRef" and (base / "tls.crt").exists():
            _problem(
                read,
                repo,
                ("spec", key),
                "client certificates are not supported",
                "tls.crt/tls.key (client certificates) are not supported",
            )
            continue
        if not (base / wanted).is_file():
            _problem(
                read,
                repo,
                ("spec", key),
                f"{base / wanted} is missing",
                f"{base / wanted} does not exist (Secret {folder})",
            )
            continue
        if key == "secretRef":
            credentials = f"pullsecret:{base / wanted}"
        else:
            ca_file = str(base / wanted)
    return credentials, ca_file


def read_policy(read: FluxRead, document: Document, repositories: Mapping[tuple[str, str], Repository]) -> DerivedImage:
    """One ImagePolicy as an image: its repository's image and registry, its policy, or why it is not served."""
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
        read.finding("error", document, ("spec", *path), message)
        image.status, image.reason = "error", f"spec.{'.'.join(path)}: {message}"
        return image

    ref = mapping(spec.get("imageRepositoryRef"))
    namespace = str(ref.get("namespace") or document.namespace)
    repo = repositories.get((namespace, str(ref.get("name"))))
    if repo is None:
        return fail(["imageRepositoryRef"], f"no ImageRepository {namespace}/{ref.get('name')} in the repository")
    image.repository_from = repo.document.at("spec", "image")
    image.image = repo.image
    if namespace != document.namespace and not _admits(read, repo, document.namespace):
        invalid = [p for p in map(selector_problem, _selectors(repo)) if p is not None]
        return fail(
            ["imageRepositoryRef", "namespace"],
            f"ImageRepository {namespace}/{repo.document.name} does not admit ImagePolicies of namespace "
            f"{document.namespace} (its spec.accessFrom.namespaceSelectors"
            + (f"; not read, being invalid: {'; '.join(invalid)})" if invalid else ")"),
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
        return fail(["policy"], validation_message(exc))
    image.rules = SelectionRules(exclude=repo.exclude)
    image.interval = interval
    if repo.suspended or spec.get("suspend"):
        which = f"ImageRepository {repo.document.ref}" if repo.suspended else f"ImagePolicy {document.ref}"
        image.status, image.reason = "suspended", f"{which} is suspended (spec.suspend: true)"
    return image


def _selectors(repo: Repository) -> list[Any]:
    selectors = (repo.access_from or {}).get("namespaceSelectors") if isinstance(repo.access_from, dict) else None
    return list(selectors) if isinstance(selectors, list) else []


def _admits(read: FluxRead, repo: Repository, namespace: str) -> bool:
    """Flux's ACL: another namespace's policy may use the repository only when accessFrom admits it; a
    selector Kubernetes would refuse (a matchExpressions entry without a key) admits nobody."""
    labels = {"kubernetes.io/metadata.name": namespace, **read.namespaces().get(namespace, {})}
    return any(isinstance(s, dict) and selector_problem(s) is None and selects(s, labels) for s in _selectors(repo))
