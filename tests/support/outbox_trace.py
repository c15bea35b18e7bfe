"""The trace a storm of sends leaves in the outbox: messages recorded as delivered at given moments (the sender
counts Teams' windows of minutes from them)."""

from __future__ import annotations

from datetime import datetime

from desk.clock import to_iso
from desk.store.database import Cx, Database


async def record_delivered(db: Database, conversation_key: str, moments: list[datetime]) -> None:
    """One delivered message to the conversation at each moment."""
    stamps = [to_iso(moment) for moment in moments]

    def work(cx: Cx) -> None:
        for at in stamps:
            cx.execute(
                "INSERT INTO outbox (conversation_key, operation, activity, status, attempts, next_attempt_at,"
                " created_at, sent_at) VALUES (?, 'post', '{}', 'sent', 1, ?, ?, ?)",
                (conversation_key, at, at, at),
            )

    await db.run(work)
