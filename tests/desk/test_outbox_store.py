"""The outbox SQL behind several senders, pacing and held conversations: claims on conversations' heads (order kept,
expired claims taken over, old holders fenced), heads passed over while their send slot is closed, holds that are
not attempts, and what saving a conversation releases."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from desk.clock import to_iso
from desk.outbox import Operation, Outgoing
from desk.ratelimit import Limits, earliest
from desk.store import conversations as conv_sql
from desk.store import database
from desk.store import instances as instance_sql
from desk.store import outbox as outbox_sql
from desk.store.conversations import Conversation
from desk.store.database import Cx, Database, open_database
from desk.store.ratelimit import SqlSlotLog
from desk.store.schema import MIGRATIONS
from tests.support.engines import fresh_database_url, open_test_database

NOW = datetime(2026, 1, 12, 10, 0, tzinfo=UTC)
CHAT = Conversation("a:chat", {"conversation": {"id": "a:chat"}}, "https://smba.example/", "tenant", "personal")


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await open_test_database(tmp_path)
    await database.run(lambda cx: conv_sql.save_conversation(cx, CHAT, NOW))
    yield database
    await database.close()


async def queued(db: Database, text: str) -> int:
    def work(cx: Cx) -> int:
        outbox_sql.enqueue(cx, [Outgoing(CHAT.key, Operation.POST, {"type": "message", "text": text})], NOW)
        row = cx.one("SELECT MAX(id) AS id FROM outbox")
        assert row is not None
        return int(row["id"])

    return await db.run(work)


def claim(cx: Cx, holder: str, now: datetime, until: datetime) -> list[str]:
    """What a sender's claim does with the store: take the heads it may send now, mark them its own."""
    heads = outbox_sql.heads(cx, now, 10)
    outbox_sql.claim(cx, [message.id for message in heads], holder, until)
    return [message.outgoing.activity["text"] for message in heads]


async def test_a_claimed_head_is_nobody_elses_and_its_conversation_keeps_its_order(db: Database) -> None:
    """A claims the chat's first message; B finds nothing in that chat (not its second message either), but the other
    conversation's; once A records its delivery, the chat's second message is the next head."""
    first = await queued(db, "one")
    await queued(db, "two")
    await db.run(lambda cx: outbox_sql.enqueue(cx, [Outgoing("a:other", Operation.POST, {"text": "elsewhere"})], NOW))
    until = NOW + timedelta(minutes=2)

    assert await db.run(lambda cx: claim(cx, "A", NOW, until)) == ["one", "elsewhere"]
    assert await db.run(lambda cx: claim(cx, "B", NOW, until)) == []

    def delivered(cx: Cx) -> bool:
        if not outbox_sql.unclaim(cx, first, "A"):
            return False
        outbox_sql.mark_sent(cx, first, "activity", NOW)
        return True

    assert await db.run(delivered)
    assert await db.run(lambda cx: claim(cx, "B", NOW, until)) == ["two"]


async def test_an_expired_claim_is_taken_over_and_its_old_holder_records_nothing(db: Database) -> None:
    """A claim lasts until its expiry; then any sender may take the message over, and the holder that vanished (or
    stalled) finds, when it comes back, that the message is no longer its to record."""
    message = await queued(db, "one")
    await db.run(lambda cx: claim(cx, "A", NOW, NOW + timedelta(minutes=2)))
    assert await db.run(outbox_sql.next_due) == NOW + timedelta(minutes=2)

    assert await db.run(lambda cx: claim(cx, "B", NOW + timedelta(seconds=119), NOW + timedelta(minutes=4))) == []
    assert await db.run(lambda cx: claim(cx, "B", NOW + timedelta(minutes=2), NOW + timedelta(minutes=4))) == ["one"]

    assert await db.run(lambda cx: outbox_sql.unclaim(cx, message, "A")) is False
    assert await db.run(lambda cx: outbox_sql.unclaim(cx, message, "B")) is True
    [row] = await db.run(lambda cx: cx.all("SELECT status, attempts, claimed_by, claimed_until FROM outbox"))
    assert row == {"status": "pending", "attempts": 0, "claimed_by": None, "claimed_until": None}


async def test_a_claim_whose_holders_heartbeat_lapsed_is_taken_over_before_it_expires(db: Database) -> None:
    """A killed instance's claims are free once its heartbeat lapses (seconds), not when they expire (two minutes):
    its conversations, the triage channel among them, do not stall. A live heartbeat, or none at all, keeps them."""
    message = await queued(db, "one")
    await db.run(lambda cx: claim(cx, "A", NOW, NOW + timedelta(minutes=2)))
    await db.run(lambda cx: instance_sql.beat(cx, "A", NOW + timedelta(seconds=10)))
    later = NOW + timedelta(seconds=5)
    assert await db.run(lambda cx: claim(cx, "B", later, later + timedelta(minutes=2))) == []  # A lives

    lapsed = NOW + timedelta(seconds=10)
    assert await db.run(lambda cx: claim(cx, "B", lapsed, lapsed + timedelta(minutes=2))) == ["one"]
    assert await db.run(lambda cx: outbox_sql.unclaim(cx, message, "A")) is False  # A, back, records nothing


