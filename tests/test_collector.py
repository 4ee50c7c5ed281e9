"""The collector settings the CLI and the service apply (``image_updater.collector``); their effect is measured
in ``bench/gc_effect.py``, not here."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from image_updater import collector
from image_updater.cli import entry, main


@pytest.fixture(autouse=True)
def restored() -> Iterator[None]:
    threshold = gc.get_threshold()
    yield
    gc.set_threshold(*threshold)
    gc.unfreeze()


class _Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the collector frees it


def test_the_process_collects_the_young_generation_less_often_and_keeps_the_older_ratios() -> None:
    gc.set_threshold(700, 10, 10)
    assert entry(["version"]) == 0
    assert gc.get_threshold() == (collector.YOUNG_THRESHOLD, 10, 10)


def test_main_called_in_another_programs_process_leaves_its_collector_alone() -> None:
    gc.set_threshold(700, 10, 10)
    assert main(["version"]) == 0
    assert gc.get_threshold() == (700, 10, 10)


def test_settling_frees_the_garbage_first_and_then_freezes_what_is_alive() -> None:
    garbage = _Node()
    gone = weakref.ref(garbage)
    del garbage
    alive = _Node()
    collector.settle(collect=True)
    assert gone() is None
    assert gc.get_freeze_count() > 0 and alive.me is alive
