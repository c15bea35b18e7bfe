"""Several instances on one database: Teams' redelivery of an activity may reach another instance than the one
running (or having run) its first turn. Instance A is simulated by its rows, written through the store as A writes
them: its claim of the activity's turn and its heartbeat. The desk under test is instance B, on a FixedClock.
A redelivery whose first turn's holder has died (heartbeat lapsed or gone) is processed at once, exactly once; a
copy arriving while a live holder runs the turn waits for it, and is never processed a second time."""

from __future__ import annotations

import asyncio
import copy
import json
from datetime import timedelta
from typing import Any

import pytest

from desk.deliveries import TURN_LEASE, ClaimState
from desk.store import deliveries as delivery_sql
from desk.store import instances as instance_sql
from desk.store.database import Cx
from tests.bot.helpers import card_text, raise_ticket, rows, set_triage_channel, ticket_row
from tests.support.harness import OFFICE_HOURS, Desk, FixedClock, local_settings, start_desk
from tests.support.outage import Switch

A = "host-a:4242:0a0a0a0a"  # instance A, as it names itself
CARD = "application/vnd.microsoft.card.adaptive"
ADDED = "Added to your ticket T-1001."


def key_of(activity: dict[str, Any]) -> str:
    """The activity's key as every instance claims it."""
    return f"{activity['channelId']}|{activity['conversation']['id']}|{activity['id']}"


async def a_claimed(desk: Desk, activity: dict[str, Any], heartbeat: timedelta | None) -> None:
    """Instance A claimed `activity`'s turn just now; its heartbeat is valid for `heartbeat` from now (negative: it
    lapsed; None: there is none)."""
    now = desk.runtime.services.clock()

    def work(cx: Cx) -> None:
        delivery_sql.claim(cx, key_of(activity), A, True, now, now + TURN_LEASE)
        if heartbeat is not None:
            instance_sql.beat(cx, A, now + heartbeat)

    await desk.runtime.db.run(work)


async def a_completed(desk: Desk, activity: dict[str, Any], answer: dict[str, Any] | None = None) -> None:
    """Instance A's turn of `activity` completed (with a card action's answer)."""
    now = desk.runtime.services.clock()
    kept = json.dumps(answer) if answer is not None else None
    await desk.runtime.db.run(lambda cx: delivery_sql.complete(cx, key_of(activity), kept, now))


async def events(desk: Desk, kind: str) -> list[dict[str, Any]]:
    return await rows(desk, "SELECT * FROM ticket_events WHERE kind = ?", (kind,))


def replies(desk: Desk, conversation_id: str) -> list[str]:
    return [s.text for s in desk.connector.posts(conversation_id) if s.text and s.text.startswith(ADDED)]


async def waiting(task: asyncio.Task[Any]) -> bool:
    """Whether the copy is still waiting a moment after it arrived (polling the first turn's claim)."""
    await asyncio.sleep(0.6)
    return not task.done()


@pytest.fixture
async def ticket(desk, customer_chat, triage_channel, technician):
    """T-1001, raised by Megan, posted in the triage channel."""
    await set_triage_channel(desk, triage_channel, technician)
    return await ticket_row(desk, await raise_ticket(desk, customer_chat))


@pytest.mark.parametrize("heartbeat", [timedelta(seconds=-1), None], ids=["lapsed", "gone"])
async def test_a_message_whose_first_turns_holder_died_is_processed_by_the_redelivery_exactly_once(
    desk, ticket, customer_chat, heartbeat
):
    message = customer_chat.message("Still broken after the failover.")
    await a_claimed(desk, message, heartbeat)  # A took it, then was killed (its claim's lease runs on)

    status, _ = await desk.send(copy.deepcopy(message))  # Teams redelivers it, through the load balancer, to B
    await desk.delivered()
    again, _ = await desk.send(copy.deepcopy(message))  # and once more
    await desk.delivered()

    assert (status, again) == (201, 201)
    assert [e["text"] for e in await events(desk, "customer_message")] == ["Still broken after the failover."]
    assert len(replies(desk, customer_chat.conversation_id)) == 1, "one reply"


async def test_a_copy_waits_for_a_live_holder_and_is_processed_when_that_holder_dies(desk, ticket, customer_chat):
    message = customer_chat.message("Still broken after the failover.")
    await a_claimed(desk, message, timedelta(seconds=5))  # A runs the turn and beat 5 s before its heartbeat lapses

    copy_ = asyncio.create_task(desk.send(copy.deepcopy(message)))
    assert await waiting(copy_), "the copy waits while A lives"
    desk.runtime.services.clock.advance(seconds=6)  # A was killed: it never beats again and its heartbeat lapses
    status, _ = await copy_
    await desk.delivered()

    assert status == 201
    assert [e["text"] for e in await events(desk, "customer_message")] == ["Still broken after the failover."]
    assert len(replies(desk, customer_chat.conversation_id)) == 1


