"""Delivery by the one outbound sender, at the HTTP level: the real app and adapter, a real SQLite outbox, and a local
connector scripted to answer like Teams does under load (429, 5xx), refusal (4xx) and removal (403/404)."""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from botbuilder.schema import Activity

from bot.conversations import record_of
from bot.pacing import Pacer
from desk.clock import from_iso
from desk.outbox import Operation, Outgoing
from desk.store.conversations import Conversation
from desk.tickets import Product, Requester, Severity, TicketFields
from msapi.emulator import demo
from tests.bot.helpers import rows
from tests.support.activities import Channel, Chat, TeamsUser, user
from tests.support.connector import LocalConnector, Reply, Sent
from tests.support.harness import OFFICE_HOURS, Desk, FixedClock, local_settings, start_desk


class TimedConnector(LocalConnector):
    """A local connector that also notes when each request arrived (monotonic seconds), for pacing checks."""

    def __init__(self) -> None:
        super().__init__()
        self.arrivals: list[tuple[str, float]] = []  # (conversation id, arrival time)
        self._times = threading.Lock()

    def _record(self, request: web.Request, body: dict[str, Any], conversation: str) -> Reply | None:
        with self._times:
            self.arrivals.append((conversation, time.monotonic()))
        return super()._record(request, body, conversation)


@pytest.fixture
def clock() -> FixedClock:
    """The desk's clock: retries fall due only when the test moves it."""
    return FixedClock(OFFICE_HOURS)


@pytest.fixture
def connector() -> Iterator[TimedConnector]:
    """A local connector with arrival times, and the demo users in its roster (as in conftest)."""
    local = TimedConnector().start()
    for tenant in (demo.PARTNER, *demo.CUSTOMERS, demo.STRANGER):
        for index in range(len(tenant.users)):
            member = user(tenant, index)
            local.members[member.user_id] = member.member()
    yield local
    local.stop()


@pytest.fixture
async def desk(tmp_path: Path, connector: LocalConnector, clock: FixedClock) -> AsyncIterator[Desk]:
    """The app in local mode on a fresh database, on `clock`."""
    running = await start_desk(local_settings(tmp_path, connector), connector, clock)
    yield running
    await running.close()


def chat_with(connector: LocalConnector, number: int, tenant: demo.DemoTenant = demo.FABRIKAM) -> Chat:
    """A personal chat of a (made-up) user `number` of `tenant`."""
    aad_id = f"00000000-0000-4000-8000-{number:012d}"
    member = TeamsUser(f"29:{aad_id}", aad_id, f"User {number}", tenant.tenant_id, f"user{number}@example.com")
    return Chat(member, connector.url)


async def remember(desk: Desk, chat: Chat) -> Conversation:
    """Store the chat's conversation as the bot does when its user writes in (a reference built from an activity)."""
    conversation = record_of(Activity().deserialize(chat.message("hello")))
    await desk.runtime.services.desk.save_conversation(conversation)
    return conversation


def text(chat: Chat, words: str, ticket_id: int | None = None) -> Outgoing:
    """A plain text message to the chat."""
    return Outgoing(chat.conversation_id, Operation.POST, {"type": "message", "text": words}, ticket_id=ticket_id)


def to(chat: Chat) -> str:
    """The connector path prefix of sends to the chat (for scripting its answers only)."""
    return f"/v3/conversations/{chat.conversation_id}/activities"


def texts(sent: list[Sent]) -> list[str]:
    """The texts of recorded requests, in arrival order."""
    return [s.text for s in sent]


async def outbox(desk: Desk) -> list[dict[str, Any]]:
    """Every outbox row, oldest first."""
    return await rows(desk, "SELECT * FROM outbox ORDER BY id")


async def queue(desk: Desk, *items: Outgoing) -> None:
    """Queue messages and run delivery passes until nothing is due."""
    await desk.runtime.services.desk.queue(list(items))
    await desk.delivered()


