"""SQL for the outbox table: queueing, the senders' claims on conversations' oldest messages, delivery records.

Several senders (one per instance) share the outbox. A sender claims the oldest pending message of a conversation
(its head) by writing its holder id and an expiry in `claimed_by`/`claimed_until`; the head's outcome is recorded
only while the claim is still that sender's (`unclaim` fences every record), and a claim whose holder died is
taken over once it expires. A conversation's next message is never a head while the previous one is pending, so
each conversation keeps its order whoever sends it.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from desk.clock import from_iso, from_iso_not_null, to_iso
from desk.outbox import Card, Operation, Outgoing
from desk.store.database import Cx, Row

# The shared rate limiter's keys for Teams (desk/ratelimit.py): each conversation, and each tenant over all its
# conversations. The claim query reads when their next slots open, so it spells them too.
CONVERSATION_PACE = "teams:conversation:"
TENANT_PACE = "teams:tenant:"


def conversation_pace(conversation_key: str) -> str:
    """The rate limiter's key for sends to one conversation."""
    return CONVERSATION_PACE + conversation_key


def tenant_pace(tenant_id: str) -> str:
    """The rate limiter's key for sends to any conversation of one tenant."""
    return TENANT_PACE + tenant_id.lower()


def pace_owner(message_id: int, attempts: int) -> str:
    """How the rate limiter's log names the slots one attempt of a message took (moved to when Teams answered it)."""
    return f"outbox:{message_id}:{attempts}"


@dataclass(frozen=True)
class OutboxMessage:
    """An `Outgoing` as stored, with its delivery state."""

    id: int
    outgoing: Outgoing
    attempts: int
    next_attempt_at: datetime
    created_at: datetime


def enqueue(cx: Cx, items: list[Outgoing], now: datetime) -> None:
    """Add messages to the outbox (inside the caller's transaction). An update of a triage card that storm mode keeps
    back is dropped (the card is drawn from the ticket as it is when released), and a reply in its thread waits as
    'deferred' until then (desk/storm.py)."""
    kept_back = _cards_kept_back(cx, items)
    for item in items:
        status = "pending"
        if item.card is Card.TRIAGE and (item.conversation_key, item.ticket_id) in kept_back:
            if item.operation is Operation.UPDATE:
                continue
            status = "deferred"
        _insert(cx, item, now, status)
        if is_triage_post(item):
            assign_triage_channel(cx, item.conversation_key, item.ticket_id)


def _insert(cx: Cx, item: Outgoing, now: datetime, status: str = "pending") -> None:
    cx.execute(
        "INSERT INTO outbox (conversation_key, operation, activity, ticket_id, card, target_activity_id,"
        " card_key, thread_id, next_attempt_at, created_at, status, priority)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            item.conversation_key,
            item.operation.value,
            json.dumps(item.activity),
            item.ticket_id,
            item.card.value if item.card else None,
            item.target_activity_id,
            item.card_key,
            item.thread_id,
            to_iso(now),
            to_iso(now),
            status,
            item.priority,
        ),
    )


def _cards_kept_back(cx: Cx, items: list[Outgoing]) -> set[tuple[str, int]]:
    """(conversation, ticket) of the items' triage cards that storm mode keeps back (one query, none when no item
    is a reply to or an update of a triage card)."""
    ids = {
        item.ticket_id
        for item in items
        if item.card is Card.TRIAGE and item.ticket_id is not None and item.operation is not Operation.POST
    }
    if not ids:
        return set()
    marks = ", ".join("?" * len(ids))
    rows = cx.all(
        f"SELECT conversation_key, ticket_id FROM storm_tickets WHERE ticket_id IN ({marks}) AND released_at IS NULL",
        tuple(ids),
    )
    return {(row["conversation_key"], row["ticket_id"]) for row in rows}


def requeue_deferred(cx: Cx, conversation_key: str, ticket_id: int, now: datetime) -> int:
    """Queue the replies that waited for a ticket's card, in their order, after the card's post (queued just before
    in the same transaction): each gets a new id, so it follows the post in the conversation's order."""
    rows = cx.all(
        "SELECT * FROM outbox WHERE status = 'deferred' AND conversation_key = ? AND ticket_id = ? ORDER BY id",
        (conversation_key, ticket_id),
    )
    for row in rows:
        _insert(cx, _message(row).outgoing, now)
        cx.execute("DELETE FROM outbox WHERE id = ?", (row["id"],))
    return len(rows)


