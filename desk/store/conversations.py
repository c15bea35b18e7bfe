"""SQL for conversation references (where the bot can write later) and small key/value records."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from desk.clock import to_iso
from desk.store.database import Cx


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


def save_conversation(cx: Cx, conversation: Conversation, now: datetime) -> None:
    """Insert or refresh a conversation reference; a conversation that writes to us again is unblocked."""
    cx.execute(
        "INSERT INTO conversations (key, reference, service_url, tenant_id, kind, user_aad_id, locale, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET reference = excluded.reference,"
        " service_url = excluded.service_url, tenant_id = excluded.tenant_id, kind = excluded.kind,"
        " user_aad_id = excluded.user_aad_id, locale = excluded.locale, updated_at = excluded.updated_at,"
        " blocked_at = NULL, blocked_reason = NULL",
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
    if row is None:
        return None
    return Conversation(
        key=row["key"],
        reference=json.loads(row["reference"]),
        service_url=row["service_url"],
        tenant_id=row["tenant_id"],
        kind=row["kind"],
        user_aad_id=row["user_aad_id"],
        locale=row["locale"],
        blocked_reason=row["blocked_reason"],
    )


def block_conversation(cx: Cx, key: str, reason: str, now: datetime) -> None:
    """Mark a conversation that refuses the bot (removed, blocked)."""
    cx.execute("UPDATE conversations SET blocked_at = ?, blocked_reason = ? WHERE key = ?", (to_iso(now), reason, key))


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
    """Forget new-ticket forms that were never submitted."""
    return cx.execute("DELETE FROM drafts WHERE ticket_id IS NULL AND created_at < ?", (to_iso(now - keep),))


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
    """Take or renew a named lease; False while another holder's lease is still valid."""
    changed = cx.execute(
        "INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET"
        " holder = excluded.holder, expires_at = excluded.expires_at"
        " WHERE leases.holder = excluded.holder OR leases.expires_at < ?",
        (name, holder, to_iso(now + ttl), to_iso(now)),
    )
    return changed == 1
