"""``run --once`` and ``plan``: one cycle, printed for people (text) or for CI (``--json``)."""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from image_updater.config import Settings
from image_updater.cycle import (
    CycleReport,
    ImageSettings,
    Updater,
    exit_code,
    private_folder,
    render_json,
    write_report,
)
from image_updater.errors import ConfigError
from image_updater.logs import configure_logging, get_logger

log = get_logger(__name__)


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
    with contextlib.ExitStack() as stack:
        checkouts = stack.enter_context(_plan_checkouts(settings)) if dry_run else None
        updater = Updater(settings, workdir=checkouts, cache=settings.cache_folder)
        try:
            report = await updater.run_cycle(only, dry_run=dry_run, targets=targets)
            if reads_sources:
                _check_images(settings, only, updater.derived_images())
            _print(settings, report, output)  # the diffs are read from the checkout, one file at a time
        finally:
            await updater.aclose()
    if output.exit_code:
        return exit_code(report)
    return 1 if report.all_errors else 0


@contextlib.contextmanager
def _plan_checkouts(settings: Settings) -> Iterator[Path]:
    """Where ``plan`` clones: never the service's checkout. A folder of its own under the cache folder, kept,
    so the next ``plan`` fetches what changed instead of cloning everything again (and finds every file as
    its parse cache left it: 0.1 s of a 1.0 s ``plan`` at 200 files); else (caching off, a folder others
    may write, another ``plan`` using it) a scratch folder, removed afterwards."""
    targets = settings.cycle_targets
    folder = settings.cache_folder(targets[0]) if targets else None
    if folder is not None:
        base = folder / "plan-checkouts"
        why = private_folder(base)
        if why is None:
            fd = os.open(base, os.O_RDONLY | os.O_DIRECTORY)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                why = "another plan is using it"
            else:
                yield base
                return
            finally:
                os.close(fd)
        log.info("plan clones into a scratch folder", folder=str(base), why=why)
    scratch = Path(tempfile.mkdtemp(prefix="image-updater-plan-"))
    try:
        yield scratch / "checkouts"
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _print(settings: Settings, report: CycleReport, output: PlanOutput) -> None:
    if output.json:
        sys.stdout.write(render_json(report, {t.name: t.git for t in settings.cycle_targets}))
        return
    write_report(report, sys.stdout.write, verbose=output.verbose)
    if report.all_errors:
        print(f"image-updater: cycle finished with {len(report.all_errors)} error(s)", file=sys.stderr)
