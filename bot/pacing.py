"""Spacing sends so the bot stays below Teams' rate limits (per conversation, and per tenant)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable


class Pacer:
    """Hands out send slots at least `interval` seconds apart per key."""

    def __init__(
        self,
        interval: float,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._interval = interval
        self._now = monotonic
        self._sleep = sleep
        self._next: dict[str, float] = {}

    async def wait(self, key: str) -> None:
        """Wait for this key's next slot and reserve it."""
        now = self._now()
        slot = max(now, self._next.get(key, now))
        self._next[key] = slot + self._interval
        if slot > now:
            await self._sleep(slot - now)
        if len(self._next) > 10_000:
            self._forget_idle()

    def _forget_idle(self) -> None:
        now = self._now()
        self._next = {key: slot for key, slot in self._next.items() if slot > now}
