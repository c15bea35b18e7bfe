"""SQL for incidents the monitor has posted, and for incidents linked to tickets."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from desk.clock import to_iso
from desk.store.database import Cx


@dataclass(frozen=True)
class StoredIncident:
    """An incident as the monitor last posted it."""

    id: str
    title: str
    service: str
    classification: str
    status: str
    tenants: tuple[str, ...]
    fingerprint: str
    resolved: bool


@dataclass(frozen=True)
class LinkedIncident:
    """A Microsoft incident related to a ticket (same customer, same service)."""

    incident_id: str
    title: str
    status: str
    latest: str | None


def open_incidents(cx: Cx) -> dict[str, StoredIncident]:
    """Incidents posted and not yet seen resolved."""
    return {i.id: i for i in _select(cx, "SELECT * FROM incidents WHERE resolved = 0")}


def get_incident(cx: Cx, incident_id: str) -> StoredIncident | None:
    """One stored incident."""
    found = _select(cx, "SELECT * FROM incidents WHERE id = ?", (incident_id,))
    return found[0] if found else None


def save_incident(cx: Cx, incident: StoredIncident, now: datetime) -> None:
    """Insert or update an incident's last posted state."""
    cx.execute(
        "INSERT INTO incidents (id, title, service, classification, status, tenants, fingerprint, resolved,"
        " first_seen, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET"
        " title = excluded.title, service = excluded.service, classification = excluded.classification,"
        " status = excluded.status, tenants = excluded.tenants, fingerprint = excluded.fingerprint,"
        " resolved = excluded.resolved, updated_at = excluded.updated_at",
        (
            incident.id,
            incident.title,
            incident.service,
            incident.classification,
            incident.status,
            json.dumps(list(incident.tenants)),
            incident.fingerprint,
            1 if incident.resolved else 0,
            to_iso(now),
            to_iso(now),
        ),
    )


def link_incident(cx: Cx, ticket_id: int, incident: LinkedIncident, now: datetime) -> bool:
    """Relate an incident to a ticket; False when it was already related."""
    changed = cx.execute(
        "INSERT INTO ticket_incidents (ticket_id, incident_id, title, status, latest, linked_at)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (ticket_id, incident.incident_id, incident.title, incident.status, incident.latest, to_iso(now)),
    )
    return changed == 1


def incidents_of_ticket(cx: Cx, ticket_id: int) -> list[LinkedIncident]:
    """The incidents related to a ticket."""
    rows = cx.all(
        "SELECT incident_id, title, status, latest FROM ticket_incidents WHERE ticket_id = ? ORDER BY linked_at",
        (ticket_id,),
    )
    return [LinkedIncident(r["incident_id"], r["title"], r["status"], r["latest"]) for r in rows]


def _select(cx: Cx, sql: str, params: tuple[object, ...] = ()) -> list[StoredIncident]:
    return [
        StoredIncident(
            id=r["id"],
            title=r["title"],
            service=r["service"],
            classification=r["classification"],
            status=r["status"],
            tenants=tuple(json.loads(r["tenants"])),
            fingerprint=r["fingerprint"],
            resolved=bool(r["resolved"]),
        )
        for r in cx.all(sql, params)
    ]
