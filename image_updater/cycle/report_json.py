"""The plan for CI: one JSON document, versioned, validated against docs/plan.schema.json in the tests.

A consumer checks ``version`` (1 here) and may rely on every field the schema marks required; fields
are only ever added within a version. ``exit_code`` is what ``plan --exit-code`` returns.
"""

from __future__ import annotations

import json
from typing import Any

from image_updater.cycle.outcome import Counts, image_outcomes, pending
from image_updater.cycle.report import unified_diff
from image_updater.cycle.run import CycleReport
from image_updater.cycle.target import TargetReport
from image_updater.secrets import redact_url

SCHEMA_VERSION = 1
EXIT_NOTHING, EXIT_ERROR, EXIT_PENDING = 0, 1, 2


def exit_code(report: CycleReport) -> int:
    """Terraform's ``-detailed-exitcode``: 0 nothing to do, 2 changes pending, 1 an error."""
    if report.all_errors:
        return EXIT_ERROR
    return EXIT_PENDING if any(pending(t) for t in report.targets.values()) else EXIT_NOTHING


def _counts(counts: Counts) -> dict[str, int]:
    return dict(vars(counts))


def _target(name: str, report: TargetReport, git: Any) -> tuple[dict[str, Any], Counts]:
    outcomes = image_outcomes(report)
    counts = Counts.of(outcomes, report)
    return {
        "name": name,
        "repository": redact_url(git.url) if git is not None else None,
        "branch": git.branch if git is not None else None,
        "summary": _counts(counts),
        "delivery": [
            {
                "group": o.group,
                "action": o.action,
                "branch": o.branch,
                "commit": o.commit,
                "pull_request": o.pull_request,
                "title": o.title,
                "changes": len(o.changes),
            }
            for o in report.outcomes
        ],
        "images": [
            {
                "name": o.name,
                "image": o.image,
                "origin": o.origin,
                "status": o.status,
                "current": o.current,
                "chosen": o.chosen,
                "reason": o.reason,
                "error": o.error,
                "references": [{"path": r.path, "line": r.line, "old": r.old, "new": r.new} for r in o.references],
                "verdicts": [{"tag": v.tag, "accepted": v.accepted, "reason": v.reason} for v in o.verdicts],
            }
            for o in outcomes
        ],
        "skipped": [
            {"path": f.path, "line": f.line, "manager": f.manager, "reason": f.skipped} for f in report.plan.skipped
        ],
        "findings": [{"kind": f.kind, "message": f.message, "path": f.path, "line": f.line} for f in report.findings],
        "errors": report.all_errors,
        "diff": "".join(unified_diff(f) for f in report.plan.changed_files),
    }, counts


def render_json(report: CycleReport, gits: dict[str, Any]) -> str:
    """``gits``: each target's git settings (repository and branch are named, the URL redacted)."""
    made = [_target(name, t, gits.get(name)) for name, t in report.targets.items()]
    targets = [document for document, _ in made]
    total = sum((counts for _, counts in made), Counts(0, 0, 0, 0, 0, 0, 0))
    document = {
        "version": SCHEMA_VERSION,
        "dry_run": report.dry_run,
        "exit_code": exit_code(report),
        "summary": {"targets": len(targets), **_counts(total)},
        "targets": targets,
        "errors": report.all_errors,
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
