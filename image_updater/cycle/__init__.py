"""One update cycle wiring settings → registry scan → policy → manifest edit → git delivery → forge."""

from image_updater.cycle.edit import CachedFile, ParseCache, RepoIndex, decide, index_repo, plan_edits, write_edits
from image_updater.cycle.model import Binding, CyclePlan, FileEdit, ImageScan
from image_updater.cycle.report import render_report, unified_diff
from image_updater.cycle.run import CycleReport, Updater
from image_updater.cycle.scan import scan_images
from image_updater.cycle.settings import CycleSettings, ImageSettings, ScheduleSettings

__all__ = [
    "Binding",
    "CachedFile",
    "CyclePlan",
    "CycleReport",
    "CycleSettings",
    "FileEdit",
    "ImageScan",
    "ImageSettings",
    "ParseCache",
    "RepoIndex",
    "ScheduleSettings",
    "Updater",
    "decide",
    "index_repo",
    "plan_edits",
    "render_report",
    "scan_images",
    "unified_diff",
    "write_edits",
]
