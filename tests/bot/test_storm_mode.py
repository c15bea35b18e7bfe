"""Storm mode end to end (desk/storm.py): 1,000 tickets in 10 s for one triage channel, delivered by the real sender
through the SDK to a local connector that enforces Teams' per-conversation limits (7/1 s, 8/2 s, 60/30 s: more gets
429). Time is the test's FixedClock, moved to each next moment something may happen (a ticket, a storm round, a send
slot); the connector stamps every arrival with it.

Checked: every ticket is named on a summary card (or its own card) within 60 s of its creation; every ticket's own
card is posted exactly once, critical ones first, then oldest first; replies to a card kept back follow it in its
thread, updates of it are not sent; the summary's updates are coalesced (never two waiting); the storm ends with a
last summary. And the summary's Open button answers a technician with the ticket's card and refuses a customer."""

from __future__ import annotations

import itertools
import re
import threading
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import pytest
from aiohttp import web

from bot.features.notices import triage_post
from bot.jobs.storm import storm_rounds
from cards.render import MAX_CARD_BYTES, card_size
from cards.storm import OPEN_VERB
from desk.outbox import Card, Operation, Outgoing
from desk.ratelimit import Limits
from desk.store import incidents as incident_sql
from desk.store import outbox as outbox_sql
from desk.store.conversations import Conversation
from desk.store.incidents import LinkedIncident
from desk.tickets import Product, Requester, Severity, Ticket, TicketFields
from emulator import demo
from tests.bot import outbox_rig
from tests.bot.helpers import card_text, rows, set_triage_channel
from tests.bot.outbox_rig import TimedConnector, deliver_over_time
from tests.support.activities import Channel, Chat, user, with_demo_roster
from tests.support.connector import Reply
from tests.support.harness import Desk, FixedClock

clock = outbox_rig.clock
desk = outbox_rig.desk

TEAMS_THREAD = Limits(
    ((7, 1.0), (8, 2.0), (60, 30.0))
)  # https://learn.microsoft.com/microsoftteams/platform/bots/how-to/rate-limit
CUSTOMERS = ("Fabrikam, Inc.", "Northwind Traders", "Contoso Ltd", "Adventure Works", "Tailspin Toys")
NUMBER = re.compile(r"\bT-\d+\b")


class TeamsLimitedConnector(TimedConnector):
    """The timed connector, answering 429 (Retry-After 1) to a send that would exceed Teams' per-conversation limits
    on the desk's clock, as Teams does; a channel's threads count as the channel. Keeps each arrival's time."""

    def __init__(self, clock: FixedClock) -> None:
        super().__init__(clock)
        self.throttled = 0
        self.timed: list[tuple[datetime, Any]] = []  # (arrival, Sent), successful sends only
        self._seen: dict[str, list[datetime]] = {}
        self._limit = threading.Lock()

    def _record(self, request: web.Request, body: dict[str, Any], conversation: str) -> Reply | None:
        scripted = super()._record(request, body, conversation)
        base = conversation.split(";messageid=", 1)[0]
        at = self.arrivals[-1][1]
        with self._limit:
            times = self._seen.setdefault(base, [])
            if request.method != "GET" and any(
                sum(1 for t in times if t > at - timedelta(seconds=window)) >= count
                for count, window in TEAMS_THREAD.windows
            ):
                self.throttled += 1
                return Reply(429, headers={"Retry-After": "1"})
            if request.method != "GET":
                times.append(at)
                self.timed.append((at, self.sent[-1]))
        return scripted


@pytest.fixture
def connector(clock: FixedClock):  # type: ignore[no-untyped-def]
    local = with_demo_roster(TeamsLimitedConnector(clock).start())
    yield local
    local.stop()


def channel_of(connector: TimedConnector) -> Channel:
    return Channel("19:team-support@thread.tacv2", "19:triage-storm@thread.tacv2", connector.url)


async def triage(desk: Desk, connector: TimedConnector) -> Conversation:
    """`triage here` typed by a technician; returns the stored channel."""
    await set_triage_channel(desk, channel_of(connector), user(demo.PARTNER, 0))
    await desk.delivered()
    channel = (await desk.runtime.services.desk.triage_context()).channel
    assert channel is not None
    return channel


