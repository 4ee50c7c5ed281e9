"""``run --once`` and ``plan``: one cycle, printed."""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from image_updater.config import Settings
from image_updater.cycle import Updater, render_report
from image_updater.logs import configure_logging


async def run_once(
    settings: Settings, *, dry_run: bool, only: frozenset[str] | None = None, targets: frozenset[str] | None = None
) -> int:
    """One cycle. ``plan`` (``dry_run``) clones into a folder of its own: it is often run beside a
    service (``kubectl exec … image-updater plan``) whose checkout it must not disturb."""
    configure_logging(settings.service.log_format, settings.service.log_level)  # as the service does: redacted
    scratch = Path(tempfile.mkdtemp(prefix="image-updater-plan-")) if dry_run else None
    updater = Updater(settings, workdir=scratch / "checkouts" if scratch else None)
    try:
        report = await updater.run_cycle(only, dry_run=dry_run, targets=targets)
    finally:
        await updater.aclose()
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
    sys.stdout.write(render_report(report))
    if report.all_errors:
        print(f"image-updater: cycle finished with {len(report.all_errors)} error(s)", file=sys.stderr)
        return 1
    return 0
