"""Reading a checkout's argocd-image-updater configuration: which Applications there are (written or
generated), which images each wants, and whether and where each is served. Decisions that hold for a whole
Application (write-back method, repository, branch) are taken once, for all its images.
"""

from __future__ import annotations

import posixpath

from image_updater.reference import split_name
from image_updater.sources.argocd.annotations import application, check_annotations
from image_updater.sources.argocd.applicationsets import generated
from image_updater.sources.argocd.branches import BranchTemplate, branch_of
from image_updater.sources.argocd.current import helm_current, kustomize_current, source_type
from image_updater.sources.argocd.images import derived_image
from image_updater.sources.argocd.imageupdater import wanted_images
from image_updater.sources.argocd.model import APP_GROUP, CR_GROUP, App, ArgocdRead, Wanted, WriteBackPlan
from image_updater.sources.argocd.writeback import create_override, write_back, write_back_plan
from image_updater.sources.common import Context
from image_updater.sources.files import Checkout
from image_updater.sources.model import DerivedImage, DerivedTarget, Note, NotServed, SourceSet


class ArgocdReader(ArgocdRead):
    """One read of a checkout's argocd-image-updater configuration into ``sources``."""

    def read(self) -> None:
        apps: list[App] = []
        for document in self.checkout.documents:
            if document.file in self.checkout.patches:
                continue
            if document.group == APP_GROUP and document.kind == "Application":
                apps.append(application(self, document))
            elif document.group == APP_GROUP and document.kind == "ApplicationSet":
                apps.extend(generated(self, document))
        for app in apps:
            if not app.generated or app.name == min(a.name for a in apps if a.document is app.document):
                check_annotations(self, app)
        updaters = [d for d in self.checkout.documents if d.group == CR_GROUP and d.kind == "ImageUpdater"]
        for app in apps:
            wanted = wanted_images(self, app, updaters)
            if wanted:
                self._serve(app, wanted)

    # -- serving ----------------------------------------------------------------------------------------
    def _serve(self, app: App, wanted: list[Wanted]) -> None:
        refusal = self._app_refusal(app, wanted[0])
        branch_target: DerivedTarget | None = None
        if refusal is None:
            branched = branch_of(self, app, wanted[0])
            if isinstance(branched, str):
                refusal = branched
            else:
                branch_target = branched
        images = [(item, derived_image(self, item)) for item in wanted]
        plan: WriteBackPlan | None = None
        if refusal is None and any(image.status == "served" for _, image in images):
            planned = write_back_plan(self, app, wanted[0])
            if isinstance(planned, str):
                refusal = planned
            else:
                plan = planned
        for _, image in images:
            if refusal is not None and image.status == "served":
                image.status, image.reason = "not served", refusal
        served: list[tuple[Wanted, DerivedImage]] = []
        for item, image in images:
            if image.status == "served" and plan is not None:
                write_back(self, item, image, plan)
            if image.status == "served":
                served.append((item, image))
        target_id = self.context.config_target if branch_target is None else branch_target.id
        if plan is not None and plan.kind == "argocd-source" and not plan.exists:
            create_override(self, app, plan, served)
        for item, image in images:
            if image.status in ("error", "not served"):
                self._note_unserved(item, image)
        for item, image in images:
            if image.status in ("served", "not found"):
                image.served_by = [target_id]
            if branch_target is not None and image.status == "served":
                branch_target.images.append(image.name)
                if isinstance(branch_target.branch_for, BranchTemplate):
                    branch_target.branch_for.images[image.name] = (split_name(item.path)[1], item.alias or "")
            self.sources.images.append(image)
        if branch_target is not None and branch_target.images:
            folders = sorted({posixpath.dirname(s) or "." for _, i in served for s in i.scope})
            branch_target.paths = folders or [app.path]
            self.sources.targets.append(branch_target)

    def _note_unserved(self, item: Wanted, image: DerivedImage) -> None:
        """Where an image that is not served is deployed now, and why it stays (read, never edited)."""
        app_type = source_type(self, item.app)
        found = helm_current(self, item) if app_type == "helm" else kustomize_current(self, item) if app_type else None
        if found is not None:
            self.sources.notes.append(
                Note(found[1], str(found[0]), f"{image.name} is not updated: {image.reason or image.status}")
            )

    def _app_refusal(self, app: App, first: Wanted) -> str | None:
        """Why none of an Application's images is served (the same for all of them), or None."""
        method = first.write.get("method")
        value = str(method.value).strip() if method is not None else "argocd"
        where = method.location if method is not None else first.location
        if value == "argocd":
            message = (
                "write-back-method argocd writes to the cluster, not to Git: set write-back-method: git to let "
                "image-updater write it"
            )
            if method is not None:
                self.finding("warning", first.finding_object, method.field, where, message)
            self.sources.not_served.append(NotServed(app.title, where, message))
            return message
        if not (value == "git" or value.startswith("git:")):
            message = f"write-back-method {value!r} is not argocd, git, git:repocreds or git:secret:NS/NAME"
            self.finding("error", first.finding_object, method.field if method else "", where, message)
            return message
        if value.startswith("git:secret:") and method is not None:
            self.finding(
                "info",
                first.finding_object,
                method.field,
                where,
                "git credentials come from git.token_file/token_env or git.ssh_key_file, not from this Secret",
            )
        repository = first.write.get("repository")
        url = str(repository.value) if repository is not None else str(app.source.get("repoURL") or "")
        if not self.context.git.names_this_repository(url):
            where = repository.location if repository is not None else app.document.at("spec")
            message = self.context.other_repository(url)
            self.sources.not_served.append(NotServed(app.title, where, message))
            return message
        if app.source.get("_kind") == "unsupported":
            message = "multiple sources without one of this repository"
            self.sources.not_served.append(NotServed(app.title, app.document.at("spec"), message))
            return message
        return None


def read_argocd(checkout: Checkout, context: Context, sources: SourceSet) -> None:
    ArgocdReader(checkout, context, sources).read()
