"""An image's argocd-image-updater settings as the records the cycle reads: its policy (update strategy and
constraint), tag rules (allow-tags, ignore-tags, platforms), force-update and registry credentials. Settings
argocd-image-updater would silently misread are refused here, not served differently.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pydantic

from image_updater.errors import InvalidReferenceError
from image_updater.policy import PolicySpec, SelectionRules
from image_updater.policy.filters import compile_regex
from image_updater.reference import ImageReference
from image_updater.sources.argocd.model import ArgocdRead, Setting, Wanted
from image_updater.sources.common import derived_registry, go_glob, needs_secrets_dir, re2_problem, validation_message
from image_updater.sources.model import DerivedImage

_STRATEGIES = {
    "semver": "semver",
    "newest-build": "newest-build",
    "latest": "newest-build",
    "alphabetical": "alphabetical",
    "name": "alphabetical",
    "digest": "digest",
}
_TRUE = {"1", "t", "T", "TRUE", "true", "True"}
_FALSE = {"0", "f", "F", "FALSE", "false", "False"}


def derived_image(read: ArgocdRead, item: Wanted) -> DerivedImage:
    """The image record of one wanted image: its policy, rules and registry, or why it is not served."""
    image = DerivedImage(
        name=item.name,
        source="argocd",
        kind=item.kind,
        object=item.object,
        location=item.location,
        origin=item.origin,
        image=item.path,
        contributes=list(item.contributes),
    )
    for setting in [*item.settings.values(), *item.write.values()]:
        if setting.location != item.location and setting.location not in image.contributes:
            image.contributes.append(setting.location)
    if item.problems:
        image.status, image.reason = "error", f"{item.problems[0].field}: {item.problems[0].message}"
        return image

    def fail(setting: Setting | None, message: str) -> DerivedImage:
        field = setting.field if setting else ""
        where = setting.location if setting else item.location
        read.finding("error", item.finding_object, field, where, message)
        image.status, image.reason = "error", f"{field}: {message}" if field else message
        return image

    try:
        ImageReference.parse(item.path)
    except InvalidReferenceError as exc:
        return fail(None, f"image {item.path!r}: {exc}")
    strategy_setting = item.settings.get("update-strategy")
    strategy_text = str(strategy_setting.value).strip().lower() if strategy_setting else "semver"
    strategy = _STRATEGIES.get(strategy_text)
    if strategy is None:
        return fail(
            strategy_setting,
            f"unknown update strategy {strategy_text!r} (semver, newest-build, alphabetical, digest); "
            "argocd-image-updater would silently use semver, image-updater does not serve the image",
        )
    policy: dict[str, Any]
    if strategy == "semver":
        policy = {"semver": item.constraint or "*", "lenient": True}
    elif strategy == "digest":
        if not item.constraint:
            return fail(strategy_setting, "update strategy digest needs the tag to track as the constraint")
        policy = {"digest": item.constraint}
    else:
        policy = {"newest_build": True} if strategy == "newest-build" else {"order": "alphabetical"}
        if item.constraint:
            read.finding(
                "info",
                item.finding_object,
                "image-list",
                item.location,
                f"the constraint {item.constraint!r} has no effect with update strategy {strategy}",
            )
    try:
        image.policy = PolicySpec(**policy)
    except pydantic.ValidationError as exc:
        return fail(None, validation_message(exc))
    rules: dict[str, Any] = {}
    allow = item.settings.get("allow-tags")
    if allow is not None:
        text = str(allow.value).strip()
        if text.startswith("regexp:"):
            pattern = text[len("regexp:") :]
            problem = re2_problem(pattern)
            try:
                compile_regex(pattern, "allow-tags")
            except ValueError as exc:
                problem = str(exc)
            if problem is not None:
                return fail(allow, problem)
            rules["allow"] = pattern
        elif text != "any":
            return fail(allow, f"{text!r} is not regexp:<expression> or any (argocd-image-updater would match no tag)")
    ignore = item.settings.get("ignore-tags")
    if ignore is not None:
        try:
            rules["ignore"] = [go_glob(g) for g in _listed(ignore)]
        except ValueError as exc:
            return fail(ignore, str(exc))
    platforms = item.settings.get("platforms")
    if platforms is not None:
        wanted = _listed(platforms)
        if strategy in ("newest-build", "digest"):
            rules["platforms"], rules["platforms_match"] = wanted, "any"
        else:
            read.finding(
                "info",
                item.finding_object,
                platforms.field,
                platforms.location,
                f"no effect with update strategy {strategy}: argocd-image-updater filters platforms only "
                "for newest-build and digest",
            )
    try:
        image.rules = SelectionRules(**rules)
    except pydantic.ValidationError as exc:
        return fail(None, validation_message(exc))
    force = item.settings.get("force-update")
    if force is not None:
        text = str(force.value).strip() if not isinstance(force.value, bool) else str(force.value).lower()
        if text not in _TRUE | _FALSE:
            return fail(force, f"{text!r} is not a boolean")
        image.force_update = text in _TRUE
    secret = item.settings.get("pull-secret")
    if secret is not None:
        credentials = _credentials(read, item, secret)
        if credentials is None:
            image.status, image.reason = "error", "its pull-secret cannot be resolved"
            return image
        image.registry = derived_registry(
            f"argocd:{item.app.ref}:{item.alias or item.path}",
            item.path,
            read.context.registries,
            credentials=credentials,
        )
    return image


def _credentials(read: ArgocdRead, item: Wanted, secret: Setting) -> str | None:
    """A ``pull-secret`` as a registry ``credentials:`` value, or None after reporting why it cannot be."""
    text = str(secret.value).strip()
    kind, _, rest = text.partition(":")
    if kind in ("env", "ext") and rest:
        return text
    if kind == "pullsecret" and rest.count("/") == 1:
        path = _mounted(read, item, secret, rest, ".dockerconfigjson")
        return f"pullsecret:{path}" if path is not None else None
    if kind == "secret" and rest.count("/") == 1 and "#" in rest:
        ref, _, key = rest.partition("#")
        path = _mounted(read, item, secret, ref, key)
        return f"file:{path}" if path is not None else None
    read.finding(
        "error",
        item.finding_object,
        secret.field,
        secret.location,
        f"{text!r} is not pullsecret:NAMESPACE/NAME, secret:NAMESPACE/NAME#FIELD, env:VAR or ext:/path",
    )
    return None


def _mounted(read: ArgocdRead, item: Wanted, secret: Setting, ref: str, key: str) -> Path | None:
    """The file ``key`` of the Secret ``ref`` (``namespace/name``) under ``source_settings.secrets_dir``, or
    None after reporting why it is not there."""
    directory = read.context.settings.secrets_dir
    if directory is None:
        read.finding("error", item.finding_object, secret.field, secret.location, needs_secrets_dir(ref, key))
        return None
    path = directory / ref / key
    if not path.is_file():
        read.finding("error", item.finding_object, secret.field, secret.location, f"{path} does not exist")
        return None
    return path


def _listed(setting: Setting) -> list[str]:
    """A list setting's entries, trimmed, empty ones left out: a YAML list (ImageUpdater) or comma-separated
    text (annotations)."""
    items = setting.value if isinstance(setting.value, list) else str(setting.value).split(",")
    return [str(i).strip() for i in items if str(i).strip()]
