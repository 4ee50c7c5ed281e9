"""``.argocd-source-<app>.yaml``: the parameter-override file argocd-image-updater writes and Argo CD reads.

Created files are byte for byte what argocd-image-updater writes (``marshalParamsOverride``: go-yaml v3,
indent 2, compact sequences): a ``kustomize.images`` list of ``[name=]image:tag`` strings, or
``helm.parameters`` sorted by name, each ``name``, ``value``, ``forcestring: true``. Scalars are plain unless
YAML would read them as something else (``"2"``, ``"1.20"``, ``"true"``), then double-quoted, as go-yaml does.
An existing file is never rewritten here: the edit engine changes its values in place.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from image_updater.manifests.scalars import reads_as_string_when_plain

#: go-yaml v3 quotes YAML 1.1 booleans too, for readers of the older schema.
_OLD_BOOLEANS = frozenset(
    {"y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF"}
)
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r"}


def scalar(value: str) -> str:
    """One string as go-yaml v3 writes it in block context."""
    if value and value not in _OLD_BOOLEANS and reads_as_string_when_plain(value):
        return value
    return '"' + re.sub(r'[\\"\n\t\r]', lambda m: _ESCAPES[m.group()], value) + '"'


def kustomize_file(images: Sequence[str]) -> bytes:
    """``kustomize: {images: [...]}``."""
    lines = ["kustomize:", "  images:", *(f"  - {scalar(image)}" for image in images)]
    return ("\n".join(lines) + "\n").encode()


def helm_file(parameters: Sequence[tuple[str, str]]) -> bytes:
    """``helm: {parameters: [...]}``, sorted by name (``types.go helmOverride``)."""
    lines = ["helm:", "  parameters:"]
    for name, value in sorted(parameters):
        lines += [f"  - name: {scalar(name)}", f"    value: {scalar(value)}", "    forcestring: true"]
    return ("\n".join(lines) + "\n").encode()


def image_name_of(entry: str) -> str:
    """The name a kustomize image entry overrides: up to its first ``=``, ``:`` or ``@`` (``MergeImage``)."""
    return re.split(r"[=:@]", entry, maxsplit=1)[0]


def merge_image(images: Sequence[str], entry: str) -> list[str]:
    """Argo CD's ``KustomizeImages.Merge``: replace the entry overriding the same name, else append."""
    out = list(images)
    for index, existing in enumerate(out):
        if image_name_of(existing) == image_name_of(entry):
            out[index] = entry
            return out
    return [*out, entry]


def file_name(app: str, namespace: str, argocd_namespace: str) -> str:
    """``.argocd-source-<app>.yaml``, or ``.argocd-source-<namespace>_<app>.yaml`` outside Argo CD's namespace."""
    if namespace and namespace != argocd_namespace:
        return f".argocd-source-{namespace}_{app}.yaml"
    return f".argocd-source-{app}.yaml"


__all__ = ["file_name", "helm_file", "image_name_of", "kustomize_file", "merge_image", "scalar"]
