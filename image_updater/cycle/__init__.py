"""One update cycle wiring settings → registry scan → policy → manifest edit → git delivery → forge."""

from image_updater.cycle.facts import FileFacts
from image_updater.cycle.index import ParseCache, RepoIndex, index_repo
from image_updater.cycle.model import Binding, CyclePlan, FileEdit, Finding, ImageScan
from image_updater.cycle.outcome import Counts, ImageOutcome, image_outcomes
from image_updater.cycle.plan import Decisions, decide, pins_wanted, plan_edits, write_edits
from image_updater.cycle.promotion import Indexed
from image_updater.cycle.report import render_report, unified_diff, write_report
from image_updater.cycle.report_json import SCHEMA_VERSION, exit_code, render_json
from image_updater.cycle.run import CycleReport, Updater
from image_updater.cycle.scan import CycleScanner, scan_images
from image_updater.cycle.settings import (
    CycleSettings,
    FleetSettings,
    FollowSettings,
    ImageOverride,
    ImageSettings,
    ScheduleSettings,
    Target,
    TargetSettings,
)
from image_updater.cycle.sources import Refreshed, TargetSources, describe
from image_updater.cycle.store import FactsStore, private_folder
from image_updater.cycle.target import Observers, TargetReport, TargetRunner
from image_updater.cycle.targets import DEFAULT_TARGET, conflicts, overlap, resolve, shared_workdirs, targets_of

__all__ = [
    "DEFAULT_TARGET",
    "SCHEMA_VERSION",
    "Binding",
    "Counts",
    "CyclePlan",
    "CycleReport",
    "CycleScanner",
    "CycleSettings",
    "Decisions",
    "FactsStore",
    "FileEdit",
    "FileFacts",
    "Finding",
    "FleetSettings",
    "FollowSettings",
    "ImageOutcome",
    "ImageOverride",
    "ImageScan",
    "ImageSettings",
    "Indexed",
    "Observers",
    "ParseCache",
    "Refreshed",
    "RepoIndex",
    "ScheduleSettings",
    "Target",
    "TargetReport",
    "TargetRunner",
    "TargetSettings",
    "TargetSources",
    "Updater",
    "conflicts",
    "decide",
    "describe",
    "exit_code",
    "image_outcomes",
    "index_repo",
    "overlap",
    "pins_wanted",
    "plan_edits",
    "private_folder",
    "render_json",
    "render_report",
    "resolve",
    "scan_images",
    "shared_workdirs",
    "targets_of",
    "unified_diff",
    "write_edits",
    "write_report",
]
