"""Client-side pacing per tenant, so the desk stays inside a Microsoft API's published limits instead of
learning them from 429s (Graph's service communications API: 240 requests a minute and 800 an hour, per app
per tenant)."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence

# (requests, seconds): Graph service communications, per app per tenant.
SERVICE_COMMUNICATIONS_LIMITS: tuple[tuple[int, float], ...] = ((240, 60.0), (800, 3600.0))


class TenantRateLimiter:
    """Sliding windows per tenant: `acquire` returns at once while every window has room, else waits until the
    oldest request in the full window leaves it. One limiter must be shared by every client of the same app,
    because the limits count the app's requests, not a client's."""

    def __init__(
        self,
        limits: Sequence[tuple[int, float]] = SERVICE_COMMUNICATIONS_LIMITS,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if not limits or any(count < 1 or period <= 0 for count, period in limits):
            raise ValueError("each limit needs at least one request and a positive period")
        self._limits = tuple(limits)
        self._clock = clock
        self._sleep = sleep
        self._sent: dict[str, deque[float]] = {}
        # Only the newest `largest` request times matter for any window.
        self._largest = max(count for count, _ in self._limits)

    async def acquire(self, tenant_id: str) -> None:
        """Wait until a request to `tenant_id` fits every window, then count it."""
        key = tenant_id.lower()
        while True:
            now = self._clock()
            sent = self._sent.setdefault(key, deque(maxlen=self._largest))
            wait = self._wait(sent, now)
            if wait <= 0:
                # No await between the check and the append, so concurrent tasks cannot overbook a window.
                sent.append(now)
                return
            await self._sleep(wait)

    def pending(self, tenant_id: str) -> float:
        """Seconds a request to `tenant_id` would wait now (0 when it may go at once)."""
        sent = self._sent.get(tenant_id.lower())
        return self._wait(sent, self._clock()) if sent else 0.0

    def _wait(self, sent: deque[float], now: float) -> float:
        wait = 0.0
        for count, period in self._limits:
            if len(sent) < count:
                continue
            # The count-th newest request must have left the window before another may enter it.
            oldest_in_window = sent[-count]
            wait = max(wait, oldest_in_window + period - now)
        return wait
