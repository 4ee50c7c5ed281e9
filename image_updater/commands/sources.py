"""``image-updater sources``: what the sources of each target's checkout amount to, without any registry."""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from image_updater.config import Settings
from image_updater.cycle import DEFAULT_TARGET, TargetRunner, describe
from image_updater.logs import configure_logging


async def run_sources(settings: Settings, *, output: str = "text") -> int:
    """Fetch each target that reads ``sources`` into a scratch folder, read its objects, print them.

    Exit 1 when any finding is an error (that object or image is not served), as ``plan`` does.
    """
    configure_logging(settings.service.log_format, settings.service.log_level)
    targets = [t for t in settings.cycle_targets if t.sources]
    if not targets:
        print("image-updater: no target reads sources (set sources: [flux, argocd])", file=sys.stderr)
        return 1
    several = len(settings.cycle_targets) > 1 or any(t.name != DEFAULT_TARGET for t in settings.cycle_targets)
    scratch = Path(tempfile.mkdtemp(prefix="image-updater-sources-"))
    reports: list[dict[str, Any]] = []
    try:
        for target in targets:
            runner = TargetRunner(
                target, settings.manifests, scratch / target.name, registries=settings.registries, has_targets=several
            )
            await asyncio.to_thread(runner.repo.sync)
            assert runner.sources is not None
            reports.append(describe(await asyncio.to_thread(runner.sources.refresh, runner.repo.root)))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    merged: dict[str, Any] = {key: [] for key in ("policies", "targets", "findings", "not_served", "unchanged")}
    for report in reports:
        for key in merged:
            merged[key].extend({"read_by": report["read_by"], **entry} for entry in report[key])
    if output == "json":
        sys.stdout.write(json.dumps(merged, indent=2) + "\n")
    else:
        sys.stdout.write(_text(merged))
    return 1 if any(f["severity"] == "error" for f in merged["findings"]) else 0


def _at(entry: dict[str, Any]) -> str:
    return f"{entry['file']}:{entry['line']}"


def _text(report: dict[str, Any]) -> str:
    out: list[str] = []
    for policy in report["policies"]:
        state = policy["status"] + (f": {policy['reason']}" if policy["reason"] else "")
        out.append(f"{policy['image']} ({state})")
        out.append(f"  {policy['plan']}")
        for extra in policy["contributes"]:
            out.append(f"  also {_at(extra)}")
        if policy["maps_to"]:
            out.append(f"  maps to: {json.dumps(policy['maps_to'], sort_keys=True)}")
        for key, value in policy["new_settings"].items():
            out.append(f"  {key}: {json.dumps(value, sort_keys=True)}")
        if policy["served_by"]:
            out.append(f"  served by: {', '.join(policy['served_by'])}")
    for target in report["targets"]:
        branch = target["checkout_branch"]
        if target["push_branch"] != branch:
            branch += f" → {target['push_branch']}"
        where = f" ({target['kind']} {target['object']}, {_at(target)})" if "kind" in target else ""
        out.append(f"target {target['id']}{where}: {branch}, paths {', '.join(target['paths'])}")
        out.append(f"  author {target['author']['name']} <{target['author']['email']}>")
        out.append(f"  images: {', '.join(target['images']) or '(none)'}")
    for finding in report["findings"]:
        out.append(
            f"{finding['severity']} {_at(finding)}: {finding['object']} {finding['field']}: {finding['message']}"
        )
    for entry in report["not_served"]:
        out.append(f"not served {_at(entry)}: {entry['object']}: {entry['message']}")
    for entry in report["unchanged"]:
        out.append(f"unchanged {_at(entry)}: {entry['value']}: {entry['message']}")
    return "\n".join(out) + "\n"