async def create(desk: Desk, channel: Conversation, n: int, severity: Severity) -> Ticket:
    """A ticket created as intake creates one (its card queued in the ticket's transaction)."""
    customer = CUSTOMERS[n % len(CUSTOMERS)]
    requester = Requester(f"tenant-{n % 5}", customer, f"aad-{n}", f"User {n}", f"u{n}@example.com", f"a:chat-{n}")
    fields = TicketFields(Product.M365, "Exchange Online", severity, f"Mail is down ({n})", "Nothing arrives.", "-")
    services = desk.runtime.services
    created = await services.desk.create_ticket(
        f"storm-{n}", requester, fields, lambda ticket: [triage_post(channel, ticket, services.clock(), [])]
    )
    return created.ticket


def message(text: str) -> dict[str, Any]:
    return {"type": "message", "text": text}


def numbers_in(sent: Any) -> set[str]:
    return {number for card in sent.cards for number in NUMBER.findall(card_text(card))}


def is_summary(sent: Any) -> bool:
    return any(re.search(r"^Storm (mode|over):", card_text(card), re.MULTILINE) for card in sent.cards)


async def test_a_thousand_tickets_in_ten_seconds(desk: Desk, connector: TeamsLimitedConnector, clock: FixedClock):
    services = desk.runtime.services
    assert services.desk.storm.threshold == 60, "what Teams lets through a channel in 30 s"
    channel = await triage(desk, connector)
    clock.advance(seconds=30)  # `triage here` was answered in the turn, outside the outbox's pacing: let it age out
    start = clock.now
    created: dict[str, datetime] = {}
    tickets: dict[str, Ticket] = {}
    replies: dict[int, list[str]] = {}
    next_round = start
    interval = timedelta(seconds=desk.runtime.settings.storm_check_seconds)
    index, total, over = 0, 1000, False
    for _ in range(20000):
        while index < total and start + timedelta(milliseconds=10 * index) <= clock.now:
            severity = Severity.CRITICAL if index % 10 == 7 else Severity.MODERATE
            ticket = await create(desk, channel, index, severity)
            created[ticket.number], tickets[ticket.number] = clock.now, ticket
            if index % 25 == 3:  # a linked incident, a customer's message relayed and a change to its card
                await desk.runtime.db.run(
                    lambda cx, t=ticket: incident_sql.link_incident(
                        cx, t.id, LinkedIncident("EX123", "Mail delayed", "serviceDegradation", None), clock.now
                    )
                )
                words = f"relayed {ticket.number}"
                replies[ticket.id] = [words]
                await services.desk.queue(
                    [
                        Outgoing(
                            channel.key, Operation.UPDATE, {"type": "message", "text": "u"}, ticket.id, Card.TRIAGE
                        ),
                        Outgoing(
                            channel.key, Operation.REPLY, {"type": "message", "text": words}, ticket.id, Card.TRIAGE
                        ),
                    ]
                )
            index += 1
        if clock.now >= next_round:
            results = await storm_rounds(services)
            over = over or any(result.over for result in results)
            next_round = clock.now + interval
            waiting = await rows(
                desk,
                "SELECT COUNT(*) AS n FROM outbox WHERE status = 'pending' AND card_key LIKE 'storm:%'"
                " AND claimed_by IS NULL",
            )
            assert waiting[0]["n"] <= 1, "summary updates are coalesced"
        await desk.delivered()
        due = await desk.runtime.db.read(outbox_sql.next_due)
        if index == total and over and due is None:
            break
        moments = [next_round] + ([due] if due else [])
        if index < total:
            moments.append(start + timedelta(milliseconds=10 * index))
        clock.now = max(clock.now, min(moments))
    else:
        raise AssertionError("the storm never ended")

    assert connector.throttled == 0, "the desk kept inside Teams' limits"
    # Every ticket named on a summary (or its own card) within 60 s.
    seen: dict[str, datetime] = {}
    for at, sent in connector.timed:
        for number in numbers_in(sent):
            seen.setdefault(number, at)
    minute = timedelta(seconds=60)
    late = [n for n in created if n not in seen or seen[n] - created[n] > minute]
    assert not late, f"{len(late)} tickets not visible within 60 s, first {late[:3]}"
    worst = max((seen[n] - created[n]).total_seconds() for n in created)

    # Every ticket's own card posted exactly once.
    own = Counter(
        number
        for _, sent in connector.timed
        if sent.method == "POST" and sent.path == "/v3/conversations" and not is_summary(sent)
        for number in numbers_in(sent)
    )
    assert set(own) == set(created) and set(own.values()) == {1}
    stored = await rows(desk, "SELECT number, triage_activity_id FROM tickets")
    assert all(row["triage_activity_id"] for row in stored)
    assert not await rows(desk, "SELECT id FROM outbox WHERE status <> 'sent'"), "nothing failed or left waiting"

    # Critical first, then oldest first, among the cards the storm kept back.
    kept = await rows(
        desk,
        "SELECT ticket_id, critical, deferred_at, released_at FROM storm_tickets ORDER BY released_at, critical DESC",
    )
    assert len(kept) > 800, "most cards went through storm mode"
    last_moderate = ""  # when the last moderate card so far was released
    for row in kept:  # in release order
        if row["critical"]:
            assert last_moderate < row["deferred_at"] or last_moderate == row["released_at"], (
                "a moderate card went before a critical one that was waiting"
            )
        else:
            last_moderate = row["released_at"]
    for critical in (0, 1):
        same = [row for row in kept if row["critical"] == critical]
        for a, b in itertools.pairwise(same):
            if a["released_at"] < b["released_at"]:
                assert (a["deferred_at"], a["ticket_id"]) < (b["deferred_at"], b["ticket_id"]), "oldest first"

    # Replies to a kept-back card follow it in its thread; updates of a card not yet posted were not sent.
    activity_of = {row["number"]: row["triage_activity_id"] for row in stored}
    for ticket_id, words in replies.items():
        number = next(n for n, t in tickets.items() if t.id == ticket_id)
        [reply] = [s for _, s in connector.timed if s.text == words[0]]
        assert reply.conversation_id.endswith(f";messageid={activity_of[number]}")
    kept_ids = {row["ticket_id"] for row in kept}
    updates = [s for _, s in connector.timed if s.method == "PUT" and s.text == "u"]
    assert len(updates) == len([i for i in replies if i not in kept_ids]), "only posted (or queued) cards are updated"

    # The summary: coalesced, within Teams' size, ending with "storm over".
    summaries = [(at, s) for at, s in connector.timed if is_summary(s)]
    assert all(card_size(card) < MAX_CARD_BYTES for _, s in summaries for card in s.cards)
    duration = (summaries[-1][0] - summaries[0][0]).total_seconds()
    assert len(summaries) <= duration / services.desk.storm.summary_every + 2
    assert "Storm over" in card_text(summaries[-1][1].cards[0])
    assert "EX123" in "".join(card_text(c) for _, s in summaries for c in s.cards)
    print(f"worst visibility {worst:.1f} s; {len(summaries)} summaries over {duration:.0f} s")


