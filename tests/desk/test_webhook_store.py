"""The PSA bridge's outbox in the store: events queued with their change (per URL, only the public kinds), claims on
each ticket's oldest pending event (order per ticket, one ticket's retry never holding up another), claims taken
over once expired with the old holder fenced (each event recorded delivered once), failures that end a ticket's
wait, URLs removed from the settings, replay records, and the retry schedule."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from bot.jobs.psa_webhooks import FIRST_RETRY_SECONDS, LONGEST_RETRY_SECONDS, retry_wait
from desk.clock import to_iso
from desk.store import events as event_sql
from desk.store import tickets as ticket_sql
from desk.store import webhooks as webhook_sql
from desk.store.database import Cx, Database
from desk.store.events import Event
from desk.tickets import Product, Requester, Severity, TicketFields
from tests.support.engines import open_test_database

NOW = datetime(2026, 1, 12, 10, 0, tzinfo=UTC)
URL, OTHER_URL = "https://psa.example/hook", "https://other.example/hook"
SCHEMA = json.loads((Path(__file__).parents[2] / "docs/psa/ticket-event.v1.schema.json").read_text())
LATER = NOW + timedelta(minutes=5)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await open_test_database(tmp_path)
    await database.run(lambda cx: webhook_sql.sync_targets(cx, [URL], NOW))
    yield database
    await database.close()


def new_ticket(cx: Cx, key: str) -> int:
    requester = Requester("tenant-f", "Fabrikam, Inc.", "aad-megan", "Megan Bowen", "megan@f.example", "a:chat")
    fields = TicketFields(Product.M365, "Exchange Online", Severity.CRITICAL, "Mail is down", "No mail.", "+44")
    ticket_id = ticket_sql.insert_ticket(cx, key, requester, fields, NOW, (None, None))
    event_sql.add_event(cx, Event(ticket_id, NOW, "aad-megan", "Megan Bowen", "created"))
    return ticket_id


def reply(cx: Cx, ticket_id: int, text: str) -> int:
    return event_sql.add_event(cx, Event(ticket_id, NOW, "aad-alex", "Alex Wilber", "reply", text=text))


async def claim(db: Database, holder: str, now: datetime = NOW, limit: int = 10) -> list[webhook_sql.Delivery]:
    return await db.run(lambda cx: webhook_sql.claim(cx, URL, holder, now, now + timedelta(seconds=70), limit))


async def test_public_events_are_queued_per_url_with_their_change_and_private_ones_are_not(db):
    await db.run(lambda cx: webhook_sql.sync_targets(cx, [URL, OTHER_URL], NOW))

    def work(cx: Cx) -> int:
        ticket_id = new_ticket(cx, "a")
        event_sql.add_event(cx, Event(ticket_id, NOW, "aad-alex", "Alex Wilber", "note", text="admin pw is hunter2"))
        event_sql.add_event(cx, Event(ticket_id, NOW, "system", "Partner Desk", "incident", text="EX1"))
        reply(cx, ticket_id, "Looking at it now.")
        return ticket_id

    await db.run(work)
    rows = await db.run(lambda cx: cx.all("SELECT target, payload FROM psa_webhooks ORDER BY target, event_id"))
    assert [(r["target"], json.loads(r["payload"])["type"]) for r in rows] == [
        (OTHER_URL, "created"),
        (OTHER_URL, "replied"),
        (URL, "created"),
        (URL, "replied"),
    ]
    assert "hunter2" not in json.dumps([r["payload"] for r in rows])
    for row in rows:
        jsonschema.validate(json.loads(row["payload"]), SCHEMA, format_checker=jsonschema.FormatChecker())


async def test_nothing_is_queued_without_a_url(db):
    await db.run(lambda cx: webhook_sql.sync_targets(cx, [], NOW))
    await db.run(lambda cx: new_ticket(cx, "a"))
    assert await db.run(lambda cx: cx.all("SELECT id FROM psa_webhooks")) == []


class Statements:
    """A transaction's connection that counts the statements sent through it (each a round trip on PostgreSQL)."""

    def __init__(self, cx: Cx) -> None:
        self.cx, self.dialect, self.sent = cx, cx.dialect, 0

    def execute(self, sql: str, params: Any = ()) -> int:
        self.sent += 1
        return self.cx.execute(sql, params)

    def one(self, sql: str, params: Any = ()) -> Any:
        self.sent += 1
        return self.cx.one(sql, params)

    def all(self, sql: str, params: Any = ()) -> Any:
        self.sent += 1
        return self.cx.all(sql, params)


