"""What the Flux and Argo CD readers share: what they are given, label selectors, Go globs, registries."""

from __future__ import annotations

import fnmatch
import posixpath
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pydantic

from image_updater.errors import InvalidReferenceError
from image_updater.gitops import GitSettings
from image_updater.reference import ImageReference, canonical_name, registry_api_host, split_name
from image_updater.registry import RegistrySettings
from image_updater.sources.settings import SourceSettings


@dataclass(frozen=True)
class Context:
    """What reading needs from the configuration: the repository it serves, registries, source settings."""

    git: GitSettings
    registries: Sequence[RegistrySettings] = ()
    settings: SourceSettings = field(default_factory=SourceSettings)
    #: The id of the configuration's own target (the one reading), for ``served_by``.
    config_target: str = "default"
    #: The configuration lists ``targets:``: "add a target for it" instead of "another configuration".
    has_targets: bool = False

    @property
    def id_prefix(self) -> str:
        """Derived targets' ids start with the reading target's name, unless it is the implicit one: two
        targets reading one repository derive one automation twice, under two ids."""
        return "" if self.config_target == "default" else f"{self.config_target}/"

    def other_repository(self, url: str) -> str:
        fix = (
            "add a target for it"
            if self.has_targets
            else "otherwise it needs a configuration whose git.url is that repository"
        )
        return f"{url} is not this configuration's repository: add it to git.url_aliases if it is; {fix}"


# --- label selectors (metav1.LabelSelector) --------------------------------------------------------------


def selector_problem(selector: Any) -> str | None:
    """Why a label selector is invalid (Kubernetes' rules), or None."""
    if selector is None:
        return None
    if not isinstance(selector, Mapping) or set(selector) - {"matchLabels", "matchExpressions"}:
        return "a label selector holds matchLabels and matchExpressions only"
    labels = selector.get("matchLabels") or {}
    if not isinstance(labels, Mapping):
        return "matchLabels must be a mapping"
    for expression in selector.get("matchExpressions") or []:
        if not isinstance(expression, Mapping) or not isinstance(expression.get("key"), str):
            return "each matchExpressions entry needs a key"
        operator, values = expression.get("operator"), expression.get("values") or []
        if operator in ("In", "NotIn") and not values:
            return f"operator {operator} needs values"
        if operator in ("Exists", "DoesNotExist") and values:
            return f"operator {operator} takes no values"
        if operator not in ("In", "NotIn", "Exists", "DoesNotExist"):
            return f"unknown operator {operator!r}"
    return None


def selects(selector: Any, labels: Mapping[str, str]) -> bool:
    """Whether a (valid) label selector selects these labels; no selector selects everything."""
    if selector is None:
        return True
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(str(key)) != str(value):
            return False
    for expression in selector.get("matchExpressions") or []:
        key, operator = str(expression["key"]), expression["operator"]
        values = {str(v) for v in expression.get("values") or []}
        present = key in labels
        if (
            (operator == "In" and (not present or labels[key] not in values))
            or (operator == "NotIn" and present and labels[key] in values)
            or (operator == "Exists" and not present)
            or (operator == "DoesNotExist" and present)
        ):
            return False
    return True


def selector_size(selector: Any) -> int:
    """How many matchLabels and matchExpressions entries a selector has."""
    if not isinstance(selector, Mapping):
        return 0
    return len(selector.get("matchLabels") or {}) + len(selector.get("matchExpressions") or [])


# --- Go's filepath.Match globs ------------------------------------------------------------------------------