async def test_the_open_button_answers_a_technician_with_the_card_and_refuses_a_customer(
    desk: Desk, connector: TeamsLimitedConnector, clock: FixedClock
):
    services = desk.runtime.services
    channel = await triage(desk, connector)
    # 80 at once: 60 wait in the queue, a few are sent, the rest are kept back.
    made = [await create(desk, channel, n, Severity.MODERATE) for n in range(80)]
    await storm_rounds(services)
    await deliver_over_time(desk, clock)
    summary = next(s for _, s in connector.timed if is_summary(s))
    opens = [
        node
        for node in _nodes(summary.cards[0])
        if node.get("type") == "Action.Execute" and node.get("verb") == OPEN_VERB
    ]
    assert opens, "the waiting tickets have Open buttons"
    kept = next(ticket for ticket in made if ticket.number == opens[0]["data"]["id"])
    assert all(set(a["data"]) == {"verb", "id"} for a in opens), "a verb and an id, nothing else"

    technician = user(demo.PARTNER, 0)
    status, body = await desk.send(channel_of(connector).invoke(technician, OPEN_VERB, kept.number, thread="1"))
    assert status == 200 and body["type"] == "application/vnd.microsoft.card.adaptive", body
    text = card_text(body["value"])
    assert kept.number in text and "ticket.assign_me" in text, "the technician's card of that ticket"

    customer = Chat(user(demo.FABRIKAM, 0), connector.url)
    status, body = await desk.send(customer.invoke(OPEN_VERB, kept.number))
    assert status == 200 and body["type"] == "application/vnd.microsoft.activity.message", body
    assert kept.number not in str(body["value"])


def _nodes(card: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            found.append(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(card)
    return found
