"""Flux image automation objects (``image.toolkit.fluxcd.io`` v1 and v1beta2) as images and targets.

ImageRepository + ImagePolicy → one image named ``<namespace>:<policy>`` (exactly the text of the markers
that name it), bound by those markers only. ImageUpdateAutomation → one target ``flux:<namespace>/<name>``
on this repository: its checkout and push branches, ``update.path``, author and commit message template,
serving the policies of its namespace its ``policySelector`` selects. docs/migrating.md says what carries
over and what differs; every field not understood is a finding with its file and line.

``objects`` picks the Flux objects out of a checkout; ``images`` and ``automations`` read each kind;
``reader`` serves them together and explains markers; ``message`` renders the commit message template.
"""

from image_updater.sources.flux.objects import IMAGE_GROUP
from image_updater.sources.flux.reader import FluxReader, read_flux

__all__ = ["IMAGE_GROUP", "FluxReader", "read_flux"]
