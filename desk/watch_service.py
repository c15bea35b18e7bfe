"""What the background watchers record: SLA alerts sent, incidents posted, incidents linked to tickets."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from functools import partial

from desk.outbox import Outgoing
from desk.service_base import DeskBase
from desk.sla_plan import plan_alerts, plan_batch, planned_with, policy_mark
from desk.sla_watch import Alert
from desk.store import alerts as alert_sql
from desk.store import events as event_sql
from desk.store import incidents as incident_sql
from desk.store import outbox as outbox_sql
from desk.store import tickets as ticket_sql
from desk.store.database import Cx
from desk.store.events import Event
from desk.store.incidents import LinkedIncident, StoredIncident
from desk.tickets import Ticket


class WatchService(DeskBase):
    """Records of the SLA watch and the health monitor, each one transaction."""

    async def sla_due(self, now: datetime) -> list[Ticket]:
        """Open tickets whose next SLA alert time has come (after planning every open ticket again when the stored
        times were planned with another policy, or never)."""
        mark = policy_mark(self.sla)
        if await self.db.read(planned_with) != mark:
            after: int | None = 0
            while after is not None:
                after = await self.db.run(partial(plan_batch, sla=self.sla, after_id=after))
        return await self.db.read(lambda cx: ticket_sql.alerts_due(cx, now))

    async def send_sla_alerts(
        self, sla_alerts: list[Alert], messages: Callable[[Alert], list[Outgoing]], read: Sequence[Ticket] = ()
    ) -> int:
        """Queue the messages of every alert not sent before, recording them as sent in the same transaction; the
        tickets of the alerts, and those `read` for them, are planned again (their next alert is a later one)."""
        now = self._clock()

        def work(cx: Cx) -> int:
            sent = 0
            for alert in sla_alerts:
                if alert_sql.record_sent(cx, alert.ticket.id, alert.kind, alert.due, now):
                    outbox_sql.enqueue(cx, messages(alert), now)
                    sent += 1
            for ticket_id in sorted({t.id for t in read} | {a.ticket.id for a in sla_alerts}):
                current = ticket_sql.get_ticket(cx, ticket_id)  # as it stands now, not as read before
                if current is not None:
                    plan_alerts(cx, current, self.sla)
            return sent

        sent = await self.db.run(work)
        if sent:
            self.on_outbox()
        return sent

    async def link_incidents(
        self, ticket_id: int, linked: list[LinkedIncident], messages: Callable[[Ticket], list[Outgoing]]
    ) -> list[LinkedIncident]:
        """Relate incidents to a ticket and queue the news (only for incidents not related before)."""
        now = self._clock()

        def work(cx: Cx) -> list[LinkedIncident]:
            added = [incident for incident in linked if incident_sql.link_incident(cx, ticket_id, incident, now)]
            ticket = ticket_sql.get_ticket(cx, ticket_id)
            if added and ticket is not None:
                event_sql.add_event(
                    cx,
                    Event(
                        ticket_id,
                        now,
                        "system",
                        "Partner Desk",
                        "incident",
                        text=", ".join(i.incident_id for i in added),
                    ),
                )
                outbox_sql.enqueue(cx, messages(ticket), now)
            return added

        added = await self.db.run(work)
        if added:
            self.on_outbox()
        return added

    async def incidents_of(self, ticket_id: int) -> list[LinkedIncident]:
        """Incidents related to a ticket."""
        return await self.db.run(lambda cx: incident_sql.incidents_of_ticket(cx, ticket_id))

    async def known_incidents(self) -> dict[str, StoredIncident]:
        """Incidents the monitor posted and has not seen resolved."""
        return await self.db.run(incident_sql.open_incidents)

    async def record_incidents(self, changes: list[tuple[StoredIncident, list[Outgoing]]]) -> None:
        """Remember what the monitor posted, with the posts themselves, in one transaction."""
        now = self._clock()

        def work(cx: Cx) -> None:
            for incident, items in changes:
                incident_sql.save_incident(cx, incident, now)
                outbox_sql.enqueue(cx, items, now)

        await self.db.run(work)
        if changes:
            self.on_outbox()
