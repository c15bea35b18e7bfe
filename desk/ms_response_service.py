"""Microsoft's response clocks over the store, one transaction each: what the card shows, what a read of the
service request tells, and the late note, written with its record so it goes out once across restarts and
instances."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

from desk.ms_response import SrClock
from desk.outbox import Outgoing
from desk.service_base import DeskBase
from desk.store import outbox as outbox_sql
from desk.store import sr_clocks as clock_sql
from desk.store import tickets as ticket_sql
from desk.store.database import Cx
from desk.tickets import Ticket

# (the ticket, its clock) -> the messages that say Microsoft is late, queued in the transaction that records them.
LateMessages = Callable[[Ticket, SrClock], list[Outgoing]]


class ResponseClockService(DeskBase):
    """Microsoft's response clocks."""

    async def sr_clock(self, ticket_id: int, sr_id: str) -> SrClock | None:
        """The clock of a ticket's service request (None for requests filed before the clock existed)."""
        return await self.db.read(lambda cx: clock_sql.get(cx, ticket_id, sr_id))

    async def sr_checked(self, ticket_id: int, sr_id: str, response_at: datetime | None) -> None:
        """Partner Center was just read for this request; `response_at` when it shows Microsoft's response
        (stamped by Partner Center: recorded no earlier than the filing and no later than now)."""
        now = self._clock()

        def work(cx: Cx) -> None:
            clock = clock_sql.get(cx, ticket_id, sr_id)
            if clock is None:
                return
            responded = clock.responded_in(response_at, now) if response_at is not None else None
            clock_sql.checked(cx, ticket_id, sr_id, now, responded)

        await self.db.run(work)

    async def late_sr_clocks(self, overrides: Mapping[str, int]) -> list[SrClock]:
        """Clocks whose request is late by now, and not noted yet."""
        now = self._clock()
        waiting = await self.db.read(clock_sql.waiting)
        return [clock for clock in waiting if clock.is_late(now, overrides)]

    async def note_late(self, clock: SrClock, messages: LateMessages) -> bool:
        """Record the late note and queue it, in one transaction; False (nothing queued) when it was noted before,
        by this or another instance, or Microsoft responded meanwhile."""
        now = self._clock()

        def work(cx: Cx) -> bool:
            ticket = ticket_sql.get_ticket(cx, clock.ticket_id)
            if ticket is None or not clock_sql.mark_late(cx, clock.ticket_id, clock.sr_id, now):
                return False
            outbox_sql.enqueue(cx, messages(ticket, clock), now)
            return True

        noted = await self.db.run(work)
        if noted:
            self.on_outbox()
        return noted
