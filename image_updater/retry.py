"""The one backoff: how long to wait before retry ``attempt`` (0 = the first retry), for registries and pushes alike."""

from __future__ import annotations

import random


def backoff_delay(attempt: int, first: float, cap: float) -> float:
    """Exponential backoff with "equal jitter": ``first * 2**attempt`` (at most ``cap``), half fixed, half random.

    The random half spreads out writers that failed together, so they do not collide again on the
    next try; the fixed half keeps each retry meaningfully later than the previous one.
    """
    ceiling = min(first * 2.0 ** min(attempt, 30), cap)
    return ceiling * (0.5 + random.random() / 2)