async def test_with_the_bridge_off_an_event_costs_its_insert_alone(db):
    # Every change of every ticket records events on the turn's path: the bridge off adds no statement to them.
    await db.run(lambda cx: webhook_sql.sync_targets(cx, [], NOW))
    ticket_id = await db.run(lambda cx: new_ticket(cx, "a"))

    def work(cx: Cx) -> int:
        counted = Statements(cx)
        reply(counted, ticket_id, "Looking at it now.")  # type: ignore[arg-type]
        return counted.sent

    assert await db.run(work) == 1


async def test_a_tickets_later_event_waits_for_its_earlier_one_and_other_tickets_do_not(db):
    first, second = await db.run(lambda cx: (new_ticket(cx, "a"), new_ticket(cx, "b")))
    await db.run(lambda cx: reply(cx, first, "one"))

    heads = await claim(db, "sender-1")
    assert sorted(d.ticket_id for d in heads) == [first, second], "one head per ticket"
    head = next(d for d in heads if d.ticket_id == first)
    assert json.loads(head.body)["type"] == "created"
    assert await claim(db, "sender-2") == [], "the reply waits behind its ticket's claimed creation"

    assert await db.run(lambda cx: webhook_sql.retry(cx, head.id, "sender-1", LATER, "HTTP 503"))
    other = next(d for d in heads if d.ticket_id == second)
    assert await db.run(lambda cx: webhook_sql.delivered(cx, other.id, "sender-1", NOW))
    assert await claim(db, "sender-2") == [], "the creation waits for its retry; the reply waits behind it"

    again = await claim(db, "sender-2", LATER)
    assert [(d.id, d.attempts) for d in again] == [(head.id, 1)]
    assert await db.run(lambda cx: webhook_sql.delivered(cx, head.id, "sender-2", LATER))
    [after] = await claim(db, "sender-2", LATER)
    assert json.loads(after.body)["change"]["text"] == "one"


async def test_an_expired_claim_is_taken_over_and_its_old_holder_records_nothing(db):
    await db.run(lambda cx: new_ticket(cx, "a"))
    [mine] = await claim(db, "sender-1")
    assert await claim(db, "sender-2", NOW + timedelta(seconds=30)) == [], "a live claim is left alone"

    [taken] = await claim(db, "sender-2", NOW + timedelta(seconds=71))
    assert taken.id == mine.id
    assert not await db.run(lambda cx: webhook_sql.delivered(cx, mine.id, "sender-1", NOW)), "fenced"
    assert await db.run(lambda cx: webhook_sql.delivered(cx, taken.id, "sender-2", NOW))
    assert not await db.run(lambda cx: webhook_sql.delivered(cx, taken.id, "sender-2", NOW)), "recorded once"
    states = await db.run(lambda cx: cx.all("SELECT state, attempts FROM psa_webhooks"))
    assert states == [{"state": "delivered", "attempts": 1}]


async def test_a_failure_for_good_ends_the_wait_of_the_tickets_next_event(db):
    ticket_id = await db.run(lambda cx: new_ticket(cx, "a"))
    await db.run(lambda cx: reply(cx, ticket_id, "one"))
    [head] = await claim(db, "sender-1")
    assert await db.run(lambda cx: webhook_sql.failed(cx, head.id, "sender-1", "HTTP 400: not retried"))

    [following] = await claim(db, "sender-1")
    assert json.loads(following.body)["type"] == "replied"
    assert await db.run(webhook_sql.counts) == {"pending": 1, "failed": 1}


async def test_a_url_removed_from_the_settings_gets_nothing_more(db):
    await db.run(lambda cx: new_ticket(cx, "a"))
    assert await db.run(lambda cx: webhook_sql.sync_targets(cx, [OTHER_URL], NOW)) == 1
    await db.run(lambda cx: new_ticket(cx, "b"))
    rows = await db.run(lambda cx: cx.all("SELECT target, state FROM psa_webhooks ORDER BY id"))
    assert rows == [{"target": URL, "state": "dropped"}, {"target": OTHER_URL, "state": "pending"}]