def delay(row: dict[str, Any], clock: FixedClock) -> float:
    """Seconds from now until the row's next attempt."""
    due = from_iso(row["next_attempt_at"])
    assert due is not None
    return (due - clock()).total_seconds()


# --- 1. Retry-After, backoff, exactly once -------------------------------------------------------------------------


async def test_429_then_503_then_success_delivers_once(desk: Desk, connector: LocalConnector, clock: FixedClock):
    """429 waits its Retry-After, 503 backs off, the third attempt lands; one delivery, the connector's id kept."""
    chat = Chat(user(demo.FABRIKAM, 0), connector.url)
    status, _ = await desk.send(chat.message("help"))  # the real inbound path stores the conversation
    assert status == 201
    before = len(connector.posts(chat.conversation_id))
    connector.fail_next(
        "POST",
        Reply(429, {"Retry-After": "1"}),
        Reply(503),
        Reply(200, body={"id": "activity-from-teams"}),
        path=to(chat),
    )

    await queue(desk, text(chat, "Your ticket T-1001 was received."))

    [row] = await outbox(desk)
    assert (row["status"], row["attempts"]) == ("pending", 1)
    assert "HTTP 429" in row["last_error"]
    assert delay(row, clock) == pytest.approx(1.0)  # exactly the Retry-After
    clock.advance(seconds=0.9)
    await desk.delivered()
    assert len(connector.posts(chat.conversation_id)) == before + 1  # not before the Retry-After

    clock.advance(seconds=0.1)
    await desk.delivered()
    [row] = await outbox(desk)
    assert (row["status"], row["attempts"]) == ("pending", 2)
    assert "HTTP 503" in row["last_error"]
    policy = desk.runtime.sender.policy
    second = policy.base_delay * 2  # the backoff of a second attempt, before jitter (±20%)
    assert 0.8 * second <= delay(row, clock) <= 1.2 * second

    clock.advance(seconds=1.2 * second)
    await desk.delivered()
    posts = connector.posts(chat.conversation_id)[before:]
    assert texts(posts) == ["Your ticket T-1001 was received."] * 3  # 429, 503, 201: three attempts, one success
    [row] = await outbox(desk)
    assert (row["status"], row["attempts"], row["activity_id"]) == ("sent", 3, "activity-from-teams")
    assert connector.script == []  # each scripted answer went to one attempt, in order
    clock.advance(hours=1)
    await desk.delivered()
    assert len(connector.posts(chat.conversation_id)) == before + 3  # nothing more


async def test_429_without_retry_after_backs_off(desk: Desk, connector: LocalConnector, clock: FixedClock):
    """A 429 with no Retry-After header is retried with the exponential backoff."""
    chat = chat_with(connector, 1)
    await remember(desk, chat)
    connector.fail_next("POST", Reply(429), path=to(chat))
    await queue(desk, text(chat, "one"))
    [row] = await outbox(desk)
    assert row["status"] == "pending"
    assert 0.8 <= delay(row, clock) <= 1.2
    clock.advance(seconds=1.2)
    await desk.delivered()
    assert texts(connector.posts(chat.conversation_id)) == ["one", "one"]
    assert (await outbox(desk))[0]["status"] == "sent"


# --- 2. Order per conversation; no head-of-line blocking across conversations -------------------------------------


async def test_messages_of_a_conversation_arrive_in_queue_order(
    desk: Desk, connector: LocalConnector, clock: FixedClock
):
    """The second message waits until the first, which met a 503, has gone."""
    chat = chat_with(connector, 1)
    await remember(desk, chat)
    connector.fail_next("POST", Reply(503), path=to(chat))

    await queue(desk, text(chat, "first"), text(chat, "second"), text(chat, "third"))

    assert texts(connector.posts(chat.conversation_id)) == ["first"]  # the others wait behind it
    assert [r["status"] for r in await outbox(desk)] == ["pending"] * 3
    clock.advance(seconds=2)
    await desk.delivered()
    assert texts(connector.posts(chat.conversation_id)) == ["first", "first", "second", "third"]
    assert [(r["status"], r["attempts"]) for r in await outbox(desk)] == [("sent", 2), ("sent", 1), ("sent", 1)]


