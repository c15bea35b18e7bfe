"""SQL for conversation references (where the bot can write later) and small key/value records."""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from desk.clock import from_iso, to_iso
from desk.store.database import Cx, Row


@dataclass(frozen=True)
class Conversation:
    """Where the bot can send: a Bot Framework conversation reference (as JSON) and what it is."""

    key: str
    reference: dict[str, Any]
    service_url: str
    tenant_id: str
    kind: str  # personal | channel | groupChat
    user_aad_id: str | None = None
    locale: str | None = None
    blocked_reason: str | None = None
    probes: int = 0  # refused sends since it was blocked (a held triage channel's probes)


def save_conversation(cx: Cx, conversation: Conversation, now: datetime) -> None:
    """Insert or refresh a conversation reference; a conversation that writes to us again is unblocked."""
    cx.execute(
        "INSERT INTO conversations (key, reference, service_url, tenant_id, kind, user_aad_id, locale, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET reference = excluded.reference,"
        " service_url = excluded.service_url, tenant_id = excluded.tenant_id, kind = excluded.kind,"
        " user_aad_id = excluded.user_aad_id, locale = excluded.locale, updated_at = excluded.updated_at,"
        " blocked_at = NULL, blocked_reason = NULL, probes = 0",
        (
            conversation.key,
            json.dumps(conversation.reference),
            conversation.service_url,
            conversation.tenant_id,
            conversation.kind,
            conversation.user_aad_id,
            conversation.locale,
            to_iso(now),
        ),
    )


def get_conversation(cx: Cx, key: str) -> Conversation | None:
    """A stored conversation by key."""
    row = cx.one("SELECT * FROM conversations WHERE key = ?", (key,))
    return _conversation(row) if row is not None else None


def conversations_by_key(cx: Cx, keys: Collection[str]) -> dict[str, Conversation]:
    """The stored conversations among `keys`, in one query."""
    if not keys:
        return {}
    rows = cx.all(f"SELECT * FROM conversations WHERE key IN ({', '.join('?' * len(keys))})", tuple(keys))
    return {row["key"]: _conversation(row) for row in rows}


def _conversation(row: Row) -> Conversation:
    return Conversation(
        key=row["key"],
        reference=json.loads(row["reference"]),
        service_url=row["service_url"],
        tenant_id=row["tenant_id"],
        kind=row["kind"],
        user_aad_id=row["user_aad_id"],
        locale=row["locale"],
        blocked_reason=row["blocked_reason"],
        probes=row["probes"],
    )


def block_conversation(cx: Cx, key: str, reason: str, now: datetime) -> None:
    """Mark a conversation that refuses the bot (removed, blocked)."""
    cx.execute("UPDATE conversations SET blocked_at = ?, blocked_reason = ? WHERE key = ?", (to_iso(now), reason, key))


def refuse(cx: Cx, key: str, reason: str, now: datetime) -> int:
    """Count one more refused send to a conversation, blocking it from the first; returns the refusals so far."""
    cx.execute(
        "UPDATE conversations SET blocked_at = COALESCE(blocked_at, ?), blocked_reason = ?, probes = probes + 1"
        " WHERE key = ?",
        (to_iso(now), reason, key),
    )
    row = cx.one("SELECT probes FROM conversations WHERE key = ?", (key,))
    return int(row["probes"]) if row else 0


def unblock(cx: Cx, key: str) -> None:
    """A blocked conversation took a message again."""
    cx.execute("UPDATE conversations SET blocked_at = NULL, blocked_reason = NULL, probes = 0 WHERE key = ?", (key,))


def technician_chats(cx: Cx) -> list[Conversation]:
    """The personal chats with the bot of the technicians in the directory (those that do not refuse it)."""
    rows = cx.all(
        "SELECT c.key FROM conversations c JOIN technicians t ON c.user_aad_id = t.aad_id"
        " WHERE c.kind = 'personal' AND c.blocked_at IS NULL ORDER BY t.name"
    )
    return [chat for row in rows if (chat := get_conversation(cx, row["key"])) is not None]


def refused_channel(cx: Cx, meta_key: str) -> Row | None:
    """The conversation named by the meta value `meta_key` (the triage channel): its key, when it was blocked and
    why, its refusals, how many messages wait for it and when the next is due. None when none is named."""
    return cx.one(
        "SELECT m.value AS key, c.blocked_at, c.blocked_reason, c.probes,"
        " (SELECT COUNT(*) FROM outbox o WHERE o.conversation_key = m.value AND o.status = 'pending') AS held,"
        " (SELECT MIN(o.next_attempt_at) FROM outbox o WHERE o.conversation_key = m.value AND o.status = 'pending')"
        " AS next_attempt_at FROM meta m LEFT JOIN conversations c ON c.key = m.value WHERE m.key = ?",
        (meta_key,),
    )


def get_meta(cx: Cx, key: str) -> str | None:
    """A small named value."""
    row = cx.one("SELECT value FROM meta WHERE key = ?", (key,))
    return row["value"] if row else None


def set_meta(cx: Cx, key: str, value: str) -> None:
    """Set a small named value."""
    cx.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (key, value),
    )


def prune_drafts(cx: Cx, now: datetime, keep: timedelta = timedelta(days=30)) -> int:
    """Forget new-ticket forms opened more than `keep` ago, submitted or not (a submitted one only answers a
    repeated submit; the ticket's idempotency key still stops a second ticket)."""
    return cx.execute("DELETE FROM drafts WHERE created_at < ?", (to_iso(now - keep),))


def prune_inbound(
    cx: Cx, now: datetime, keep: timedelta = timedelta(days=2), keep_answers: timedelta = timedelta(hours=1)
) -> int:
    """Forget inbound activity ids and the changes their turns applied after `keep`, and card actions' kept
    answers after `keep_answers` (Teams redelivers within minutes, not days)."""
    cx.execute(
        "UPDATE inbound_activities SET response = NULL WHERE response IS NOT NULL AND received_at < ?",
        (to_iso(now - keep_answers),),
    )
    cx.execute("DELETE FROM inbound_changes WHERE applied_at < ?", (to_iso(now - keep),))
    return cx.execute("DELETE FROM inbound_activities WHERE received_at < ?", (to_iso(now - keep),))


def acquire_lease(cx: Cx, name: str, holder: str, now: datetime, ttl: timedelta) -> bool:
    """Take or renew a named lease until `now + ttl`; False while another holder's lease runs (a lease ends at its
    `expires_at`: from that instant anyone may take it)."""
    changed = cx.execute(
        "INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET"
        " holder = excluded.holder, expires_at = excluded.expires_at"
        " WHERE leases.holder = excluded.holder OR leases.expires_at <= ?",
        (name, holder, to_iso(now + ttl), to_iso(now)),
    )
    return changed == 1


def lease_expiry(cx: Cx, name: str) -> datetime | None:
    """When the named lease ends (None: nobody holds it)."""
    row = cx.one("SELECT expires_at FROM leases WHERE name = ?", (name,))
    return from_iso(row["expires_at"]) if row else None


def release_lease(cx: Cx, name: str, holder: str) -> None:
    """Give a lease up (an instance stopping), so another instance takes the job over at once."""
    cx.execute("DELETE FROM leases WHERE name = ? AND holder = ?", (name, holder))
