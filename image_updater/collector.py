"""The cyclic garbage collector, set for a process whose state is built once and then lives long.

CPython's collector walks every tracked object of the generations it collects. After start-up the
modules, settings and pydantic models are a few hundred thousand objects that live as long as the
process; after a service's first full cycle the index of a 10,000-file repository is millions more.
With the default thresholds (700, 10, 10) collections kept walking them: 36 % of a 10,000-file plan's
samples (issue #14). ``bench/gc_effect.py`` measures what each measure here changes.
"""

from __future__ import annotations

import gc

#: Allocations (less deallocations) between young collections. Our objects are YAML nodes and facts made
#: in bulk, nearly all kept or freed by reference counting, so looking after every 700 found nothing new;
#: 50,000 keeps at most that many unreachable cycles waiting (a few MB).
YOUNG_THRESHOLD = 50_000


def tune() -> None:
    """Collect the young generation less often (the older ones keep their default ratios)."""
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)


def settle(*, collect: bool = False) -> None:
    """Move everything alive now out of the collector's sight (``gc.freeze``): what exists at this point
    (imports and settings; after the service's first cycle, its indexes) lives as long as the process.

    Frozen objects are still freed by reference counting; only a cycle among them would stay.
    ``collect``: free what is garbage first, so it is not frozen with the rest.
    """
    if collect:
        gc.collect()
    gc.freeze()