async def test_a_retrying_conversation_does_not_hold_up_others(
    desk: Desk, connector: LocalConnector, clock: FixedClock
):
    """While one conversation waits out a 503, the others are delivered."""
    slow, other, third = chat_with(connector, 1), chat_with(connector, 2), chat_with(connector, 3, demo.NORTHWIND)
    for chat in (slow, other, third):
        await remember(desk, chat)
    connector.fail_next("POST", Reply(503), path=to(slow))

    await queue(desk, text(slow, "slow 1"), text(other, "other 1"), text(slow, "slow 2"), text(third, "third 1"))
    await queue(desk, text(other, "other 2"))

    assert texts(connector.posts(slow.conversation_id)) == ["slow 1"]
    assert texts(connector.posts(other.conversation_id)) == ["other 1", "other 2"]
    assert texts(connector.posts(third.conversation_id)) == ["third 1"]
    clock.advance(seconds=2)
    await desk.delivered()
    assert texts(connector.posts(slow.conversation_id)) == ["slow 1", "slow 1", "slow 2"]


# --- 3. What is retried and what is not ------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [400, 401, 413, 500])
async def test_refusals_are_not_retried(desk: Desk, connector: LocalConnector, clock: FixedClock, status: int):
    """400/401/413/500: failed after one attempt, never sent again; the conversation stays usable."""
    chat = chat_with(connector, 1)
    await remember(desk, chat)
    connector.fail_next("POST", Reply(status), path=to(chat))

    await queue(desk, text(chat, "refused"))
    clock.advance(hours=1)
    await desk.delivered()

    [row] = await outbox(desk)
    assert (row["status"], row["attempts"]) == ("failed", 1)
    assert f"HTTP {status}" in row["last_error"]
    assert texts(connector.posts(chat.conversation_id)) == ["refused"]
    await queue(desk, text(chat, "next"))
    assert texts(connector.posts(chat.conversation_id)) == ["refused", "next"]


@pytest.mark.parametrize("status", [412, 502, 503, 504])
async def test_transient_errors_are_retried_with_backoff(
    desk: Desk, connector: LocalConnector, clock: FixedClock, status: int
):
    """412/502/503/504: retried after the backoff of a first attempt (1 s ± 20%), then delivered once."""
    chat = chat_with(connector, 1)
    await remember(desk, chat)
    connector.fail_next("POST", Reply(status), path=to(chat))

    await queue(desk, text(chat, "again"))
    [row] = await outbox(desk)
    assert (row["status"], row["attempts"]) == ("pending", 1)
    assert 0.8 <= delay(row, clock) <= 1.2
    clock.advance(seconds=1.2)
    await desk.delivered()

    [row] = await outbox(desk)
    assert (row["status"], row["attempts"]) == ("sent", 2)
    assert texts(connector.posts(chat.conversation_id)) == ["again", "again"]


@pytest.mark.parametrize("status", [412, 500, 503])
async def test_card_updates_follow_the_same_rules(
    desk: Desk, connector: LocalConnector, clock: FixedClock, status: int
):
    """An update (PUT) is one request per attempt too (no hidden client retries): 500 fails, 412/503 retry once."""
    chat = chat_with(connector, 1)
    await remember(desk, chat)
    connector.fail_next("PUT", Reply(status), path=to(chat))
    update = Outgoing(chat.conversation_id, Operation.UPDATE, {"type": "message", "text": "v2"}, target_activity_id="7")

    await queue(desk, update)
    assert len(connector.updates()) == 1
    clock.advance(seconds=1.2)
    await desk.delivered()

    [row] = await outbox(desk)
    if status == 500:
        assert (row["status"], row["attempts"], len(connector.updates())) == ("failed", 1, 1)
    else:
        assert (row["status"], row["attempts"], len(connector.updates())) == ("sent", 2, 2)
    assert {u.activity_id for u in connector.updates()} == {"7"}


