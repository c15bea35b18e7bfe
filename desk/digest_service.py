"""The weekly Message center digest's record: whether a week's digest went out, and queuing it exactly once (the
week's row and the outbox message in one transaction)."""

from __future__ import annotations

from datetime import datetime

from desk.outbox import Outgoing
from desk.store import digests as digest_sql
from desk.store import outbox as outbox_sql
from desk.store.database import Cx, Database


class DigestRecord:
    """The digests sent, in the database every instance shares."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def sent(self, week: str) -> bool:
        """Whether `week`'s digest was queued already (a read: rounds that find it sent write nothing)."""
        return await self._db.read(lambda cx: digest_sql.digest_sent(cx, week))

    async def queue_once(self, week: str, message: Outgoing, now: datetime) -> bool:
        """Queue `message` as `week`'s digest unless that week's digest was queued: True when this call queued it.
        Re-runnable (PostgreSQL retries a serialization failure): nothing but the database is touched."""

        def work(cx: Cx) -> bool:
            if not digest_sql.record_digest(cx, week, message.conversation_key, now):
                return False
            outbox_sql.enqueue(cx, [message], now)
            return True

        return await self._db.run(work)
