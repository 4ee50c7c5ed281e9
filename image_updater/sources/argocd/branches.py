"""``git-branch``: an Application pushing to a branch of its own becomes a target of its own; a branch
template naming the changes (``.SHA256``, ``.Images``) is rendered once the cycle knows them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from image_updater.delivery.gotemplate import GoTemplateError
from image_updater.delivery.gotemplate import parse as parse_go_template
from image_updater.sources.argocd.model import App, ArgocdRead, Wanted
from image_updater.sources.model import DerivedTarget, NotServed


def branch_of(read: ArgocdRead, app: App, first: Wanted) -> DerivedTarget | str | None:
    """The branch target of an Application pushing elsewhere, a refusal, or None (the config target)."""
    setting = first.write.get("branch")
    revision = str(app.source.get("targetRevision") or "HEAD")
    base, push = revision, ""
    if setting is not None:
        text = str(setting.value)
        if text.count(":") > 1:
            message = f"git-branch {text!r} holds more than one ':'"
            read.finding("error", first.finding_object, setting.field, setting.location, message)
            return message
        base, _, push = text.partition(":")
        base = base or revision
    if base in ("", "HEAD"):
        base = read.context.git.branch  # the remote's default branch, taken as git.branch
    if base != read.context.git.branch:
        where = setting.location if setting is not None else app.document.at("spec")
        message = f"reads revision {base}; this configuration reads branch {read.context.git.branch}"
        read.sources.not_served.append(NotServed(app.title, where, message))
        return message
    if not push:
        return None
    assert setting is not None
    branch = BranchTemplate(app.name, app.namespace, push, {})
    try:
        rendered = branch.render([("", "1.0.0", "1.0.1")]) if branch.per_change else branch.render([])
    except GoTemplateError as exc:
        message = f"git-branch template: {exc} (.AppName, .AppNamespace, .SHA256 and .Images are set)"
        read.finding("error", first.finding_object, setting.field, setting.location, message)
        return message
    if not branch.per_change and rendered == read.context.git.branch:
        return None
    return DerivedTarget(
        id=f"{read.context.id_prefix}argocd:{app.ref}",
        kind=app.document.kind,
        object=app.ref,
        location=setting.location,
        checkout_branch=base,
        push_branch=base if branch.per_change else rendered,
        paths=[app.path],
        branch_for=branch if branch.per_change else None,
    )


@dataclass
class BranchTemplate:
    """``git-branch: base:TEMPLATE`` when the template names the changes (``.SHA256``, ``.Images``): the branch
    is known once the cycle has decided, as in argocd-image-updater's ``TemplateBranchName``."""

    app: str
    namespace: str
    source: str
    images: dict[str, tuple[str, str]]  # derived image name → (repository path without registry, alias)

    @property
    def per_change(self) -> bool:
        return ".SHA256" in self.source or ".Images" in self.source

    def __call__(self, changes: Sequence[tuple[str, str, str]]) -> str:
        return self.render(changes)

    def render(self, changes: Sequence[tuple[str, str, str]]) -> str:
        """``changes``: (image name, old tag, new tag), each image once."""
        digest = hashlib.sha256()
        images = []
        for name, old, new in changes:
            path, alias = self.images.get(name, (name, ""))
            digest.update(f"{path}-{old}-{new},".encode())
            images.append({"Name": path, "Alias": alias, "OldTag": old, "NewTag": new})
        data = {"AppName": self.app, "AppNamespace": self.namespace, "SHA256": digest.hexdigest(), "Images": images}
        return parse_go_template(self.source).render(data)[:255]