async def test_a_new_channel_thread_is_retried_the_same_way(desk: Desk, connector: LocalConnector, clock: FixedClock):
    """A post to a channel (create conversation) meets a 502, is retried once, and its thread id is kept."""
    channel = Channel("19:team-support@thread.tacv2", "19:alerts@thread.tacv2", connector.url)
    record = record_of(Activity().deserialize(channel.message(user(demo.PARTNER, 0), "hello")))
    await desk.runtime.services.desk.save_conversation(record)
    connector.fail_next("POST", Reply(502), path="/v3/conversations")
    post = Outgoing(record.key, Operation.POST, {"type": "message", "text": "SLA breach"})

    await queue(desk, post)
    clock.advance(seconds=1.2)
    await desk.delivered()

    created = [s for s in connector.posts() if s.path == "/v3/conversations"]
    assert [s.body["channelData"]["channel"]["id"] for s in created] == [record.key] * 2
    [row] = await outbox(desk)
    assert (row["status"], row["attempts"]) == ("sent", 2)
    assert row["activity_id"] and row["activity_id"].isdigit()  # the message id of the new thread


# --- 4. Removed or blocked: 403 / 404 --------------------------------------------------------------------------------


async def open_ticket(desk: Desk, chat: Chat, notices: list[str], also: list[Outgoing]) -> int:
    """Create a ticket for the chat's user; its `notices` to the chat, then `also`, are queued in the same
    transaction (so no delivery pass sees some without the others). Returns the ticket id."""
    member = chat.sender
    requester = Requester(
        member.tenant_id, "Fabrikam, Inc.", member.aad_id, member.name, member.email, chat.conversation_id
    )
    fields = TicketFields(Product.M365, "Exchange Online", Severity.MODERATE, "Mail is slow", "Since 09:00.", "ext 42")
    created = await desk.runtime.services.desk.create_ticket(
        f"ticket-{member.aad_id}", requester, fields, lambda ticket: [text(chat, n, ticket.id) for n in notices] + also
    )
    return created.ticket.id


@pytest.mark.parametrize("status", [403, 404])
async def test_a_conversation_that_refuses_the_bot_is_blocked(
    desk: Desk, connector: LocalConnector, clock: FixedClock, status: int
):
    """403/404: the conversation is marked blocked, its queued messages fail unsent, the ticket records it."""
    chat, bystander = chat_with(connector, 1), chat_with(connector, 2)
    await remember(desk, chat)
    await remember(desk, bystander)
    connector.fail_next("POST", Reply(status, body={"error": {"code": "BotNotInConversationRoster"}}), path=to(chat))

    also = [text(chat, "Unrelated notice"), text(bystander, "Still here")]
    ticket_id = await open_ticket(desk, chat, ["Ticket received", "We are on it"], also)
    await desk.delivered()

    assert texts(connector.posts(chat.conversation_id)) == ["Ticket received"]
    assert texts(connector.posts(bystander.conversation_id)) == ["Still here"]
    stored = await desk.runtime.services.desk.conversation(chat.conversation_id)
    assert stored is not None and stored.blocked_reason and f"HTTP {status}" in stored.blocked_reason
    chat_rows = [r for r in await outbox(desk) if r["conversation_key"] == chat.conversation_id]
    assert [(r["status"], r["attempts"]) for r in chat_rows] == [("failed", 1), ("failed", 0), ("failed", 0)]
    events = await desk.runtime.services.desk.history(ticket_id)
    assert [e.kind for e in events].count("unreachable") == 1  # once per ticket, not per message

    await queue(desk, text(chat, "Later message"))
    clock.advance(hours=1)
    await desk.delivered()
    assert texts(connector.posts(chat.conversation_id)) == ["Ticket received"]
    later = (await outbox(desk))[-1]
    assert later["status"] == "failed" and "blocked" in later["last_error"]

    await remember(desk, chat)  # the user writes to the bot again: reachable again
    await queue(desk, text(chat, "Welcome back"))
    assert texts(connector.posts(chat.conversation_id)) == ["Ticket received", "Welcome back"]


