"""The plan for people: a summary first, the delivery, one line per image with where it is written,
then what was skipped or has no effect, the errors and the diffs; ``verbose`` adds every tag's verdict.

Thirty images once printed 479 lines with the delivery line buried in them; now the default is one line
per image and the reasons behind each choice are one flag away.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from image_updater.cycle.model import FileEdit
from image_updater.cycle.outcome import Counts, ImageOutcome, image_outcomes
from image_updater.cycle.run import CycleReport
from image_updater.cycle.target import TargetReport
from image_updater.cycle.targets import DEFAULT_TARGET
from image_updater.delivery import GroupOutcome
from image_updater.manifests import unified_diff as text_diff
from image_updater.policy import Verdict

MAX_VERDICTS = 15
_VERBS = {"update": "→", "current": "=", "waiting": "=", "error": "!"}


def _verdict_lines(verdicts: Iterable[Verdict]) -> list[str]:
    items = list(verdicts)
    shown = [v for v in items if v.accepted][:MAX_VERDICTS]
    shown += [v for v in items if not v.accepted][: max(0, MAX_VERDICTS - len(shown))]
    lines = [f"      {'+' if v.accepted else '-'} {v.tag:<32} {v.reason}" for v in shown]
    if len(items) > len(shown):
        lines.append(f"      … {len(items) - len(shown)} more tags")
    return lines


def unified_diff(edit: FileEdit) -> str:
    if edit.edit is None:
        return ""
    if not edit.created:
        return text_diff(edit.path, edit.source(), edit.edit)
    after = edit.after().decode("utf-8", "replace").splitlines(keepends=True)
    return "".join(difflib.unified_diff([], after, f"a/{edit.path}", f"b/{edit.path}"))


def delivery_line(outcome: GroupOutcome) -> str:
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
    return line


def _image_line(outcome: ImageOutcome, width: int) -> str:
    current = ", ".join(outcome.current) or "(none)"
    if outcome.status == "error":
        return f"  {outcome.name:<{width}} {current} ! error: {outcome.error}"
    where = ", ".join(f"{r.path}:{r.line}" for r in outcome.references)
    target = outcome.chosen or "(none)"
    return f"  {outcome.name:<{width}} {current} {_VERBS[outcome.status]} {target}  {outcome.reason}  [{where}]"


def _target_lines(report: TargetReport, verbose: bool) -> list[str]:
    outcomes = image_outcomes(report)
    out = [*report.preamble, Counts.of(outcomes, report).sentence()]
    out.extend(delivery_line(o) for o in report.outcomes)
    width = max([len(o.name) for o in outcomes] + [4])
    for outcome in outcomes:
        out.append(_image_line(outcome, width))
        if verbose:
            if outcome.origin:
                out.append(f"      policy from {outcome.origin}")
            out.extend(_verdict_lines(outcome.verdicts))
    for skipped in report.plan.skipped:
        out.append(f"skipped {skipped.path}:{skipped.line} ({skipped.manager}): {skipped.skipped}")
    for finding in report.findings:
        out.append(f"note: {finding.where + ': ' if finding.where else ''}{finding.message}")
    out.extend(f"error: {error}" for error in report.all_errors)
    diffs = [unified_diff(f) for f in report.plan.changed_files]
    if diffs:
        out.append("")
        out.extend(d.rstrip("\n") for d in diffs)
    return out


def render_report(report: CycleReport, *, verbose: bool = False) -> str:
    """Per target (with a header once there is more than the implicit one); a total line first when
    there are several."""
    named = len(report.targets) > 1 or any(name != DEFAULT_TARGET for name in report.targets)
    out: list[str] = []
    if len(report.targets) > 1:
        total = sum(
            (Counts.of(image_outcomes(t), t) for t in report.targets.values()),
            Counts(0, 0, 0, 0, 0, 0, 0),
        )
        out += [f"{len(report.targets)} targets, {total.sentence()}", ""]
    for name, target in report.targets.items():
        if named:
            out.append(f"== target {name}")
        out.extend(_target_lines(target, verbose))
        if named:
            out.append("")
    out.extend(f"error: {error}" for error in report.errors)
    return "\n".join(out).rstrip("\n") + "\n"
