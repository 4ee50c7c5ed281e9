"""argocd-image-updater's configuration as images: Application annotations, ApplicationSet templates (list
generators) and v1 ``ImageUpdater`` resources kept in the repository.

Each image of an Application becomes ``argocd:<namespace>/<app>:<alias>`` bound only in its write-back
target (the ``.argocd-source-<app>.yaml`` file, the kustomization or the Helm values file): the manifests
it renders from are read for the current tag, never edited. An absent override file is created, in
argocd-image-updater's format, when an update makes it differ from the current state. An Application
pushing to a branch of its own (``git-branch: base:target``) becomes a target ``argocd:<ns>/<app>``.

``annotations``, ``applicationsets`` and ``imageupdater`` read the three ways of configuring it into the
records of ``model``; ``images`` maps each image's settings to a policy and registry; ``writeback``,
``current``, ``branches`` and ``source_file`` say where it is written; ``reader`` ties them together.
"""

from image_updater.sources.argocd.model import APP_GROUP, CR_GROUP, PREFIX
from image_updater.sources.argocd.reader import ArgocdReader, read_argocd

__all__ = ["APP_GROUP", "CR_GROUP", "PREFIX", "ArgocdReader", "read_argocd"]