# --- 5. Restart ------------------------------------------------------------------------------------------------------


async def until_sent(desk: Desk, count: int) -> None:
    """Wait (without driving the sender) until `count` outbox rows are sent: the app's own sender does it."""
    for _ in range(500):
        if sum(r["status"] == "sent" for r in await outbox(desk)) >= count:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"fewer than {count} messages sent within 10 s")


async def test_a_message_waiting_for_its_retry_is_delivered_after_a_restart(tmp_path: Path, connector: LocalConnector):
    """A 503'd message and the one queued behind it survive a restart and are delivered exactly once."""
    settings = local_settings(tmp_path, connector)
    chat = chat_with(connector, 1)
    first = await start_desk(settings, connector, FixedClock(OFFICE_HOURS))
    try:
        await remember(first, chat)
        connector.fail_next("POST", Reply(503), path=to(chat))
        await queue(first, text(chat, "before restart 1"), text(chat, "before restart 2"))
        assert [r["status"] for r in await outbox(first)] == ["pending", "pending"]
    finally:
        await first.close()
    assert texts(connector.posts(chat.conversation_id)) == ["before restart 1"]

    second = await start_desk(settings, connector, FixedClock(OFFICE_HOURS + timedelta(minutes=1)))
    try:
        await until_sent(second, 2)
        await second.delivered()
        assert [(r["status"], r["attempts"]) for r in await outbox(second)] == [("sent", 2), ("sent", 1)]
    finally:
        await second.close()
    assert texts(connector.posts(chat.conversation_id)) == ["before restart 1", "before restart 1", "before restart 2"]


async def test_messages_queued_before_the_sender_ran_are_delivered_after_a_restart(
    tmp_path: Path, connector: LocalConnector
):
    """Messages committed while no sender runs are delivered by the next process, once each."""
    settings = local_settings(tmp_path, connector)
    chat = chat_with(connector, 1)
    first = await start_desk(settings, connector, FixedClock(OFFICE_HOURS))
    try:
        sender = next(task for task in first.runtime.tasks if task.get_name() == "outbox-sender")
        first.runtime.sender.stop()
        async with asyncio.timeout(5):
            await sender
        await remember(first, chat)
        await first.runtime.services.desk.queue([text(chat, "queued 1"), text(chat, "queued 2")])
        assert [r["status"] for r in await outbox(first)] == ["pending", "pending"]
    finally:
        await first.close()
    assert connector.sent == []

    second = await start_desk(settings, connector, FixedClock(OFFICE_HOURS))
    try:
        await until_sent(second, 2)
        await second.delivered()
    finally:
        await second.close()
    assert texts(connector.posts(chat.conversation_id)) == ["queued 1", "queued 2"]


async def test_a_stop_during_a_delivery_pass_is_not_lost(desk: Desk):
    """The background sender ends right after the pass it was in when told to stop, not after its idle poll."""
    sender = desk.runtime.sender
    task = next(task for task in desk.runtime.tasks if task.get_name() == "outbox-sender")
    await asyncio.sleep(0.2)  # the loop's start-up pass is over: it waits to be kicked
    async with sender._pass:  # a pass under way: the kicked loop waits for it inside deliver_due
        sender.kick()
        await asyncio.sleep(0.05)
        sender.stop()
    async with asyncio.timeout(sender.policy.idle_poll / 2):
        await task