async def test_a_claim_whose_holder_has_no_heartbeat_lasts_until_it_expires(db: Database) -> None:
    await queued(db, "one")
    await db.run(lambda cx: claim(cx, "A", NOW, NOW + timedelta(minutes=2)))
    later = NOW + timedelta(minutes=1)
    assert await db.run(lambda cx: claim(cx, "B", later, later + timedelta(minutes=2))) == []


async def test_a_claim_expired_but_not_taken_over_is_still_its_holders(db: Database) -> None:
    """A slow sender whose claim ran out while nobody took the message over still records its outcome."""
    message = await queued(db, "one")
    await db.run(lambda cx: claim(cx, "A", NOW, NOW + timedelta(seconds=1)))
    assert await db.run(lambda cx: outbox_sql.unclaim(cx, message, "A")) is True


async def test_a_conversation_or_tenant_waiting_for_its_slot_is_passed_over(db: Database) -> None:
    """Heads whose conversation's (or tenant's) next send slot has not opened are not offered, whatever their age,
    so they hold up no one; the next due time is when their slot opens."""
    other = Conversation("a:other", {}, "https://smba.example/", "TENANT-2", "personal")
    await db.run(lambda cx: conv_sql.save_conversation(cx, other, NOW))
    await queued(db, "paced")
    await db.run(lambda cx: outbox_sql.enqueue(cx, [Outgoing(other.key, Operation.POST, {"text": "free"})], NOW))

    await db.run(lambda cx: SqlSlotLog(cx).set_next(outbox_sql.conversation_pace(CHAT.key), NOW + timedelta(seconds=3)))
    assert await db.run(lambda cx: [m.outgoing.activity["text"] for m in outbox_sql.heads(cx, NOW, 10)]) == ["free"]

    await db.run(lambda cx: SqlSlotLog(cx).set_next(outbox_sql.tenant_pace("tenant-2"), NOW + timedelta(seconds=1)))
    assert await db.run(lambda cx: outbox_sql.heads(cx, NOW, 10)) == []  # the tenant id's case does not matter
    assert await db.run(outbox_sql.next_due) == NOW + timedelta(seconds=1)
    later = NOW + timedelta(seconds=3)
    assert await db.run(lambda cx: [m.outgoing.activity["text"] for m in outbox_sql.heads(cx, later, 10)]) == [
        "paced",
        "free",
    ]


async def test_holding_is_not_an_attempt(db: Database) -> None:
    """A held message keeps its attempt count (which bounds retries) and stays pending, but is no head."""
    first = await queued(db, "one")
    await db.run(lambda cx: outbox_sql.hold(cx, first, outbox_sql.HELD, "HTTP 403"))
    [row] = await db.run(lambda cx: cx.all("SELECT status, attempts FROM outbox"))
    assert (row["status"], row["attempts"]) == ("pending", 0)
    assert await db.run(lambda cx: outbox_sql.heads(cx, NOW + timedelta(days=3650), 10)) == []


async def test_saving_a_conversation_unblocks_it_and_moves_no_message(db: Database) -> None:
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


async def test_refusals_are_counted_from_the_first(db: Database) -> None:
    """The first refusal blocks (keeping its time); later ones only count."""
    assert await db.run(lambda cx: conv_sql.refuse(cx, CHAT.key, "HTTP 403", NOW)) == 1
    assert await db.run(lambda cx: conv_sql.refuse(cx, CHAT.key, "HTTP 404", NOW + timedelta(hours=1))) == 2
    row = await db.run(lambda cx: cx.one("SELECT blocked_at, blocked_reason, probes FROM conversations"))
    assert row is not None and row["blocked_reason"] == "HTTP 404" and row["probes"] == 2
    assert row["blocked_at"].startswith("2026-01-12T10:00")


async def test_messages_delivered_before_the_upgrade_count_in_their_conversations_windows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Teams' windows used to be counted from delivered rows; the migration to the shared limiter carries them over,
    so a chat that took 60 messages in the last 10 s before the upgrade still waits 20 s after it."""
    mine = next(i for i, m in enumerate(MIGRATIONS) if any("claimed_by" in s for s in m))
    monkeypatch.setattr(database, "MIGRATIONS", MIGRATIONS[:mine])
    db = await open_database(fresh_database_url(tmp_path / "old"))
    try:
        storm = [NOW - timedelta(seconds=10) + timedelta(seconds=n / 6) for n in range(60)]

        def delivered(cx: Cx) -> None:
            for at in storm:
                # As the code of that time wrote it (today's enqueue writes columns added since).
                cx.execute(
                    "INSERT INTO outbox (conversation_key, operation, activity, next_attempt_at, created_at)"
                    " VALUES (?, 'post', '{\"type\": \"message\"}', ?, ?)",
                    (CHAT.key, to_iso(at), to_iso(at)),
                )
                cx.execute(
                    "UPDATE outbox SET status = 'sent', sent_at = ? WHERE id = (SELECT MAX(id) FROM outbox)",
                    (to_iso(at),),
                )

        await db.run(delivered)
        monkeypatch.setattr(database, "MIGRATIONS", MIGRATIONS)
        await db.run(database.migrate)

        key = outbox_sql.conversation_pace(CHAT.key)
        opens = await db.run(lambda cx: earliest(SqlSlotLog(cx), key, Limits(((60, 30.0),)), NOW))
        assert opens == NOW + timedelta(seconds=20)
    finally:
        await db.close()
