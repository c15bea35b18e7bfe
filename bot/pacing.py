"""Spacing sends so the bot stays below Teams' rate limits (per conversation, and per tenant)."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable

# Teams, per bot per conversation: 7 messages a second, 8 in 2 s, 60 in 30 s, 1800 an hour.
CONVERSATION_WINDOWS = ((8, 2.0), (60, 30.0), (1800, 3600.0))


class Pacer:
    """Hands out send slots per key: at least `interval` seconds apart, and at most `count` slots in any
    `seconds`-long window for each (count, seconds) of `windows`."""

    def __init__(
        self,
        interval: float,
        windows: tuple[tuple[int, float], ...] = (),
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._interval = interval
        self._windows = windows
        self._span = max((seconds for _, seconds in windows), default=0.0)
        self._now = monotonic
        self._sleep = sleep
        self._slots: dict[str, deque[float]] = {}

    async def wait(self, key: str) -> None:
        """Wait for this key's next slot and reserve it."""
        now = self._now()
        slots = self._slots.setdefault(key, deque())
        while slots and slots[0] < now - max(self._span, self._interval):
            slots.popleft()
        slot = max(now, slots[-1] + self._interval) if slots else now
        for count, seconds in self._windows:
            recent = [s for s in slots if s > slot - seconds]
            if len(recent) >= count:
                slot = max(slot, recent[-count] + seconds)
        slots.append(slot)
        if slot > now:
            await self._sleep(slot - now)
        if len(self._slots) > 10_000:
            self._forget_idle(now)

    def _forget_idle(self, now: float) -> None:
        horizon = max(self._span, self._interval)
        self._slots = {key: slots for key, slots in self._slots.items() if slots and slots[-1] > now - horizon}
