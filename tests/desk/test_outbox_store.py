"""The outbox SQL behind pacing and held conversations: windows counted from delivered rows, rescheduling that is not
an attempt, and what saving a conversation releases."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from desk.outbox import Operation, Outgoing
from desk.store import conversations as conv_sql
from desk.store import outbox as outbox_sql
from desk.store.conversations import Conversation
from desk.store.database import Cx, SqliteDatabase

NOW = datetime(2026, 1, 12, 10, 0, tzinfo=UTC)
CHAT = Conversation("a:chat", {"conversation": {"id": "a:chat"}}, "https://smba.example/", "tenant", "personal")


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[SqliteDatabase]:
    database = SqliteDatabase(str(tmp_path / "desk.db"))
    await database.open()
    await database.run(lambda cx: conv_sql.save_conversation(cx, CHAT, NOW))
    yield database
    await database.close()


def delivered(cx: Cx, key: str, *at: datetime) -> None:
    """Messages delivered to `key` at the given instants."""
    for when in at:
        outbox_sql.enqueue(cx, [Outgoing(key, Operation.POST, {"type": "message"})], when)
        row = cx.one("SELECT MAX(id) AS id FROM outbox")
        assert row is not None
        outbox_sql.mark_sent(cx, row["id"], "activity", when)


async def queued(db: SqliteDatabase, text: str) -> int:
    def work(cx: Cx) -> int:
        outbox_sql.enqueue(cx, [Outgoing(CHAT.key, Operation.POST, {"type": "message", "text": text})], NOW)
        row = cx.one("SELECT MAX(id) AS id FROM outbox")
        assert row is not None
        return int(row["id"])

    return await db.run(work)


async def test_a_window_opens_when_the_oldest_of_its_count_leaves_it(db: SqliteDatabase) -> None:
    """3 in any 10 s: after sends at -9 s, -5 s, -1 s the next may go at +1 s; other conversations do not count."""
    ago = [NOW - timedelta(seconds=s) for s in (9, 5, 1)]
    await db.run(lambda cx: delivered(cx, CHAT.key, *ago))
    await db.run(lambda cx: delivered(cx, "a:other", NOW, NOW, NOW))

    opens = await db.run(lambda cx: outbox_sql.window_opens(cx, CHAT.key, ((3, 10.0),), NOW))
    assert opens == NOW + timedelta(seconds=1)
    assert await db.run(lambda cx: outbox_sql.window_opens(cx, CHAT.key, ((4, 10.0),), NOW)) == NOW
    assert await db.run(lambda cx: outbox_sql.window_opens(cx, CHAT.key, ((3, 9.0),), NOW)) == NOW  # -9 s has left
    later = await db.run(lambda cx: outbox_sql.window_opens(cx, CHAT.key, ((3, 10.0), (2, 60.0)), NOW))
    assert later == NOW + timedelta(seconds=55)  # the strictest window wins


async def test_rescheduling_and_holding_are_not_attempts(db: SqliteDatabase) -> None:
    """A paced or held message keeps its attempt count (which bounds retries) and stays pending."""
    first = await queued(db, "one")
    await db.run(lambda cx: outbox_sql.defer(cx, [(first, NOW + timedelta(minutes=45))]))
    [row] = await db.run(lambda cx: cx.all("SELECT status, attempts, next_attempt_at FROM outbox"))
    assert (row["status"], row["attempts"]) == ("pending", 0)
    assert await db.run(outbox_sql.next_due) == NOW + timedelta(minutes=45)
    await db.run(lambda cx: outbox_sql.hold(cx, first, outbox_sql.HELD, "HTTP 403"))
    assert await db.run(lambda cx: outbox_sql.heads(cx, NOW + timedelta(days=3650), 10)) == []


async def test_saving_a_conversation_unblocks_it_and_moves_no_message(db: SqliteDatabase) -> None:
    """A customer who writes again does not cut short a Retry-After; a blocked conversation saved again is unblocked,
    and what it held waits for `release` (`triage here` calls it for the triage channel)."""
    waiting = await queued(db, "after a 429")
    await db.run(lambda cx: outbox_sql.mark_retry(cx, waiting, NOW + timedelta(seconds=30), "HTTP 429"))
    await db.run(lambda cx: conv_sql.save_conversation(cx, CHAT, NOW))
    assert await db.run(outbox_sql.next_due) == NOW + timedelta(seconds=30)

    await db.run(lambda cx: conv_sql.refuse(cx, CHAT.key, "HTTP 403", NOW))
    await db.run(lambda cx: outbox_sql.hold(cx, waiting, outbox_sql.HELD, "HTTP 403"))
    await db.run(lambda cx: conv_sql.save_conversation(cx, CHAT, NOW))
    stored = await db.run(lambda cx: conv_sql.get_conversation(cx, CHAT.key))
    assert stored is not None and (stored.blocked_reason, stored.probes) == (None, 0)
    assert await db.run(outbox_sql.next_due) == outbox_sql.HELD
    assert await db.run(lambda cx: outbox_sql.release(cx, CHAT.key, NOW)) == 1
    assert await db.run(outbox_sql.next_due) == NOW


async def test_refusals_are_counted_from_the_first(db: SqliteDatabase) -> None:
    """The first refusal blocks (keeping its time); later ones only count."""
    assert await db.run(lambda cx: conv_sql.refuse(cx, CHAT.key, "HTTP 403", NOW)) == 1
    assert await db.run(lambda cx: conv_sql.refuse(cx, CHAT.key, "HTTP 404", NOW + timedelta(hours=1))) == 2
    row = await db.run(lambda cx: cx.one("SELECT blocked_at, blocked_reason, probes FROM conversations"))
    assert row is not None and row["blocked_reason"] == "HTTP 404" and row["probes"] == 2
    assert row["blocked_at"].startswith("2026-01-12T10:00")
