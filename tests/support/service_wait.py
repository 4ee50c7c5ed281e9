"""Waiting for asynchronous outcomes with a deadline that guards against hangs, never measures speed."""

from __future__ import annotations

import asyncio
from collections.abc import Callable


async def until(condition: Callable[[], bool], what: str, deadline: float = 20.0) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + deadline
    while not condition():
        if loop.time() > end:
            raise AssertionError(f"gave up waiting for {what}")
        await asyncio.sleep(0.01)


async def settle(rounds: int = 20) -> None:
    """Let every ready task run a few steps (ordering, not time)."""
    for _ in range(rounds):
        await asyncio.sleep(0)
