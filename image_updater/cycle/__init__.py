"""One update cycle wiring settings → registry scan → policy → manifest edit → git delivery → forge."""

from image_updater.cycle.index import CachedFile, ParseCache, RepoIndex, index_repo
from image_updater.cycle.model import Binding, CyclePlan, FileEdit, ImageScan
from image_updater.cycle.plan import Decisions, decide, pins_wanted, plan_edits, write_edits
from image_updater.cycle.promotion import Indexed
from image_updater.cycle.report import render_report, unified_diff
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
from image_updater.cycle.target import TargetReport, TargetRunner
from image_updater.cycle.targets import DEFAULT_TARGET, conflicts, overlap, resolve, shared_workdirs, targets_of

__all__ = [
    "DEFAULT_TARGET",
    "Binding",
    "CachedFile",
    "CyclePlan",
    "CycleReport",
    "CycleScanner",
    "CycleSettings",
    "Decisions",
    "FileEdit",
    "FleetSettings",
    "FollowSettings",
    "ImageOverride",
    "ImageScan",
    "ImageSettings",
    "Indexed",
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
    "index_repo",
    "overlap",
    "pins_wanted",
    "plan_edits",
    "render_report",
    "resolve",
    "scan_images",
    "shared_workdirs",
    "targets_of",
    "unified_diff",
    "write_edits",
]