async def test_a_message_copy_while_a_live_holder_runs_the_turn_is_not_processed_twice(desk, ticket, customer_chat):
    message = customer_chat.message("Still broken after the failover.")
    await a_claimed(desk, message, timedelta(seconds=10))

    copy_ = asyncio.create_task(desk.send(copy.deepcopy(message)))
    assert await waiting(copy_), "the copy waits for the first turn"
    await a_completed(desk, message)  # A's turn completed (it added the message and replied)
    status, _ = await copy_
    await desk.delivered()

    assert status == 201
    assert await events(desk, "customer_message") == [], "B added nothing: A's turn did"
    assert replies(desk, customer_chat.conversation_id) == []


async def test_a_message_copy_whose_live_holder_still_runs_after_the_wait_is_not_processed(desk, ticket, customer_chat):
    desk.runtime.services.desk.copy_wait = 0.3  # the bound, shortened: the first turn outlasts it
    message = customer_chat.message("Still broken after the failover.")
    await a_claimed(desk, message, timedelta(seconds=10))

    status, _ = await desk.send(copy.deepcopy(message))
    await desk.delivered()

    assert status == 201
    assert await events(desk, "customer_message") == []
    assert replies(desk, customer_chat.conversation_id) == []


async def test_a_card_action_copy_gets_the_answer_of_the_first_turn_on_another_instance(
    desk, ticket, triage_channel, technician
):
    click = triage_channel.invoke(technician, "ticket.assign_me", "T-1001", thread=ticket["triage_activity_id"])
    await a_claimed(desk, click, timedelta(seconds=10))
    first_answer = {"statusCode": 200, "type": CARD, "value": {"type": "AdaptiveCard", "body": [], "version": "1.4"}}

    copy_ = asyncio.create_task(desk.send(copy.deepcopy(click)))
    assert await waiting(copy_)
    await a_completed(desk, click, first_answer)
    status, body = await copy_

    assert (status, body) == (200, first_answer)
    assert await events(desk, "assigned") == [], "not applied again"


async def test_a_card_action_whose_first_turns_holder_died_is_processed_by_the_redelivery(
    desk, ticket, triage_channel, technician
):
    click = triage_channel.invoke(technician, "ticket.assign_me", "T-1001", thread=ticket["triage_activity_id"])
    await a_claimed(desk, click, timedelta(seconds=-1))

    status, body = await desk.send(copy.deepcopy(click))

    assert status == 200 and body["type"] == CARD, body
    assert "T-1001 · Critical · Triaged" in card_text(body["value"])
    assert len(await events(desk, "assigned")) == 1


async def test_a_claim_its_turn_could_not_give_up_for_want_of_the_database_is_given_up_with_the_next_heartbeat(
    tmp_path, connector, customer_chat
):
    """Here the desk under test is instance A: the database goes away in the middle of its turn, so the turn fails
    and cannot give its claim up; the database comes back and A lives on. Teams' copy, sent to B, must not find the
    turn "running" under A's live heartbeat until the claim's lease runs out."""

    opener = Switch()
    desk = await start_desk(local_settings(tmp_path, connector), connector, FixedClock(OFFICE_HOURS), opener.open)
    try:
        switch = opener.db
        services = desk.runtime.services
        next(task for task in desk.runtime.tasks if task.get_name() == "heartbeat").cancel()  # beaten by hand here
        real_save = services.desk.save_conversation

        async def outage_mid_turn(*args, **kwargs):
            services.desk.save_conversation = real_save
            switch.down()  # after the claim: the turn fails, and so does giving the claim up
            await real_save(*args, **kwargs)

        services.desk.save_conversation = outage_mid_turn
        message = customer_chat.message("help")
        status, _ = await desk.send(copy.deepcopy(message))
        assert status == 503
        switch.up()
        now = services.clock()

        async def b_claims() -> ClaimState:
            claim = delivery_sql.claim
            found = await switch.run(lambda cx: claim(cx, key_of(message), "host-b:1:b", False, now, now + TURN_LEASE))
            return found.state

        assert await b_claims() is ClaimState.RUNNING, "until A's next beat, its claim stands (A is alive)"
        assert await desk.runtime.heartbeat.beat(), "A beats again (within BEAT_SECONDS of the database's return)"
        assert await b_claims() is ClaimState.NEW, "B takes the copy: A gave its failed turn's claim up"
    finally:
        await desk.close()
