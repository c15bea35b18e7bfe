"""The trace a storm of sends leaves: messages recorded as delivered at given moments, each also a slot taken in the
conversation's pace (the shared rate limiter's log, from which the senders count Teams' windows)."""

from __future__ import annotations

from datetime import datetime

from bot.outbox.send_policy import SendPolicy
from desk.clock import to_iso
from desk.ratelimit import take
from desk.store import conversations as conv_sql
from desk.store import outbox as outbox_sql
from desk.store.database import Cx, Database
from desk.store.ratelimit import SqlSlotLog


async def record_delivered(db: Database, conversation_key: str, moments: list[datetime]) -> None:
    """One delivered message to the conversation at each moment (in order)."""

    def work(cx: Cx) -> None:
        conversation = conv_sql.get_conversation(cx, conversation_key)
        limits = SendPolicy().conversation_limits(conversation.kind if conversation else "personal")
        log = SqlSlotLog(cx)
        for moment in moments:
            at = to_iso(moment)
            cx.execute(
                "INSERT INTO outbox (conversation_key, operation, activity, status, attempts, next_attempt_at,"
                " created_at, sent_at) VALUES (?, 'post', '{}', 'sent', 1, ?, ?, ?)",
                (conversation_key, at, at, at),
            )
            take(log, outbox_sql.conversation_pace(conversation_key), limits, moment)

    await db.run(work)
