"""The weekly digest's record in the store: two instances (two database handles on one database, SQLite or
PostgreSQL) racing to queue the same week's digest queue it once, the week row and the outbox message together."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from desk.digest_service import DigestRecord
from desk.outbox import Operation, Outgoing
from desk.store.database import open_database
from tests.support.engines import fresh_database_url

NOW = datetime(2026, 11, 30, 15, 1, tzinfo=UTC)


def digest(text: str) -> Outgoing:
    return Outgoing("channel-key", Operation.POST, {"type": "message", "text": text})


async def test_two_instances_racing_queue_one_digest_per_week(tmp_path: Path) -> None:
    url = fresh_database_url(tmp_path)
    first, second = await open_database(url, 4), await open_database(url, 4)
    try:
        records = [DigestRecord(first), DigestRecord(second)]
        assert not await records[1].sent("2026-W49")

        results = await asyncio.gather(
            *(records[n % 2].queue_once("2026-W49", digest(f"copy {n}"), NOW) for n in range(6))
        )

        assert sorted(results) == [False] * 5 + [True]
        assert await records[0].sent("2026-W49") and await records[1].sent("2026-W49")
        rows = await first.read(lambda cx: cx.all("SELECT activity FROM outbox"))
        assert len(rows) == 1, "the message of the one call that recorded the week, and no other"
        assert await records[1].queue_once("2026-W50", digest("next week"), NOW)
        assert len(await first.read(lambda cx: cx.all("SELECT activity FROM outbox"))) == 2
    finally:
        await first.close()
        await second.close()