# --- 6. Bounded retries ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("reply", [Reply(503), Reply(429, {"Retry-After": "1"})], ids=["503", "429"])
async def test_retries_stop_after_max_attempts(desk: Desk, connector: LocalConnector, clock: FixedClock, reply: Reply):
    """A conversation that always answers 503 (or 429) gets exactly max_attempts tries; backoff doubles meanwhile."""
    policy = desk.runtime.sender.policy
    chat = chat_with(connector, 1)
    await remember(desk, chat)
    connector.fail_next("POST", *[reply] * (policy.max_attempts + 5), path=to(chat))

    await queue(desk, text(chat, "doomed"))
    delays: list[float] = []
    for _ in range(policy.max_attempts + 3):
        [row] = await outbox(desk)
        if row["status"] == "pending":
            delays.append(delay(row, clock))
        clock.advance(seconds=policy.max_delay * 1.2 + policy.max_retry_after)
        await desk.delivered()

    [row] = await outbox(desk)
    assert (row["status"], row["attempts"]) == ("failed", policy.max_attempts)
    assert f"HTTP {reply.status}" in row["last_error"]
    assert len(connector.posts(chat.conversation_id)) == policy.max_attempts
    assert len(delays) == policy.max_attempts - 1
    for attempt, seconds in enumerate(delays, start=1):
        if reply.status == 429:
            assert seconds == pytest.approx(1.0)
        else:
            nominal = min(policy.max_delay, policy.base_delay * 2 ** (attempt - 1))
            assert 0.8 * nominal <= seconds <= 1.2 * nominal


# --- 7. Pacing -------------------------------------------------------------------------------------------------------

# How much a request's arrival at the connector may lag behind the slot the sender gave it: loopback latency varies
# from one request to the next, and on a busy machine a timer or the connector's thread runs late. Concurrent sends
# (one tenant) bunch up more than sequential ones (one conversation). Unpaced sends miss these bounds by far; the
# exact slot arithmetic is checked on a fake clock in test_pacer_slots_are_exact_per_key.
JITTER = 0.05
CONCURRENT_JITTER = 0.15


def arrivals(connector: TimedConnector, conversations: set[str]) -> list[float]:
    """When requests for `conversations` reached the connector, in order."""
    return sorted(at for conversation, at in connector.arrivals if conversation in conversations)


def gaps(times: list[float]) -> list[float]:
    """Seconds between consecutive arrivals."""
    return [later - earlier for earlier, later in itertools.pairwise(times)]


async def test_sends_to_one_conversation_are_at_most_seven_per_second(desk: Desk, connector: TimedConnector):
    """Consecutive messages to one conversation reach the connector about 1/7 s apart: never 8 within a second."""
    assert desk.runtime.sender.policy.per_conversation >= 1 / 7
    chat = chat_with(connector, 1)
    await remember(desk, chat)
    count = 8

    await queue(desk, *[text(chat, f"message {n}") for n in range(count)])

    assert texts(connector.posts(chat.conversation_id)) == [f"message {n}" for n in range(count)]
    times = arrivals(connector, {chat.conversation_id})
    assert min(gaps(times)) >= 1 / 7 - JITTER, gaps(times)
    assert times[-1] - times[0] >= (count - 1) / 7 - JITTER  # 8 arrivals span a second: at most 7 in any second


async def test_sends_to_one_tenant_stay_below_thirty_per_second(desk: Desk, connector: TimedConnector):
    """Messages to 40 conversations of one tenant: no more than 30 in any second, yet not 1/7 s apart."""
    assert desk.runtime.sender.policy.per_tenant >= 1 / 30
    chats = [chat_with(connector, n) for n in range(40)]
    for chat in chats:
        await remember(desk, chat)

    started = time.monotonic()
    await queue(desk, *[text(chat, "maintenance tonight") for chat in chats])
    elapsed = time.monotonic() - started

    assert len(connector.posts()) == len(chats)
    times = arrivals(connector, {chat.conversation_id for chat in chats})
    assert times[-1] - times[0] >= (len(chats) - 1) / 30 - CONCURRENT_JITTER  # on average at most 30 a second
    windows = [later - earlier for earlier, later in zip(times, times[30:], strict=False)]  # 31 arrivals apart
    assert min(windows) >= 1 - CONCURRENT_JITTER, windows  # so no second holds 31
    assert elapsed < (len(chats) - 1) / 7  # one conversation's spacing does not hold up the others


