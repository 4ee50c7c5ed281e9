"""``run --once`` and ``plan``: one cycle, printed."""

from __future__ import annotations

import sys

from image_updater.config import Settings
from image_updater.cycle import Updater, render_report


async def run_once(settings: Settings, *, dry_run: bool, only: frozenset[str] | None = None) -> int:
    updater = Updater(settings)
    try:
        report = await updater.run_cycle(only, dry_run=dry_run)
    finally:
        await updater.aclose()
    sys.stdout.write(render_report(report))
    if not report.ok or report.all_errors:
        print(f"image-updater: cycle finished with {len(report.all_errors)} error(s)", file=sys.stderr)
        return 1
    return 0
