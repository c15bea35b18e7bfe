"""Background jobs that run on an interval, one instance at a time across processes (a lease in the database).

The lease is short and independent of the job's interval: its holder renews it every RENEW_SECONDS, also while a
round runs (a round may take longer than the lease), and gives it up when it stops. Another instance that finds the
lease taken waits exactly until it ends and takes it then, so when the holder dies the job moves within one lease
period. Instances' clocks must agree to well under a lease period (NTP): lease times are written from each
instance's own clock."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from desk.clock import Clock, utc_now
from desk.outage import Backoff, Outage
from desk.service import Desk
from desk.store.database import DatabaseUnavailable

logger = logging.getLogger(__name__)
INSTANCE = f"{socket.gethostname()}:{uuid.uuid4().hex[:8]}"
LEASE = timedelta(seconds=60)
RENEW_SECONDS = 20.0  # a third of the lease: two renewals may fail (a slow database) before it runs out
RELEASE_SECONDS = 5.0  # how long a stopping instance tries to give its leases up


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
        clock: Clock = utc_now,
        outage: Outage | None = None,
    ) -> None:
        self.name = name
        self._interval = timedelta(seconds=interval)
        self._work = work
        self._desk = desk
        self._holder = holder
        self._sleep = sleep
        self._clock = clock
        self._outage = outage or Outage()
        self._backoff = Backoff(longest=RENEW_SECONDS)
        self._next_round: datetime | None = None
        self._round: asyncio.Task[object] | None = None
        self.holding = False  # what the last beat found

    async def run(self) -> None:
        """Beat until cancelled; then stop the round under way and give the lease up."""
        try:
            while True:
                try:
                    wait = await self.step()
                except Exception:
                    logger.exception("background job %s failed", self.name)
                    wait = RENEW_SECONDS
                await self._sleep(wait)
        finally:
            await self._stop()

    async def step(self) -> float:
        """One beat: take or renew the lease; start a round when one is due (the first one interval after start, so a
        restart does not stampede Microsoft's APIs) and none runs; stop ours when another instance has the lease.
        Returns the seconds until the next beat."""
        self._reap()
        began = self._outage.attempt()
        try:
            lease = await self._desk.hold_lease(self.name, self._holder, LEASE)
        except DatabaseUnavailable as error:
            self._outage.failed(error, f"job {self.name}")
            return self._backoff.next()
        self._outage.succeeded(began)
        self._backoff.reset()
        now = self._clock()
        if self._next_round is None:
            self._next_round = now + self._interval
        self.holding = lease.held
        if not lease.held:
            if self._round is not None:  # our renewals failed for a whole lease period and another instance took it
                logger.warning("background job %s moved to another instance: its round here is stopped", self.name)
                await self._cancel_round()
            return min(RENEW_SECONDS, max(0.0, (lease.until - now).total_seconds()))
        if self._round is None and now >= self._next_round:
            self._next_round = now + self._interval
            self._round = asyncio.create_task(self._call(), name=f"{self.name}-round")
        if self._round is not None:
            return RENEW_SECONDS
        return min(RENEW_SECONDS, max(0.0, (self._next_round - now).total_seconds()))

    async def tick(self) -> bool:
        """One round now, to its end, if this instance holds (or takes) the lease; False when another holds it. For
        one-off rounds (tests): the lease is not renewed while this round runs."""
        if not (await self._desk.hold_lease(self.name, self._holder, LEASE)).held:
            return False
        await self._work()
        return True

    async def _call(self) -> object:
        return await self._work()

    def _reap(self) -> None:
        """Log how a finished round ended."""
        if self._round is None or not self._round.done():
            return
        done, self._round = self._round, None
        error = None if done.cancelled() else done.exception()
        if isinstance(error, DatabaseUnavailable):
            self._outage.failed(error, f"job {self.name}")
        elif error is not None:
            logger.error("background job %s failed", self.name, exc_info=error)

    async def _cancel_round(self) -> None:
        if self._round is not None:
            self._round.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._round
            self._round = None

    async def _stop(self) -> None:
        await self._cancel_round()
        if self.holding:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._desk.release_lease(self.name, self._holder), RELEASE_SECONDS)
