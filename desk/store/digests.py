"""The weekly Message center digests sent: one row per ISO week, written in the transaction that queues the digest,
so restarts and other instances never send a week's digest twice."""

from __future__ import annotations

from datetime import datetime

from desk.clock import to_iso
from desk.store.database import Cx


def digest_sent(cx: Cx, week: str) -> bool:
    """Whether the digest of `week` ("2026-W49") was queued."""
    return cx.one("SELECT week FROM message_center_digests WHERE week = ?", (week,)) is not None


def record_digest(cx: Cx, week: str, conversation_key: str, now: datetime) -> bool:
    """Record the digest of `week` as queued; False (and nothing written) when it already was."""
    changed = cx.execute(
        "INSERT INTO message_center_digests (week, conversation_key, sent_at) VALUES (?, ?, ?)"
        " ON CONFLICT (week) DO NOTHING",
        (week, conversation_key, to_iso(now)),
    )
    return changed == 1