def upsert_card(cx: Cx, item: Outgoing, now: datetime) -> str:
    """Post `item` (a POST with a card_key) or bring the card up to date, with at most one message of it waiting:
    a waiting one that no sender holds gets `item`'s activity (a post stays a post); else an update is queued when
    the card was posted or its post is under way, and a post when neither. Returns "replaced", "update" or "post"."""
    assert item.card_key is not None and item.operation is Operation.POST
    waiting = cx.all(
        "SELECT id, operation, claimed_by FROM outbox WHERE status = 'pending' AND conversation_key = ?"
        " AND priority = ? AND card_key = ? ORDER BY id",
        (item.conversation_key, item.priority, item.card_key),
    )
    free = [row for row in waiting if row["claimed_by"] is None]
    if free:
        cx.execute("UPDATE outbox SET activity = ? WHERE id = ?", (json.dumps(item.activity), free[-1]["id"]))
        return "replaced"
    if waiting or posted(cx, item.card_key):
        _insert(cx, replace(item, operation=Operation.UPDATE), now)
        return "update"
    _insert(cx, item, now)
    return "post"


def pending_ordinary(cx: Cx, conversation_key: str) -> int:
    """How many messages of ordinary priority wait for one conversation."""
    row = cx.one(
        "SELECT COUNT(*) AS n FROM outbox WHERE status = 'pending' AND conversation_key = ? AND priority = 0",
        (conversation_key,),
    )
    return int(row["n"]) if row else 0


def triage_post_waiting(cx: Cx, ticket_id: int) -> bool:
    """Whether a post of the ticket's triage card waits in the outbox (a new card, or one a move queued)."""
    row = cx.one(
        "SELECT 1 AS n FROM outbox WHERE status = 'pending' AND ticket_id = ? AND operation = ? AND card = ?",
        (ticket_id, Operation.POST.value, Card.TRIAGE.value),
    )
    return row is not None


def is_triage_post(item: Outgoing) -> bool:
    """Whether `item` posts a ticket's triage card (which makes its conversation the ticket's triage channel)."""
    return item.operation is Operation.POST and item.card is Card.TRIAGE and item.ticket_id is not None


def assign_triage_channel(cx: Cx, conversation_key: str, ticket_id: int | None) -> None:
    """The ticket's card lives where its post goes (or, kept back by storm mode, will go): its later news follow it
    there (desk/routing.py)."""
    cx.execute("UPDATE tickets SET triage_channel = ? WHERE id = ?", (conversation_key, ticket_id))


# The next attempt of a message held until someone acts (a refused triage channel after its last probe).
HELD = datetime(9999, 12, 31, tzinfo=UTC)


# A conversation's head: its oldest pending message of the highest priority waiting. The LEFT JOINs bring when the
# conversation's and its tenant's next send slots open (no row: at once).
_HEADS = (
    " FROM outbox o LEFT JOIN conversations cv ON cv.key = o.conversation_key"
    f" LEFT JOIN rate_limits pc ON pc.key = '{CONVERSATION_PACE}' || o.conversation_key"
    f" LEFT JOIN rate_limits pt ON pt.key = '{TENANT_PACE}' || lower(cv.tenant_id)"
    " WHERE o.status = 'pending' AND NOT EXISTS (SELECT 1 FROM outbox e WHERE e.conversation_key = o.conversation_key"
    " AND e.status = 'pending' AND e.priority >= o.priority AND e.id < o.id)"
    # A message of higher priority (a storm summary) goes first; the index on (status, conversation_key, priority)
    # makes this a seek into a handful of rows.
    " AND NOT EXISTS (SELECT 1 FROM outbox e WHERE e.conversation_key = o.conversation_key AND e.status = 'pending'"
    " AND e.priority > o.priority)"
)


