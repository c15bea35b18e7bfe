"""Incident noise control and bulk replies over the store, one transaction each: what the monitor posted this
round, technicians' acknowledge / snooze / mute, and the forms of bulk replies to an incident's tickets."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from desk.incident_noise import IncidentControl, snooze_until
from desk.outbox import Outgoing
from desk.service_base import DeskBase
from desk.store import incident_controls as control_sql
from desk.store import incidents as incident_sql
from desk.store import outbox as outbox_sql
from desk.store.database import Cx
from desk.store.incident_controls import BulkReply
from desk.store.incidents import StoredIncident
from desk.tickets import Ticket
from desk.workflow import Refused

# An action on an incident, inside its transaction: the incident and its controls as stored now; raises Refused.
IncidentAct = Callable[[Cx, StoredIncident, IncidentControl], None]
# The card update everyone gets after an action: built from the controls as they stand after it.
CardUpdate = Callable[[StoredIncident, IncidentControl], list[Outgoing]]


@dataclass(frozen=True)
class IncidentPost:
    """A card the monitor posts or updates this round, with what the controls remember of it."""

    incident: StoredIncident
    items: list[Outgoing]
    base_card: dict[str, Any]
    customers: list[tuple[str, str]]
    next_update: datetime | None


class IncidentService(DeskBase):
    """Incident cards' controls and bulk replies."""

    async def incident_controls(self) -> dict[str, IncidentControl]:
        """Controls of every incident card not resolved."""
        return await self.db.read(lambda cx: control_sql.controls(cx))

    async def record_incident_round(self, posts: list[IncidentPost], quiet: list[StoredIncident]) -> None:
        """What the monitor posted (with the posts) and the incidents whose change updates no card, one
        transaction: a card is remembered as posted only with its outbox entry."""
        now = self._clock()

        def work(cx: Cx) -> None:
            for post in posts:
                incident_sql.save_incident(cx, post.incident, now)
                control_sql.record_card(
                    cx,
                    post.incident.id,
                    post.base_card,
                    post.customers,
                    post.incident.resolved,
                    post.next_update,
                    now,
                )
                outbox_sql.enqueue(cx, post.items, now)
            for incident in quiet:
                incident_sql.save_incident(cx, incident, now)

        await self.db.run(work)
        if posts:
            self.on_outbox()

    async def incident_with_control(self, incident_id: str) -> tuple[StoredIncident, IncidentControl] | None:
        """An incident the monitor posted, with its controls; None when unknown."""

        def work(cx: Cx) -> tuple[StoredIncident, IncidentControl] | None:
            incident = incident_sql.get_incident(cx, incident_id)
            found = control_sql.control(cx, incident_id)
            return (incident, found) if incident is not None and found is not None else None

        return await self.db.read(work)

    async def act_on_incident(self, incident_id: str, act: IncidentAct, update: CardUpdate) -> IncidentControl:
        """Check and apply a technician's action on an incident card and queue the card's update, one transaction;
        raises Refused (nothing written) when the incident is unknown, resolved, or `act` refuses."""
        now = self._clock()

        def work(cx: Cx) -> IncidentControl:
            incident = incident_sql.get_incident(cx, incident_id)
            before = control_sql.control(cx, incident_id)
            if incident is None or before is None:
                raise Refused("incident.refusal.unknown", id=incident_id)
            if incident.resolved or before.resolved:
                raise Refused("incident.refusal.resolved", id=incident_id)
            act(cx, incident, before)
            after = control_sql.control(cx, incident_id)
            assert after is not None
            outbox_sql.enqueue(cx, update(incident, after), now)
            return after

        after = await self.db.run(work)
        self.on_outbox()
        return after

    async def acknowledge_incident(
        self, incident_id: str, aad_id: str, name: str, update: CardUpdate
    ) -> IncidentControl:
        """Record who acknowledged an incident and when; refused when it already was."""
        now = self._clock()

        def act(cx: Cx, incident: StoredIncident, control: IncidentControl) -> None:
            if control.acked_at is not None:
                raise Refused("incident.refusal.already_acked", id=incident.id, name=control.acked_by_name or "")
            control_sql.acknowledge(cx, incident.id, aad_id, name, now)

        return await self.act_on_incident(incident_id, act, update)

    async def snooze_incident(self, incident_id: str, choice: str, name: str, update: CardUpdate) -> IncidentControl:
        """Snooze an incident card's updates for a choice of desk.incident_noise.SNOOZE_HOURS or until Microsoft's
        next update; refused when the choice is unknown, or no next update is known that is still ahead."""
        now = self._clock()

        def act(cx: Cx, incident: StoredIncident, control: IncidentControl) -> None:
            until = snooze_until(choice, now, control.next_update_at)
            if until is None:
                key = "incident.refusal.no_next_update" if choice == "next" else "incident.refusal.bad_snooze"
                raise Refused(key, id=incident.id)
            control_sql.snooze(cx, incident.id, until, name)

        return await self.act_on_incident(incident_id, act, update)

    async def mute_incident_customer(self, incident_id: str, tenant_id: str, update: CardUpdate) -> IncidentControl:
        """Mute one affected customer's changes to an incident until it is resolved; refused for a customer the
        incident does not affect (checked against the incident as stored, not the card) or one already muted."""

        def act(cx: Cx, incident: StoredIncident, control: IncidentControl) -> None:
            if tenant_id not in incident.tenants:
                raise Refused("incident.refusal.not_affected", id=incident.id)
            if tenant_id in control.muted:
                raise Refused("incident.refusal.already_muted", id=incident.id)
            control_sql.mute(cx, incident.id, (*control.muted, tenant_id))

        return await self.act_on_incident(incident_id, act, update)

    async def open_bulk_reply(self, incident_id: str, aad_id: str) -> str:
        """A new bulk reply form for an incident's tickets; its id is the sends' idempotency key."""
        bulk_id = secrets.token_urlsafe(12)
        now = self._clock()
        await self.db.run(lambda cx: control_sql.new_bulk_reply(cx, bulk_id, incident_id, aad_id, now))
        return bulk_id

    async def bulk_reply(self, bulk_id: str) -> BulkReply | None:
        """A bulk reply by id."""
        return await self.db.read(lambda cx: control_sql.bulk_reply(cx, bulk_id))

    async def linked_tickets(self, incident_id: str) -> list[Ticket]:
        """Every ticket related to an incident."""
        return await self.db.read(lambda cx: control_sql.linked_tickets(cx, incident_id))

    async def finish_bulk_reply(self, bulk_id: str, text: str, customers: int, tickets: int, skipped: int) -> None:
        """Record that a bulk reply went out."""
        now = self._clock()
        await self.db.run(lambda cx: control_sql.finish_bulk_reply(cx, bulk_id, text, customers, tickets, skipped, now))
