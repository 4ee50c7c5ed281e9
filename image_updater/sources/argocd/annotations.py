"""argocd-image-updater's annotations on an Application: which images (``image-list``), their settings per
image and per Application, and every annotation under its prefix it would ignore, named with a guess.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from typing import Any

from image_updater.sources.argocd.model import (
    APP_KEYS,
    IMAGE_KEYS,
    PREFIX,
    App,
    ArgocdRead,
    Setting,
    Wanted,
    split_image,
)
from image_updater.sources.files import Document, plain
from image_updater.sources.model import Location


def application(read: ArgocdRead, document: Document) -> App:
    """An Application written in the repository, with its annotations and the source it renders."""
    annotations = annotation_settings(document, ("metadata", "annotations"))
    namespace = document.written_namespace or read.context.settings.argocd_namespace
    return App(
        document,
        document.name,
        namespace,
        dict(document.labels),
        annotations,
        app_source(document.value("spec") or {}),
        f"argocd Application {namespace}/{document.name}",
        f"Application {namespace}/{document.name}",
    )


def check_annotations(read: ArgocdRead, app: App) -> None:
    """Every annotation under argocd-image-updater's prefix it does not know is named, with a guess."""
    aliases = {alias for alias, _, _ in _image_list(app)[0] if alias}
    known = [*APP_KEYS, *(f"{a}.{k}" for a in sorted(aliases) for k in IMAGE_KEYS)]
    for key, setting in app.annotations.items():
        rest = key[len(PREFIX) :]
        if not key.startswith(PREFIX) or rest in known:
            continue
        if rest in IMAGE_KEYS and rest not in APP_KEYS:
            message = f"{rest} is only read per image: write it as <alias>.{rest}"
        else:
            alias, _, per_image = rest.partition(".")
            if per_image in IMAGE_KEYS and alias.replace("_", "/") in aliases:
                continue  # v0.x spelling of an alias holding "/"
            close = difflib.get_close_matches(rest, known, n=1)
            hint = f"; did you mean {PREFIX}{close[0]}?" if close else ""
            message = f"not an annotation argocd-image-updater knows (it ignores it){hint}"
        read.finding("warning", app.title, key, setting.location, message)


def from_annotations(read: ArgocdRead, app: App, via: tuple[str, Location] | None) -> list[Wanted]:
    """The images an Application's ``image-list`` names, each with the annotations that apply to it
    (its own first, then the Application's); ``via``: the ImageUpdater ref that lets annotations count."""
    items, where = _image_list(app)
    out: list[Wanted] = []
    for alias, path, constraint in items:
        if where is None:
            continue
        label = f"image-list alias {alias}" if alias else f"image-list item {path}"
        if via is not None:
            label += f"; {via[0]}"
        wanted = Wanted(
            app,
            alias,
            path,
            constraint,
            where.location,
            f"{app.origin}, {where.location} ({label})",
            app.document.kind,
            app.document.ref,
            app.title,
        )
        if via is not None:
            wanted.contributes.append(via[1])
        for key in ("update-strategy", "allow-tags", "ignore-tags", "pull-secret", "force-update"):
            app_level = app.annotations.get(PREFIX + key)
            own = app.annotations.get(f"{PREFIX}{_key_alias(app, alias)}.{key}") if alias else None
            chosen = own or app_level
            if chosen is not None:
                wanted.settings[key] = chosen
        if alias:
            for key in IMAGE_KEYS:
                own = app.annotations.get(f"{PREFIX}{_key_alias(app, alias)}.{key}")
                if own is not None:
                    wanted.settings.setdefault(key, own)
            tag_match = wanted.settings.pop("tag-match", None)
            if tag_match is not None and "allow-tags" not in wanted.settings:
                read.finding("warning", app.title, tag_match.field, tag_match.location, "deprecated: write allow-tags")
                wanted.settings["allow-tags"] = tag_match
        for key, name in (
            ("write-back-method", "method"),
            ("git-branch", "branch"),
            ("write-back-target", "target"),
            ("git-repository", "repository"),
        ):
            setting = app.annotations.get(PREFIX + key)
            if setting is not None:
                wanted.write[name] = setting
        out.append(wanted)
    return out


def annotation_settings(document: Document, path: Sequence[str]) -> dict[str, Setting]:
    """The annotations at ``path``, each with where it is written."""
    node = document.get(*path)
    out: dict[str, Setting] = {}
    value = plain(node)
    if isinstance(value, dict):
        for key, text in value.items():
            out[key] = Setting(text, document.at(*path, key), key)
    return out


def app_source(spec: Mapping[str, Any]) -> dict[str, Any]:
    """The one source argocd-image-updater updates: ``source``, a hydrator's ``drySource``, or the first of
    ``sources`` with a path."""
    source = spec.get("source")
    if isinstance(source, dict):
        return dict(source)
    hydrator = spec.get("sourceHydrator")
    if isinstance(hydrator, dict) and isinstance(hydrator.get("drySource"), dict):
        return dict(hydrator["drySource"])
    sources = spec.get("sources")
    if isinstance(sources, list) and sources:
        chosen = next((s for s in sources if isinstance(s, dict) and s.get("path")), sources[0])
        return dict(chosen) if isinstance(chosen, dict) else {}
    return {}


def _key_alias(app: App, alias: str) -> str:
    """v0.x writes an alias holding ``/`` as ``_`` in annotation keys; v1 as is (both are read)."""
    if "/" in alias and not any(k.startswith(f"{PREFIX}{alias}.") for k in app.annotations):
        return alias.replace("/", "_")
    return alias


def _image_list(app: App) -> tuple[list[tuple[str | None, str, str | None]], Setting | None]:
    setting = app.annotations.get(PREFIX + "image-list")
    if setting is None:
        return [], None
    items = []
    for raw in str(setting.value).split(","):
        item = raw.strip()
        if not item:
            continue
        alias, eq, rest = item.partition("=")
        if not eq:
            alias, rest = "", item
        path, constraint = split_image(rest.strip())
        items.append((alias.strip() or None, path, constraint))
    return items, setting