def heads(cx: Cx, now: datetime, limit: int, busy: Collection[str] = ()) -> list[OutboxMessage]:
    """Heads a sender may claim now: due, not claimed by a live holder (a claim is free once it expired, or once its
    holder's heartbeat lapsed: a killed instance's claims are taken over in seconds, not minutes), the conversation's
    and tenant's next send slots open, the conversation not in `busy` (the caller's own). Tenants take turns (each
    one's oldest due head, then each one's second...), so one customer's backlog never goes before another's first
    message.

    On PostgreSQL the rows are locked (FOR UPDATE) and rows another sender's transaction holds are skipped (SKIP
    LOCKED), so two senders claiming at once take different heads instead of waiting for each other; PostgreSQL
    allows no FOR UPDATE beside a window function, hence a second statement (same snapshot). On SQLite writers take
    turns, and the claim columns alone decide. Call it inside `Database.run`."""
    skip = f" AND o.conversation_key NOT IN ({', '.join('?' * len(busy))})" if busy else ""
    stamp = to_iso(now)
    rows = cx.all(
        "SELECT r.* FROM (SELECT o.*, ROW_NUMBER() OVER (PARTITION BY lower(cv.tenant_id)"
        f" ORDER BY o.next_attempt_at, o.id) AS turn{_HEADS} AND o.next_attempt_at <= ?"
        " AND (o.claimed_until IS NULL OR o.claimed_until <= ? OR EXISTS (SELECT 1 FROM instances i"
        " WHERE i.holder = o.claimed_by AND i.alive_until <= ?)) AND (pc.next_at IS NULL OR pc.next_at <= ?)"
        f" AND (pt.next_at IS NULL OR pt.next_at <= ?){skip}) r ORDER BY r.turn, r.next_attempt_at, r.id LIMIT ?",
        (stamp, stamp, stamp, stamp, stamp, *busy, limit),
    )
    if rows and cx.dialect == "postgresql":
        ids = [row["id"] for row in rows]
        marks = ", ".join("?" * len(ids))
        locked = {r["id"] for r in cx.all(f"SELECT id FROM outbox WHERE id IN ({marks}) FOR UPDATE SKIP LOCKED", ids)}
        rows = [row for row in rows if row["id"] in locked]
    return [_message(row) for row in rows]


def claim(cx: Cx, message_ids: Collection[int], holder: str, until: datetime) -> None:
    """Mark heads (from `heads`, in the same transaction) as `holder`'s until `until`."""
    if message_ids:
        marks = ", ".join("?" * len(message_ids))
        cx.execute(
            f"UPDATE outbox SET claimed_by = ?, claimed_until = ? WHERE id IN ({marks})",
            (holder, to_iso(until), *message_ids),
        )


def unclaim(cx: Cx, message_id: int, holder: str) -> bool:
    """End `holder`'s claim on a message before recording its outcome in the same transaction; False when the claim
    is no longer `holder`'s (it expired and another sender took the message over, or recorded it): then the caller
    records nothing. A claim that expired but that nobody took over is still its holder's."""
    changed = cx.execute(
        "UPDATE outbox SET claimed_by = NULL, claimed_until = NULL"
        " WHERE id = ? AND claimed_by = ? AND status = 'pending'",
        (message_id, holder),
    )
    return changed == 1


def unclaim_all(cx: Cx, holder: str) -> int:
    """End every claim of `holder` (a sender stopping with sends it will not finish): the messages are free at once
    for the next sender instead of after their claims expire."""
    return cx.execute(
        "UPDATE outbox SET claimed_by = NULL, claimed_until = NULL WHERE claimed_by = ? AND status = 'pending'",
        (holder,),
    )


def card_update_due(cx: Cx, ticket_id: int, now: datetime) -> bool:
    """Whether an update of one of the ticket's cards waits for delivery and is due now (not rescheduled)."""
    row = cx.one(
        "SELECT 1 AS found FROM outbox WHERE status = 'pending' AND ticket_id = ? AND operation = ?"
        " AND next_attempt_at <= ? LIMIT 1",
        (ticket_id, Operation.UPDATE.value, to_iso(now)),
    )
    return row is not None


def next_due(cx: Cx, busy: Collection[str] = ()) -> datetime | None:
    """When a head (of a conversation not in `busy`) may next be claimed: the latest of its next attempt, its claim's
    expiry, and its conversation's and tenant's next send slots; None when nothing is pending. Only heads count: a
    message queued behind one that waits for a retry is not deliverable before it."""
    skip = f" AND o.conversation_key NOT IN ({', '.join('?' * len(busy))})" if busy else ""
    latest = "GREATEST" if cx.dialect == "postgresql" else "MAX"  # SQLite's max() of several arguments is scalar
    row = cx.one(
        f"SELECT MIN({latest}(o.next_attempt_at, COALESCE(o.claimed_until, o.next_attempt_at),"
        " COALESCE(pc.next_at, o.next_attempt_at), COALESCE(pt.next_at, o.next_attempt_at))) AS due"
        f"{_HEADS}{skip}",
        tuple(busy),
    )
    return from_iso(row["due"]) if row and row["due"] else None


def hold(cx: Cx, message_id: int, until: datetime, error: str) -> None:
    """Keep a message whose conversation refused it until `until` (HELD: until someone acts); its refusal is not
    counted among its attempts, which bound retries of a conversation that answers."""
    cx.execute(
        "UPDATE outbox SET next_attempt_at = ?, last_error = ? WHERE id = ?", (to_iso(until), error[:500], message_id)
    )


