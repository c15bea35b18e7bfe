"""Background jobs that run on an interval, one instance at a time across processes (a lease in the database)."""

from __future__ import annotations

import asyncio
import logging
import socket
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta

from desk.service import Desk

logger = logging.getLogger(__name__)
INSTANCE = f"{socket.gethostname()}:{uuid.uuid4().hex[:8]}"


class Periodic:
    """Runs `work` every `interval` seconds while this instance holds the job's lease."""

    def __init__(
        self,
        name: str,
        interval: float,
        work: Callable[[], Awaitable[object]],
        desk: Desk,
        holder: str = INSTANCE,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.name = name
        self._interval = interval
        self._work = work
        self._desk = desk
        self._holder = holder
        self._sleep = sleep

    async def tick(self) -> bool:
        """One round: take (or renew) the lease and do the work; False when another instance holds the lease."""
        ttl = timedelta(seconds=max(30.0, self._interval * 3))
        if not await self._desk.hold_lease(self.name, self._holder, ttl):
            return False
        await self._work()
        return True

    async def run(self) -> None:
        """Tick every interval (the first one interval after start, so a restart does not stampede Microsoft's
        APIs); a failing round is logged and the next one runs on time."""
        while True:
            await self._sleep(self._interval)
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("background job %s failed", self.name)
