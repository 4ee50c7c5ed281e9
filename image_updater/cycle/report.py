"""Human-readable account of a cycle: per image what is there, what the registry has, what was chosen and why."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from image_updater.cycle.model import FileEdit
from image_updater.cycle.run import CycleReport
from image_updater.cycle.target import TargetReport
from image_updater.cycle.targets import DEFAULT_TARGET
from image_updater.policy import Verdict

MAX_VERDICTS = 15


def _verdict_lines(verdicts: Iterable[Verdict]) -> list[str]:
    items = list(verdicts)
    shown = [v for v in items if v.accepted][:MAX_VERDICTS]
    shown += [v for v in items if not v.accepted][: max(0, MAX_VERDICTS - len(shown))]
    lines = [f"      {'+' if v.accepted else '-'} {v.tag:<32} {v.reason}" for v in shown]
    if len(items) > len(shown):
        lines.append(f"      … {len(items) - len(shown)} more tags")
    return lines


def unified_diff(edit: FileEdit) -> str:
    if edit.after is None:
        return ""
    before = edit.before.decode("utf-8", "replace").splitlines(keepends=True)
    after = edit.after.decode("utf-8", "replace").splitlines(keepends=True)
    return "".join(difflib.unified_diff(before, after, f"a/{edit.path}", f"b/{edit.path}"))


def render_report(report: CycleReport) -> str:
    """The plan as people read it: per target (a header once there is more than the implicit one), per
    image what is there, what the registry has, what was chosen and why; the delivery; errors; diffs."""
    named = len(report.targets) > 1 or any(name != DEFAULT_TARGET for name in report.targets)
    out: list[str] = []
    for name, target in report.targets.items():
        if named:
            out.append(f"== target {name}")
        out.extend(_target_lines(target))
        if named:
            out.append("")
    out.extend(f"error: {error}" for error in report.errors)
    return "\n".join(out).rstrip("\n") + "\n"


def _target_lines(report: TargetReport) -> list[str]:
    out: list[str] = list(report.preamble)
    for name, scan in report.scans.items():
        image = scan.image
        out.append(f"image {name} ({image.image})")
        if image.origin:
            out.append(f"  policy from {image.origin}")
        if scan.error:
            out.append(f"  registry error: {scan.error}")
            continue
        out.append(f"  registry: {len(scan.tags or [])} tags")
        for (image_name, current), decision in sorted(report.plan.decisions.items()):
            if image_name != name:
                continue
            target = decision.chosen if decision.chosen is not None else "(none)"
            if decision.digest:
                target += f"@{decision.digest}"
            verb = "→" if decision.changed else "="
            reason = decision.reason.removeprefix(f"{target}: ")  # the policy's one-liner repeats the tag
            out.append(f"  {current} {verb} {target}: {reason}")
            out.extend(_verdict_lines(decision.verdicts))
    bound = {b.image.name for b in report.plan.bindings}
    for skipped in report.plan.skipped:
        out.append(f"skipped {skipped.path}:{skipped.line} ({skipped.manager}): {skipped.skipped}")
    if report.scans or bound:
        out.append("")
    for outcome in report.outcomes:
        line = f"delivery [{outcome.group}]: {outcome.action}"
        if outcome.branch:
            line += f" branch {outcome.branch}"
        if outcome.commit:
            line += f" commit {outcome.commit[:12]}"
        if outcome.attempts > 1:
            line += f" after {outcome.attempts} attempts"
        if outcome.pull_request:
            line += f" {outcome.pull_request}"
        if outcome.title:
            line += f" ({outcome.title})"
        out.append(line)
    for error in report.all_errors:
        out.append(f"error: {error}")
    diffs = [unified_diff(f) for f in report.plan.changed_files]
    if diffs:
        out.append("")
        out.extend(d.rstrip("\n") for d in diffs)
    return out
