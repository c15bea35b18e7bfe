"""Storm mode in the store (desk/storm.py, desk/store/storm.py): which triage cards are kept back, what happens to
the updates and replies of a card not yet posted, the summary ahead of the queue and coalesced, the release order
(critical first, then oldest), and the end of a storm. Pure SQL on both engines, no Teams."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.outbox.send_policy import THREAD_LIMITS
from desk import storm
from desk.outbox import Card, Operation, Outgoing
from desk.store import conversations as conv_sql
from desk.store import incidents as incident_sql
from desk.store import outbox as outbox_sql
from desk.store import storm as storm_sql
from desk.store import tickets as ticket_sql
from desk.store.conversations import Conversation
from desk.store.database import Cx, Database
from desk.store.incidents import LinkedIncident
from desk.storm import StormPolicy, StormView, storm_round, summary_key, threshold_for
from desk.tickets import Product, Requester, Severity, Ticket, TicketFields
from tests.support.engines import open_test_database

NOW = datetime(2026, 1, 12, 10, 0, tzinfo=UTC)


def channel(key: str) -> Conversation:
    return Conversation(key, {"conversation": {"id": key}}, "https://smba.example/", "tenant", "channel")


CHANNEL, OTHER = channel("19:triage@thread.tacv2"), channel("19:other@thread.tacv2")
POLICY = StormPolicy(threshold=5, summary_every=10.0)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await open_test_database(tmp_path)
    await database.run(lambda cx: [conv_sql.save_conversation(cx, c, NOW) for c in (CHANNEL, OTHER)])
    yield database
    await database.close()


def new_ticket(cx: Cx, n: int, severity: Severity = Severity.MODERATE, customer: str = "Fabrikam, Inc.") -> Ticket:
    requester = Requester(f"tenant-{customer}", customer, f"aad-{n}", "Megan", "m@x.example", "a:chat")
    fields = TicketFields(Product.M365, "Exchange Online", severity, f"Problem {n}", "Mail is down.", "-")
    ticket_id = ticket_sql.insert_ticket(cx, f"key-{n}", requester, fields, NOW, (None, None))
    ticket = ticket_sql.get_ticket(cx, ticket_id)
    assert ticket is not None
    return ticket


def card_post(channel: Conversation, ticket: Ticket, incidents: list[LinkedIncident] | None = None) -> Outgoing:
    linked = "".join(f" [{incident.incident_id}]" for incident in incidents or [])
    return Outgoing(channel.key, Operation.POST, {"text": f"card {ticket.number}{linked}"}, ticket.id, Card.TRIAGE)


def summary_of(channel: Conversation, view: StormView) -> dict[str, Any]:
    waiting = [t.number for t in view.tickets if not t.posted]
    return {"text": f"summary of {len(view.tickets)}; over={view.over}; waiting={','.join(waiting)}"}


async def create(db: Database, count: int, start: int = 0, severity: Severity = Severity.MODERATE) -> list[Ticket]:
    """Create tickets, each queuing its card as intake does (storm.queue in the ticket's transaction)."""

    def work(cx: Cx) -> list[Ticket]:
        made = []
        for n in range(start, start + count):
            ticket = new_ticket(cx, n, severity)
            storm.queue(cx, [card_post(CHANNEL, ticket)], NOW, POLICY)
            made.append(ticket)
        return made

    return await db.run(work)


async def outbox(db: Database, status: str | None = None) -> list[dict[str, Any]]:
    sql = "SELECT * FROM outbox" + (" WHERE status = ?" if status else "") + " ORDER BY id"
    return [dict(row) for row in await db.read(lambda cx: cx.all(sql, (status,) if status else ()))]


async def run_round(db: Database, now: datetime = NOW) -> storm.RoundResult:
    return await db.run(lambda cx: storm_round(cx, CHANNEL.key, now, POLICY, card_post, summary_of))


async def send_all(db: Database, conversation_key: str = CHANNEL.key) -> list[str]:
    """Deliver the channel's pending messages head by head, as the sender does; returns their texts in order."""
    texts: list[str] = []

    def one(cx: Cx) -> bool:
        heads = [m for m in outbox_sql.heads(cx, NOW, 100) if m.outgoing.conversation_key == conversation_key]
        if not heads:
            return False
        message = heads[0]
        outbox_sql.mark_sent(cx, message.id, f"act-{message.id}", NOW)
        out = message.outgoing
        if out.operation is Operation.POST and out.card_key:
            outbox_sql.record_posted(cx, out.card_key, out.conversation_key, f"act-{message.id}")
        if out.operation is Operation.POST and out.card is Card.TRIAGE and out.ticket_id:
            ticket_sql.record_card(cx, out.ticket_id, "triage", f"act-{message.id}")
        texts.append(str(out.activity.get("text")))
        return True

    while await db.run(one):
        pass
    return texts


def test_the_threshold_is_what_teams_lets_through_a_channel_in_half_a_minute() -> None:
    assert threshold_for(THREAD_LIMITS) == 60  # 60 in 30 s is the tightest of 7/1 s, 8/2 s, 60/30 s
    assert threshold_for(THREAD_LIMITS, 60.0) == 120


async def test_cards_are_posted_until_the_queue_is_full_then_kept_back(db: Database) -> None:
    await create(db, 7)
    pending = await outbox(db, "pending")
    assert [row["ticket_id"] for row in pending] == [1, 2, 3, 4, 5]  # threshold 5
    assert await db.read(lambda cx: storm_sql.waiting(cx, CHANNEL.key)) == 2
    current = await db.read(lambda cx: storm_sql.storm(cx, CHANNEL.key))
    assert current is not None and current.active and current.seq == 1


async def test_while_cards_wait_new_ones_wait_behind_them_even_with_room_in_the_queue(db: Database) -> None:
    await create(db, 6)
    await db.run(lambda cx: cx.execute("UPDATE outbox SET status = 'sent'"))  # the queue drained
    await create(db, 1, start=6)
    assert await db.read(lambda cx: storm_sql.waiting(cx, CHANNEL.key)) == 2  # not ahead of the one kept back


async def test_another_channel_is_not_in_storm(db: Database) -> None:
    await create(db, 6)

    def elsewhere(cx: Cx) -> None:
        ticket = new_ticket(cx, 99)
        storm.queue(cx, [card_post(OTHER, ticket)], NOW, POLICY)

    await db.run(elsewhere)
    assert [r["ticket_id"] for r in await outbox(db, "pending") if r["conversation_key"] == OTHER.key] == [7]
    assert await db.read(lambda cx: storm_sql.storm(cx, OTHER.key)) is None


async def test_updates_of_a_kept_back_card_are_dropped_and_replies_wait_for_it(db: Database) -> None:
    [*_, kept] = await create(db, 6)
    update = Outgoing(CHANNEL.key, Operation.UPDATE, {"text": "update"}, kept.id, Card.TRIAGE)
    replies = [Outgoing(CHANNEL.key, Operation.REPLY, {"text": f"reply {n}"}, kept.id, Card.TRIAGE) for n in (1, 2)]
    await db.run(lambda cx: outbox_sql.enqueue(cx, [update, *replies], NOW))
    assert [r["activity"] for r in await outbox(db, "deferred")] == ['{"text": "reply 1"}', '{"text": "reply 2"}']
    assert all(r["operation"] != "update" for r in await outbox(db))

    await send_all(db)  # the queue drains: room for the kept-back card
    await run_round(db)
    sent = await send_all(db)
    assert sent[-3:] == [f"card {kept.number}", "reply 1", "reply 2"], "its replies follow its post, in order"
    assert await outbox(db, "deferred") == []


async def test_the_summary_goes_ahead_of_the_queue(db: Database) -> None:
    await create(db, 8)
    result = await run_round(db)
    assert result.summary == "post"
    sent = await send_all(db)
    assert sent[0].startswith("summary of 3;"), sent[0]


async def test_summary_updates_are_coalesced_into_one_waiting_message(db: Database) -> None:
    await create(db, 8)
    await run_round(db)
    await create(db, 2, start=8)
    assert (await run_round(db, NOW + timedelta(seconds=5))).summary is None, "not due yet"
    assert (await run_round(db, NOW + timedelta(seconds=10))).summary == "replaced"
    [waiting] = [r for r in await outbox(db, "pending") if r["card_key"]]
    assert (waiting["operation"], waiting["priority"]) == ("post", 1)
    assert "summary of 5;" in waiting["activity"]

    await send_all(db)
    await create(db, 1, start=10)
    assert (await run_round(db, NOW + timedelta(seconds=20))).summary == "update"
    await create(db, 1, start=11)
    assert (await run_round(db, NOW + timedelta(seconds=30))).summary == "replaced"
    summaries = [r for r in await outbox(db, "pending") if r["card_key"]]
    assert [(r["operation"], r["card_key"]) for r in summaries] == [("update", summary_key(CHANNEL.key, 1))]


async def test_a_summary_update_under_way_is_not_rewritten(db: Database) -> None:
    await create(db, 8)
    await run_round(db)
    await db.run(lambda cx: cx.execute("UPDATE outbox SET claimed_by = 'sender-a' WHERE card_key IS NOT NULL"))
    await create(db, 1, start=8)
    assert (await run_round(db, NOW + timedelta(seconds=10))).summary == "update"
    rows = [r for r in await outbox(db, "pending") if r["card_key"]]
    assert [r["operation"] for r in rows] == ["post", "update"]
    assert "summary of 3;" in rows[0]["activity"] and "summary of 4;" in rows[1]["activity"]


async def test_cards_are_released_critical_first_then_oldest_within_the_room(db: Database) -> None:
    await create(db, 5)  # fill the queue
    moderate = await create(db, 3, start=5)
    critical = await create(db, 2, start=8, severity=Severity.CRITICAL)
    await db.run(lambda cx: cx.execute("UPDATE outbox SET status = 'sent' WHERE id IN (1, 2, 3)"))
    result = await run_round(db)
    assert result.released == 3
    released = [r["ticket_id"] for r in await outbox(db, "pending") if r["ticket_id"] and not r["card_key"]]
    assert released[-3:] == [critical[0].id, critical[1].id, moderate[0].id]
    assert len([r for r in await outbox(db, "pending") if not r["priority"]]) == POLICY.threshold


async def test_a_ticket_made_critical_while_its_card_waits_is_released_first(db: Database) -> None:
    await create(db, 5)  # fill the queue
    waiting = await create(db, 3, start=5)
    raised, lowered = waiting[2], (await create(db, 1, start=8, severity=Severity.CRITICAL))[0]

    def change(cx: Cx) -> None:  # a technician changed both severities from the summary's Open
        cx.execute("UPDATE tickets SET severity = 'critical' WHERE id = ?", (raised.id,))
        cx.execute("UPDATE tickets SET severity = 'moderate' WHERE id = ?", (lowered.id,))
        cx.execute("UPDATE outbox SET status = 'sent' WHERE id IN (1, 2)")

    await db.run(change)
    assert (await run_round(db)).released == 2
    released = [r["ticket_id"] for r in await outbox(db, "pending") if r["ticket_id"] and not r["card_key"]]
    assert released[-2:] == [raised.id, waiting[0].id]


async def test_storm_mode_switched_off_mid_storm_posts_every_kept_back_card_and_ends(db: Database) -> None:
    tickets = await create(db, 12)
    assert await db.read(lambda cx: storm_sql.waiting(cx, CHANNEL.key)) == 7
    off = StormPolicy(threshold=0, summary_every=10.0)
    for _ in range(5):
        result = await db.run(lambda cx: storm_round(cx, CHANNEL.key, NOW, off, card_post, summary_of))
        await send_all(db)
        if result.over:
            break
    assert result.over, "the storm ends"
    posts = [r for r in await outbox(db) if r["operation"] == "post" and r["card"] == "triage"]
    assert sorted(r["ticket_id"] for r in posts) == [t.id for t in tickets], "every card posted once"
    assert all(r["status"] == "sent" for r in posts)


async def test_the_storm_ends_once_every_card_is_posted_with_a_last_summary(db: Database) -> None:
    tickets = await create(db, 12)
    for _ in range(10):
        result = await run_round(db)
        await send_all(db)
        if result.over:
            break
    assert result.over and result.summary in ("update", "replaced")
    current = await db.read(lambda cx: storm_sql.storm(cx, CHANNEL.key))
    assert current is not None and not current.active
    posts = [r for r in await outbox(db) if r["operation"] == "post" and r["card"] == "triage"]
    assert sorted(r["ticket_id"] for r in posts) == [t.id for t in tickets], "every card posted once"
    assert all(r["status"] == "sent" for r in posts)
    last = [r for r in await outbox(db) if r["card_key"]][-1]
    assert "over=True" in last["activity"]

    await create(db, 1, start=50)  # a quiet channel: the next card goes straight into the queue
    assert await db.read(lambda cx: storm_sql.waiting(cx, CHANNEL.key)) == 0


async def test_a_second_storm_gets_a_summary_card_of_its_own(db: Database) -> None:
    await create(db, 6)
    while not (await run_round(db)).over:
        await send_all(db)
    await send_all(db)
    await create(db, 6, start=6)
    await run_round(db)
    keys = {r["card_key"] for r in await outbox(db) if r["card_key"]}
    assert keys == {summary_key(CHANNEL.key, 1), summary_key(CHANNEL.key, 2)}


async def test_triage_here_does_not_post_again_the_cards_a_storm_keeps_back(db: Database) -> None:
    await create(db, 7)
    await db.run(lambda cx: cx.execute("UPDATE outbox SET status = 'sent'"))
    missing = await db.read(ticket_sql.open_without_triage_card)
    assert [t.id for t in missing] == [1, 2, 3, 4, 5], "the two kept back are the storm's to post"


def test_the_settings_give_storm_mode_its_threshold() -> None:
    from bot.runtime import storm_policy
    from desk.settings import Settings

    def policy(**env: str) -> StormPolicy:
        return storm_policy(Settings.from_env(env, env_file=None))

    assert policy() == StormPolicy(threshold=60, summary_every=10.0)
    assert policy(STORM_THRESHOLD="200", STORM_SUMMARY_SECONDS="30").threshold == 200
    assert policy(STORM_THRESHOLD="-1").threshold == 0, "off"


async def test_two_channels_in_storm_each_have_their_own_summary_and_release(db: Database) -> None:
    def burst(cx: Cx) -> None:
        for n in range(16):
            ticket = new_ticket(cx, n)
            storm.queue(cx, [card_post(CHANNEL if n % 2 else OTHER, ticket)], NOW, POLICY)

    await db.run(burst)
    assert set(await db.read(storm_sql.active_channels)) == {CHANNEL.key, OTHER.key}
    for key in (CHANNEL.key, OTHER.key):
        await db.run(lambda cx, key=key: storm_round(cx, key, NOW, POLICY, card_post, summary_of))
    summaries = {(r["conversation_key"], r["card_key"]) for r in await outbox(db, "pending") if r["card_key"]}
    assert summaries == {(CHANNEL.key, summary_key(CHANNEL.key, 1)), (OTHER.key, summary_key(OTHER.key, 1))}
    assert await send_all(db, OTHER.key) == [
        "summary of 3; over=False; waiting=T-1011,T-1013,T-1015",
        *[f"card T-{1001 + n}" for n in range(0, 10, 2)],
    ]


async def test_a_kept_back_card_is_drawn_with_the_incidents_linked_while_it_waited(db: Database) -> None:
    [*_, kept] = await create(db, 6)
    incident = LinkedIncident("EX123", "Mail delayed", "serviceDegradation", None)
    await db.run(lambda cx: incident_sql.link_incident(cx, kept.id, incident, NOW))
    await send_all(db)
    await run_round(db)
    assert f"card {kept.number} [EX123]" in await send_all(db)
