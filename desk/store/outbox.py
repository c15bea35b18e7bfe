"""SQL for the outbox table."""

from __future__ import annotations

import json
from collections.abc import Collection
from datetime import UTC, datetime, timedelta

from desk.clock import from_iso, from_iso_not_null, to_iso
from desk.outbox import Card, Operation, OutboxMessage, Outgoing
from desk.store.database import Cx, Row


def enqueue(cx: Cx, items: list[Outgoing], now: datetime) -> None:
    """Add messages to the outbox (inside the caller's transaction)."""
    for item in items:
        cx.execute(
            "INSERT INTO outbox (conversation_key, operation, activity, ticket_id, card, target_activity_id,"
            " card_key, thread_id, next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
            ),
        )


# The next attempt of a message held until someone acts (a refused triage channel after its last probe).
HELD = datetime(9999, 12, 31, tzinfo=UTC)


def heads(cx: Cx, now: datetime, limit: int, busy: Collection[str] = ()) -> list[OutboxMessage]:
    """The oldest pending message of each conversation not in `busy`, when it is due: order within a conversation
    holds."""
    skip = f" AND o.conversation_key NOT IN ({', '.join('?' * len(busy))})" if busy else ""
    rows = cx.all(
        "SELECT o.* FROM outbox o JOIN (SELECT conversation_key, MIN(id) AS id FROM outbox"
        " WHERE status = 'pending' GROUP BY conversation_key) h ON o.id = h.id"
        f" WHERE o.next_attempt_at <= ?{skip} ORDER BY o.next_attempt_at, o.id LIMIT ?",
        (to_iso(now), *busy, limit),
    )
    return [_message(row) for row in rows]


def card_update_due(cx: Cx, ticket_id: int, now: datetime) -> bool:
    """Whether an update of one of the ticket's cards waits for delivery and is due now (not rescheduled)."""
    row = cx.one(
        "SELECT 1 AS found FROM outbox WHERE status = 'pending' AND ticket_id = ? AND operation = ?"
        " AND next_attempt_at <= ? LIMIT 1",
        (ticket_id, Operation.UPDATE.value, to_iso(now)),
    )
    return row is not None


def next_due(cx: Cx, busy: Collection[str] = ()) -> datetime | None:
    """When the earliest deliverable message is due (only heads of conversations not in `busy` count: a message
    queued behind one that waits for a retry is not deliverable before it), or None when nothing is pending."""
    skip = f" WHERE o.conversation_key NOT IN ({', '.join('?' * len(busy))})" if busy else ""
    row = cx.one(
        "SELECT MIN(o.next_attempt_at) AS due FROM outbox o JOIN (SELECT MIN(id) AS id FROM outbox"
        f" WHERE status = 'pending' GROUP BY conversation_key) h ON o.id = h.id{skip}",
        tuple(busy),
    )
    return from_iso(row["due"]) if row and row["due"] else None


def window_opens(cx: Cx, conversation_key: str, windows: tuple[tuple[int, float], ...], now: datetime) -> datetime:
    """When the conversation may receive again under `windows` ((count, seconds): at most `count` deliveries in any
    `seconds`), counting what the outbox delivered to it; `now` when it may already."""
    opens = now
    for count, seconds in windows:
        row = cx.one(
            "SELECT sent_at FROM outbox WHERE conversation_key = ? AND status = 'sent' AND sent_at > ?"
            " ORDER BY sent_at DESC LIMIT 1 OFFSET ?",
            (conversation_key, to_iso(now - timedelta(seconds=seconds)), count - 1),
        )
        oldest = from_iso(row["sent_at"]) if row else None
        if oldest is not None:  # `count` deliveries within the window: it opens when the oldest of them leaves it
            opens = max(opens, oldest + timedelta(seconds=seconds))
    return opens


def defer(cx: Cx, moves: list[tuple[int, datetime]]) -> None:
    """Move messages' next attempt later (pacing: no attempt was made, none is counted)."""
    for message_id, when in moves:
        cx.execute("UPDATE outbox SET next_attempt_at = ? WHERE id = ?", (to_iso(when), message_id))


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