def go_glob(pattern: str) -> str:
    """A Go ``filepath.Match`` pattern as an fnmatch one (``[^a]`` → ``[!a]``, ``\\x`` → ``[x]``); raises
    ValueError for a pattern Go rejects (an unclosed ``[``)."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            out.append(f"[{pattern[i + 1]}]")
            i += 2
            continue
        if char == "[":
            close = pattern.find("]", i + 2 if pattern.startswith("[^", i) or pattern.startswith("[!", i) else i + 1)
            if close < 0:
                raise ValueError(f"glob {pattern!r}: unclosed [")
            body = pattern[i + 1 : close]
            out.append("[!" + body[1:] + "]" if body.startswith("^") else f"[{body}]")
            i = close + 1
            continue
        out.append(char)
        i += 1
    return "".join(out)


def glob_matches(pattern: str, name: str) -> bool:
    try:
        return fnmatch.fnmatchcase(name, go_glob(pattern))
    except ValueError:
        return False


# --- regular expressions as RE2 reads them ----------------------------------------------------------------

_NOT_RE2 = re.compile(r"\(\?[=!]|\(\?<[=!]|\\[1-9]|\(\?P=")


def re2_problem(pattern: str) -> str | None:
    """What RE2 (Go) would refuse that Python accepts: lookarounds and backreferences."""
    if _NOT_RE2.search(pattern):
        return (
            f"{pattern!r} uses a lookaround or a backreference, which Go's RE2 does not have (it would match nothing)"
        )
    return None


# --- findings -------------------------------------------------------------------------------------------


def dotted(path: Sequence[str | int]) -> str:
    """A field path as findings name it: ``spec.images[0].alias``."""
    return ".".join(str(p) if isinstance(p, str) else f"[{p}]" for p in path).replace(".[", "[")


def validation_message(exc: pydantic.ValidationError) -> str:
    """What a settings model refused, as one line without pydantic's prefixes."""
    return "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())


def needs_secrets_dir(secret: str, key: str) -> str:
    """Why a Secret (``namespace/name``) cannot be read: no ``source_settings.secrets_dir`` to find it in."""
    return f"needs source_settings.secrets_dir: the Secret {secret} mounted as <dir>/{secret}/{key}"


# --- registries -----------------------------------------------------------------------------------------


def covering(registries: Sequence[RegistrySettings], image: str) -> RegistrySettings | None:
    """The configured registry entry an image name uses (the longest matching prefix)."""
    name = canonical_name(image)
    matching = [r for r in registries if name == r.prefix or name.startswith(r.prefix + "/")]
    return max(matching, key=lambda r: len(r.prefix), default=None)


def derived_registry(
    name: str,
    image: str,
    registries: Sequence[RegistrySettings],
    *,
    credentials: str | None = None,
    ca_file: str | None = None,
    insecure: bool = False,
    prefix: str | None = None,
) -> RegistrySettings:
    """A registry entry for one image (``prefix`` = the image, so it applies to it alone), inheriting the
    URL, TLS and limits of the configured entry covering its host (else ``https://<host>``)."""
    base = covering(registries, image)
    fields: dict[str, Any] = (
        base.model_dump(exclude={"name", "prefix", "credentials", "username", "password_file", "password_env"})
        if base is not None
        else {}
    )
    if base is None:
        domain, _ = split_name(ImageReference.parse(image).name)
        fields["url"] = f"{'http' if insecure else 'https'}://{registry_api_host(domain)}"
    if insecure:
        fields["insecure"] = True
    if ca_file is not None:
        fields["ca_file"] = ca_file
    return RegistrySettings(name=name, prefix=prefix or image, credentials=credentials, **fields)


def valid_image(image: str) -> str | None:
    """Why ``image`` is no repository name (a tag, a digest, a scheme), or None."""
    if "://" in image:
        return f"{image!r} carries a scheme; give the repository only"
    try:
        ref = ImageReference.parse(image)
    except InvalidReferenceError as exc:
        return str(exc)
    if ref.tag or ref.digest:
        return f"{image!r} carries a tag or digest; give the repository only"
    return None


def normal_path(base: str, path: str) -> str | None:
    """``path`` relative to ``base`` (``/…`` from the repository root), normalised; None when it leaves it."""
    joined = path.lstrip("/") if path.startswith("/") else posixpath.join(base, path)
    normal = posixpath.normpath(joined or ".")
    if normal == ".." or normal.startswith("../") or posixpath.isabs(normal):
        return None
    return normal


def covers(folder: str, file: str) -> bool:
    """Whether ``file`` is ``folder`` or below it (``""``, ``.``, ``./`` and ``apps/`` spelt any way)."""
    folder = posixpath.normpath(folder.strip() or ".")
    return folder == "." or file == folder or file.startswith(folder + "/")
