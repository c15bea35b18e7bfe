"""This process's heartbeat (desk/instances.py): written before the process serves, renewed every BEAT_SECONDS while it
runs, removed when it stops cleanly. Other instances take over the turns this process claimed once its heartbeat has
lapsed, so a database outage must not stop the beating: each failed renewal is retried at the next beat, the outage is
one warning (shared with the other background loops, which say when it ends), and a heartbeat that could not be renewed
for its whole validity is one more warning: other instances may now process again the turns running here. That is safe
for the desk's records (each change a turn applies is recorded once, desk/deliveries.py), not for its replies, which may
then go out twice. Each beat also gives up the claims of turns that failed while the database was away (see
DirectoryService.beat)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable

from desk.instances import BEAT_SECONDS, VALIDITY
from desk.outage import Outage
from desk.service import Desk
from desk.store.database import DatabaseUnavailable

logger = logging.getLogger(__name__)
RETIRE_SECONDS = 5.0  # how long a stopping process tries to remove its heartbeat


class Heartbeat:
    """Renews `holder`'s heartbeat until cancelled."""

    def __init__(
        self,
        desk: Desk,
        holder: str,
        outage: Outage | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.holder = holder
        self._desk = desk
        self._outage = outage or Outage()
        self._sleep = sleep
        self._monotonic = monotonic
        self._renewed = monotonic()  # the heartbeat is valid until VALIDITY after this (once the first beat landed)
        self.lapsed = False  # what the last beat found: not renewed for a whole validity

    async def beat(self) -> bool:
        """Renew the heartbeat once; False when the database could not be reached."""
        try:
            await self._desk.beat(self.holder)
        except DatabaseUnavailable as error:
            self._outage.failed(error, "heartbeat")
            away = self._monotonic() - self._renewed
            if not self.lapsed and away >= VALIDITY.total_seconds():
                self.lapsed = True
                logger.warning(
                    "this instance's heartbeat was not renewed for %.0f s: other instances may take over the turns "
                    "running here (their changes still apply once; their replies may go out twice)",
                    away,
                )
            return False
        # No `outage.succeeded()` here: a beat begun before the outage and answered after another loop noticed it
        # would end the outage early (and the next failure would warn again); the sender and the jobs say when it ends.
        self._renewed = self._monotonic()
        if self.lapsed:
            self.lapsed = False
            logger.info("this instance's heartbeat is renewed again")
        return True

    async def run(self) -> None:
        """Beat every BEAT_SECONDS until cancelled."""
        while True:
            try:
                await self.beat()
            except Exception:
                logger.exception("heartbeat failed")
            await self._sleep(BEAT_SECONDS)

    async def retire(self) -> None:
        """Remove the heartbeat (the process stops): what it still holds is taken over at once."""
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._desk.retire(self.holder), RETIRE_SECONDS)
