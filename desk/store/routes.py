"""SQL for triage routes (desk/routing.py) and the channel each ticket's triage card lives in."""

from __future__ import annotations

from datetime import datetime

from desk.clock import to_iso
from desk.routing import Route, RouteKind
from desk.store.database import Cx, Row

# The default triage channel's name as Teams gave it (when it did), beside its key (desk/directory_service.py).
DEFAULT_NAME_KEY = "triage_channel_name"


def routes(cx: Cx) -> list[Route]:
    """Every route, most specific kind first, then as they were added."""
    rows = cx.all("SELECT * FROM triage_routes ORDER BY created_at, id")
    order = list(RouteKind)
    return sorted((_route(row) for row in rows), key=lambda route: order.index(route.kind))


def route(cx: Cx, route_id: str) -> Route | None:
    """One route by id."""
    row = cx.one("SELECT * FROM triage_routes WHERE id = ?", (route_id,))
    return _route(row) if row is not None else None


def put_route(cx: Cx, new: Route, created_by: str, now: datetime) -> Route:
    """Add a route, or point the route of the same kind and value at the new channel (keeping its id)."""
    cx.execute(
        "INSERT INTO triage_routes (id, kind, value, label, channel_key, channel_name, created_by, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (kind, value) DO UPDATE SET label = excluded.label,"
        " channel_key = excluded.channel_key, channel_name = excluded.channel_name,"
        " created_by = excluded.created_by",
        (new.id, new.kind.value, new.value, new.label, new.channel_key, new.channel_name, created_by, to_iso(now)),
    )
    row = cx.one("SELECT * FROM triage_routes WHERE kind = ? AND value = ?", (new.kind.value, new.value))
    assert row is not None
    return _route(row)


def delete_route(cx: Cx, route_id: str) -> bool:
    """Remove a route; False when there was none."""
    return cx.execute("DELETE FROM triage_routes WHERE id = ?", (route_id,)) == 1


def route_channel_keys(cx: Cx) -> set[str]:
    """The channels routes send tickets to."""
    return {row["channel_key"] for row in cx.all("SELECT DISTINCT channel_key FROM triage_routes")}


def refused_route_channels(cx: Cx) -> list[Row]:
    """Each route channel for operators: its key, when it was blocked and why, its refusals, how many messages wait
    for it and when the next is due (conversations/refused_channel's columns)."""
    return cx.all(
        "SELECT r.channel_key AS key, c.blocked_at, c.blocked_reason, c.probes,"
        " (SELECT COUNT(*) FROM outbox o WHERE o.conversation_key = r.channel_key AND o.status = 'pending') AS held,"
        " (SELECT MIN(o.next_attempt_at) FROM outbox o WHERE o.conversation_key = r.channel_key"
        " AND o.status = 'pending') AS next_attempt_at"
        " FROM (SELECT DISTINCT channel_key FROM triage_routes) r LEFT JOIN conversations c ON c.key = r.channel_key"
        " ORDER BY r.channel_key"
    )


def pin_to_card(cx: Cx, ticket_id: int, conversation_key: str, activity_id: str) -> int:
    """Pending news of a ticket's card in `conversation_key` (updates of it, replies in its thread) keep targeting
    that card, `activity_id`, once the ticket's recorded card is another one (a move): the card is named, not looked
    up on the ticket at send time. Returns how many were pinned."""
    return cx.execute(
        "UPDATE outbox SET card = NULL, thread_id = COALESCE(thread_id, ?), target_activity_id = CASE WHEN"
        " operation = 'update' THEN ? ELSE target_activity_id END WHERE ticket_id = ? AND conversation_key = ?"
        " AND card = 'triage' AND status = 'pending' AND operation IN ('update', 'reply')",
        (activity_id, activity_id, ticket_id, conversation_key),
    )


def _route(row: Row) -> Route:
    return Route(
        id=row["id"],
        kind=RouteKind(row["kind"]),
        value=row["value"],
        label=row["label"],
        channel_key=row["channel_key"],
        channel_name=row["channel_name"],
    )