async def test_next_due_is_the_earliest_head_retry(db):
    await db.run(lambda cx: new_ticket(cx, "a"))
    [head] = await claim(db, "sender-1")
    await db.run(lambda cx: webhook_sql.retry(cx, head.id, "sender-1", LATER, "timed out"))
    assert await db.run(lambda cx: webhook_sql.next_due(cx, [URL])) == LATER
    assert await db.run(lambda cx: webhook_sql.next_due(cx, [OTHER_URL])) is None


async def test_a_signature_is_accepted_once_within_the_window(db):
    assert await db.run(lambda cx: webhook_sql.first_use(cx, "abc", NOW))
    assert not await db.run(lambda cx: webhook_sql.first_use(cx, "abc", NOW + timedelta(minutes=9)))
    assert await db.run(lambda cx: webhook_sql.first_use(cx, "abc", NOW + timedelta(minutes=21))), "forgotten"


async def test_a_signature_is_remembered_as_long_as_a_replay_of_it_may_pass_on_any_instance(db):
    # Received at NOW, signed 300 s ahead (as far as the tolerance allows): still fresh until NOW + 600 s. Another
    # instance whose clock is 2 s ahead prunes meanwhile; its prune must not forget it.
    assert await db.run(lambda cx: webhook_sql.first_use(cx, "abc", NOW))
    await db.run(lambda cx: webhook_sql.first_use(cx, "other", NOW + timedelta(seconds=601)))
    assert not await db.run(lambda cx: webhook_sql.first_use(cx, "abc", NOW + timedelta(seconds=599)))


def test_retries_back_off_exponentially_with_jitter_and_a_ceiling():
    assert retry_wait(1, lambda: 1.0) == FIRST_RETRY_SECONDS
    assert retry_wait(2, lambda: 1.0) == 2 * FIRST_RETRY_SECONDS
    assert retry_wait(2, lambda: 0.0) == FIRST_RETRY_SECONDS, "jitter: between half and all of the wait"
    assert retry_wait(30, lambda: 1.0) == LONGEST_RETRY_SECONDS
    assert retry_wait(1000, lambda: 1.0) == LONGEST_RETRY_SECONDS


async def test_a_claim_of_an_instance_whose_heartbeat_lapsed_is_taken_over_at_once(db):
    await db.run(lambda cx: new_ticket(cx, "a"))
    [mine] = await claim(db, "dead-instance")
    await db.run(
        lambda cx: cx.execute("INSERT INTO instances (holder, alive_until) VALUES ('dead-instance', ?)", (to_iso(NOW),))
    )
    [taken] = await claim(db, "sender-2", NOW + timedelta(seconds=1))
    assert taken.id == mine.id


async def test_a_change_rolled_back_queues_nothing(db):
    class Failed(Exception):
        pass

    def work(cx: Cx) -> None:
        new_ticket(cx, "a")
        raise Failed

    with pytest.raises(Failed):
        await db.run(work)
    assert await db.run(lambda cx: cx.all("SELECT id FROM psa_webhooks")) == []


async def test_deliveries_that_failed_or_were_dropped_are_forgotten_after_90_days(db):
    # A PSA that refuses every event (a mistyped path answers 404) makes a failed row of each, with the ticket's data
    # in its payload: kept for inspection, not for ever.
    await db.run(lambda cx: new_ticket(cx, "a"))
    [failing] = await claim(db, "sender-1")
    assert await db.run(lambda cx: webhook_sql.failed(cx, failing.id, "sender-1", "HTTP 404: not retried"))
    await db.run(lambda cx: new_ticket(cx, "b"))
    await db.run(lambda cx: webhook_sql.sync_targets(cx, [OTHER_URL], NOW))  # b's delivery to URL: dropped

    await db.run(lambda cx: webhook_sql.prune(cx, NOW + timedelta(days=89)))
    assert len(await db.run(lambda cx: cx.all("SELECT id FROM psa_webhooks"))) == 2, "kept for inspection"
    await db.run(lambda cx: webhook_sql.prune(cx, NOW + timedelta(days=91)))
    assert await db.run(lambda cx: cx.all("SELECT id FROM psa_webhooks")) == []
