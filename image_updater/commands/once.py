"""``run --once`` and ``plan``: one cycle, printed for people (text) or for CI (``--json``)."""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from image_updater.config import Settings
from image_updater.cycle import CycleReport, ImageSettings, Updater, exit_code, render_json, write_report
from image_updater.errors import ConfigError
from image_updater.logs import configure_logging


@dataclass(frozen=True)
class PlanOutput:
    verbose: bool = False
    json: bool = False
    exit_code: bool = False  # 0 nothing to do, 2 changes pending, 1 error (Terraform's -detailed-exitcode)


def _check_images(settings: Settings, only: frozenset[str] | None, found: Sequence[ImageSettings] = ()) -> None:
    """``plan --image NAME`` naming no image would plan nothing, silently. ``found``: the images the sources
    read (``flux-system:web``), known only once the checkouts are read."""
    known = {image.name for image in (*settings.images, *found)}
    unknown = sorted((only or frozenset()) - known)
    if unknown:
        raise ConfigError(f"--image {', '.join(unknown)} names no configured image (known: {', '.join(sorted(known))})")


async def run_once(
    settings: Settings,
    *,
    dry_run: bool,
    only: frozenset[str] | None = None,
    targets: frozenset[str] | None = None,
    output: PlanOutput = PlanOutput(),
) -> int:
    """One cycle. ``plan`` (``dry_run``) clones into a folder of its own: it is often run beside a
    service (``kubectl exec … image-updater plan``) whose checkout it must not disturb."""
    configure_logging(settings.service.log_format, settings.service.log_level)  # as the service does: redacted
    reads_sources = any(target.sources for target in settings.cycle_targets)
    if not reads_sources:
        _check_images(settings, only)
    scratch = Path(tempfile.mkdtemp(prefix="image-updater-plan-")) if dry_run else None
    updater = Updater(settings, workdir=scratch / "checkouts" if scratch else None, cache=settings.cache_folder)
    try:
        report = await updater.run_cycle(only, dry_run=dry_run, targets=targets)
        if reads_sources:
            _check_images(settings, only, updater.derived_images())
        _print(settings, report, output)  # the diffs are read from the checkout, one file at a time
    finally:
        await updater.aclose()
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
    if output.exit_code:
        return exit_code(report)
    return 1 if report.all_errors else 0


def _print(settings: Settings, report: CycleReport, output: PlanOutput) -> None:
    if output.json:
        sys.stdout.write(render_json(report, {t.name: t.git for t in settings.cycle_targets}))
        return
    write_report(report, sys.stdout.write, verbose=output.verbose)
    if report.all_errors:
        print(f"image-updater: cycle finished with {len(report.all_errors)} error(s)", file=sys.stderr)