def release(cx: Cx, conversation_key: str, now: datetime) -> int:
    """Make a held conversation's pending messages due now; returns how many."""
    return cx.execute(
        "UPDATE outbox SET next_attempt_at = ? WHERE conversation_key = ? AND status = 'pending'"
        " AND next_attempt_at > ?",
        (to_iso(now), conversation_key, to_iso(now)),
    )


def pending_in(cx: Cx, conversation_key: str) -> int:
    """How many messages wait for one conversation."""
    row = cx.one(
        "SELECT COUNT(*) AS n FROM outbox WHERE conversation_key = ? AND status = 'pending'", (conversation_key,)
    )
    return int(row["n"]) if row else 0


def mark_sent(cx: Cx, message_id: int, activity_id: str | None, now: datetime) -> None:
    """Record a delivery."""
    cx.execute(
        "UPDATE outbox SET status = 'sent', activity_id = ?, sent_at = ?, attempts = attempts + 1 WHERE id = ?",
        (activity_id, to_iso(now), message_id),
    )


def mark_retry(cx: Cx, message_id: int, next_attempt_at: datetime, error: str) -> None:
    """Schedule another attempt."""
    cx.execute(
        "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE id = ?",
        (to_iso(next_attempt_at), error[:500], message_id),
    )


def mark_failed(cx: Cx, message_id: int, error: str) -> None:
    """Give up on a message; it stays in the table for inspection."""
    cx.execute(
        "UPDATE outbox SET status = 'failed', attempts = attempts + 1, last_error = ? WHERE id = ?",
        (error[:500], message_id),
    )


def fail_conversation(cx: Cx, conversation_key: str, error: str) -> list[int]:
    """Give up on every pending message of a conversation that refuses us; returns their ticket ids."""
    rows = cx.all(
        "SELECT DISTINCT ticket_id FROM outbox WHERE conversation_key = ? AND status = 'pending'"
        " AND ticket_id IS NOT NULL",
        (conversation_key,),
    )
    cx.execute(
        "UPDATE outbox SET status = 'failed', last_error = ? WHERE conversation_key = ? AND status = 'pending'",
        (error[:500], conversation_key),
    )
    return [row["ticket_id"] for row in rows]


def drop_held(cx: Cx, conversation_key: str, error: str) -> int:
    """Give up on the messages a blocked conversation holds (it is no longer where they should go)."""
    return cx.execute(
        "UPDATE outbox SET status = 'failed', last_error = ? WHERE conversation_key = ? AND status = 'pending'"
        " AND EXISTS (SELECT 1 FROM conversations c WHERE c.key = ? AND c.blocked_at IS NOT NULL)",
        (error[:500], conversation_key, conversation_key),
    )


def pending_count(cx: Cx) -> int:
    """How many messages wait for delivery."""
    row = cx.one("SELECT COUNT(*) AS n FROM outbox WHERE status = 'pending'")
    return int(row["n"]) if row else 0


def _message(row: Row) -> OutboxMessage:
    outgoing = Outgoing(
        conversation_key=row["conversation_key"],
        operation=Operation(row["operation"]),
        activity=json.loads(row["activity"]),
        ticket_id=row["ticket_id"],
        card=Card(row["card"]) if row["card"] else None,
        target_activity_id=row["target_activity_id"],
        card_key=row["card_key"],
        thread_id=row["thread_id"],
        priority=row["priority"],
    )
    return OutboxMessage(
        id=row["id"],
        outgoing=outgoing,
        attempts=row["attempts"],
        next_attempt_at=from_iso_not_null(row["next_attempt_at"]),
        created_at=from_iso_not_null(row["created_at"]),
    )


def record_posted(cx: Cx, key: str, conversation_key: str, activity_id: str) -> None:
    """Remember the activity id of a card posted under `key` (so later messages can update or answer it)."""
    cx.execute(
        "INSERT INTO posted_cards (key, conversation_key, activity_id) VALUES (?, ?, ?) ON CONFLICT (key)"
        " DO UPDATE SET conversation_key = excluded.conversation_key, activity_id = excluded.activity_id",
        (key, conversation_key, activity_id),
    )


def posted(cx: Cx, key: str) -> str | None:
    """The activity id of the card posted under `key`."""
    row = cx.one("SELECT activity_id FROM posted_cards WHERE key = ?", (key,))
    return row["activity_id"] if row else None


def prune_sent(cx: Cx, now: datetime, keep: timedelta = timedelta(days=30)) -> int:
    """Forget delivered messages after `keep` (failed ones stay for inspection)."""
    return cx.execute("DELETE FROM outbox WHERE status = 'sent' AND sent_at < ?", (to_iso(now - keep),))