async def test_pacer_slots_are_exact_per_key() -> None:
    """Unit check of the Pacer on a fake clock: each key's slots are `interval` apart; keys do not wait for others."""
    now = [100.0]
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    pacer = Pacer(1 / 7, monotonic=lambda: now[0], sleep=sleep)
    for _ in range(3):
        await pacer.wait("a")
    await pacer.wait("b")
    assert slept == pytest.approx([1 / 7, 2 / 7])
    now[0] += 1.0  # idle for a second: the next send goes at once
    await pacer.wait("a")
    assert len(slept) == 2


# --- 8. serviceUrl allowlist at send time ----------------------------------------------------------------------------


@pytest.fixture
def rogue() -> Iterator[LocalConnector]:
    """A connector outside SERVICE_URL_ALLOWLIST: nothing may ever reach it."""
    local = LocalConnector().start()
    yield local
    local.stop()


async def test_a_stored_service_url_outside_the_allowlist_is_refused(
    desk: Desk, connector: LocalConnector, rogue: LocalConnector, clock: FixedClock
):
    """A stored conversation on a foreign serviceUrl: its message fails unsent; the others are delivered."""
    foreign, fine = Chat(chat_with(connector, 1).sender, rogue.url), chat_with(connector, 2)
    await remember(desk, foreign)
    await remember(desk, fine)

    await queue(desk, text(foreign, "token bait"), text(fine, "hello"))
    clock.advance(hours=1)
    await desk.delivered()

    assert rogue.sent == []
    assert texts(connector.posts()) == ["hello"]
    failed = next(r for r in await outbox(desk) if r["conversation_key"] == foreign.conversation_id)
    assert failed["status"] == "failed" and "SERVICE_URL_ALLOWLIST" in failed["last_error"]


async def test_a_reference_pointing_elsewhere_is_refused_too(
    desk: Desk, connector: LocalConnector, rogue: LocalConnector
):
    """A stored reference whose own serviceUrl disagrees with the checked one: refused when the client is made."""
    chat = chat_with(connector, 1)
    record = record_of(Activity().deserialize(chat.message("hello")))
    tampered = Conversation(
        record.key, {**record.reference, "serviceUrl": rogue.url}, record.service_url, record.tenant_id, record.kind
    )
    await desk.runtime.services.desk.save_conversation(tampered)

    await queue(desk, text(chat, "token bait"))

    assert rogue.sent == []
    assert connector.sent == []
    [row] = await outbox(desk)
    assert row["status"] == "failed" and "SERVICE_URL_ALLOWLIST" in row["last_error"]


async def test_pacer_keeps_teams_longer_windows() -> None:
    """Beyond 7 a second, Teams allows 8 sends in any 2 s to one conversation: the 9th waits for the window."""
    now = [100.0]
    slots: list[float] = []

    async def sleep(seconds: float) -> None:
        slots.append(now[0] + seconds)

    pacer = Pacer(1 / 7, ((8, 2.0),), monotonic=lambda: now[0], sleep=sleep)
    for _ in range(9):
        await pacer.wait("a")
    first = 100.0
    assert slots[:7] == pytest.approx([first + n / 7 for n in range(1, 8)])
    assert slots[7] == pytest.approx(first + 2.0), "the 9th send waits until the first leaves the 2-second window"


async def test_a_deleted_message_to_update_does_not_block_the_conversation(
    desk: Desk, connector: LocalConnector, clock: FixedClock
):
    """404 on an update means that one message is gone, not that the bot was removed: later sends still go out."""
    chat = chat_with(connector, 1)
    await remember(desk, chat)
    connector.fail_next("PUT", Reply(404), path=to(chat))
    update = Outgoing(chat.conversation_id, Operation.UPDATE, {"type": "message", "text": "v2"}, target_activity_id="7")
    await queue(desk, update)
    await queue(desk, text(chat, "Still reachable"))
    stored = await desk.runtime.services.desk.conversation(chat.conversation_id)
    assert stored is not None and stored.blocked_reason is None
    assert texts(connector.posts(chat.conversation_id)) == ["Still reachable"]
    rows = await outbox(desk)
    assert [r["status"] for r in rows] == ["failed", "sent"]
