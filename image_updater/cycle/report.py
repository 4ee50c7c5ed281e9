"""The plan for people: a summary first, the delivery, one line per image with where it is written,
then what was skipped or has no effect, the errors and the diffs; ``verbose`` adds every tag's verdict.

Thirty images once printed 479 lines with the delivery line buried in them; now the default is one line
per image and the reasons behind each choice are one flag away.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Iterator

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


def _target_lines(report: TargetReport, outcomes: list[ImageOutcome], verbose: bool) -> Iterator[str]:
    yield from report.preamble
    yield Counts.of(outcomes, report).sentence()
    yield from (delivery_line(o) for o in report.outcomes)
    width = max([len(o.name) for o in outcomes] + [4])
    for outcome in outcomes:
        yield _image_line(outcome, width)
        if verbose:
            if outcome.origin:
                yield f"      policy from {outcome.origin}"
            yield from _verdict_lines(outcome.verdicts)
    for skipped in report.plan.skipped:
        yield f"skipped {skipped.path}:{skipped.line} ({skipped.manager}): {skipped.skipped}"
    for finding in report.findings:
        yield f"note: {finding.where + ': ' if finding.where else ''}{finding.message}"
    yield from (f"error: {error}" for error in report.all_errors)
    if report.plan.changed_files:
        yield ""
        # One file's diff at a time: at 10,000 files they are 13 MB of text, held once, never all at once.
        yield from (unified_diff(f).rstrip("\n") for f in report.plan.changed_files)


def _lines(report: CycleReport, verbose: bool) -> Iterator[str]:
    named = len(report.targets) > 1 or any(name != DEFAULT_TARGET for name in report.targets)
    outcomes = {name: image_outcomes(target) for name, target in report.targets.items()}
    if len(report.targets) > 1:
        total = sum(
            (Counts.of(outcomes[name], t) for name, t in report.targets.items()),
            Counts(0, 0, 0, 0, 0, 0, 0),
        )
        yield f"{len(report.targets)} targets, {total.sentence()}"
        yield ""
    for name, target in report.targets.items():
        if named:
            yield f"== target {name}"
        yield from _target_lines(target, outcomes[name], verbose)
        if named:
            yield ""
    yield from (f"error: {error}" for error in report.errors)


def write_report(report: CycleReport, write: Callable[[str], object], *, verbose: bool = False) -> None:
    """The report, per target (with a header once there is more than the implicit one; a total line first
    when there are several), handed to ``write`` a line at a time: the lines joined by newlines, without
    trailing blank lines, ending in one newline."""
    joined(_lines(report, verbose), write)


def joined(lines: Iterable[str], write: Callable[[str], object]) -> None:
    """``write("\\n".join(lines).rstrip("\\n") + "\\n")``, a piece at a time, never holding all of it."""
    pending, first = "", True
    for line in lines:
        pending += line if first else "\n" + line
        first = False
        end = len(pending.rstrip("\n"))
        if end:  # all up to the last character that is not a newline is final; newlines after it may trail
            write(pending[:end])
            pending = pending[end:]
    write("\n")


def render_report(report: CycleReport, *, verbose: bool = False) -> str:
    """``write_report``'s text as one string."""
    parts: list[str] = []
    write_report(report, parts.append, verbose=verbose)
    return "".join(parts)
