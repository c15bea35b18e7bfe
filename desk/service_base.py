"""The shared state of the desk's services: the database, the SLA policy, the clock, the outbox wake-up."""

from __future__ import annotations

from collections.abc import Callable

from desk.clock import Clock, utc_now
from desk.sla import SlaPolicy
from desk.store.database import Database
from desk.storm import StormPolicy


class DeskBase:
    """What every part of the desk service works with."""

    def __init__(self, db: Database, sla: SlaPolicy, clock: Clock = utc_now) -> None:
        self.db = db
        self.sla = sla
        self._clock = clock
        self.on_outbox: Callable[[], None] = lambda: None
        self.storm = StormPolicy()  # storm mode's threshold and summary pace (desk/storm.py); set from settings
        # Claims (key, holder) of turns that failed and could not be given up for want of the database: given up
        # with this process's next heartbeat, in its transaction (a live heartbeat never covers a failed turn).
        self._unreleased: set[tuple[str, str]] = set()
