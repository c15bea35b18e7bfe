"""The PSA bridge's webhooks end to end, with the real app and a local receiver that checks what docs/psa-bridge.md
tells a PSA to check: every ticket event arrives once, signed, in order per ticket, valid against the v1 schema;
5xx answers and timeouts are retried (the ticket's later events waiting behind); a 4xx other than 408/429 fails
for good and shows in /readyz; a restart on the same database sends nothing twice."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.features.notices import announcer
from bot.features.tickets import audience_of
from desk.changes import Actor, Escalate
from desk.people import Role
from tests.bot.helpers import raise_ticket, rows, set_triage_channel, ticket_row
from tests.bot.psa_rig import HANG, SECRET, Receiver, signed
from tests.support.harness import OFFICE_HOURS, Desk, FixedClock, local_settings, start_desk

FULL_LIFE = [
    "created",
    "assigned",
    "status_changed",  # new -> triaged, with the assignment
    "status_changed",  # triaged -> in_progress
    "replied",
    "status_changed",  # in_progress -> escalated, with the service request
    "escalated",
    "status_changed",  # escalated -> resolved
    "resolved",
    "rated",
]


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(OFFICE_HOURS)


@pytest.fixture
async def receiver(clock) -> AsyncIterator[Receiver]:
    running = Receiver(clock=lambda: clock().timestamp())
    running.url = await running.start()  # type: ignore[attr-defined]
    yield running
    await running.stop()


def psa_settings(tmp_path: Path, connector, receiver: Receiver, **extra: str):
    return local_settings(
        tmp_path,
        connector,
        PSA_WEBHOOK_URLS=receiver.url,
        PSA_WEBHOOK_SECRET=SECRET,
        **extra,  # type: ignore[attr-defined]
    )


@pytest.fixture
async def desk(tmp_path, connector, receiver, clock) -> AsyncIterator[Desk]:
    running = await start_desk(psa_settings(tmp_path, connector, receiver), connector, clock)
    yield running
    await running.close()


async def webhooks_sent(desk: Desk) -> None:
    """Wait until no webhook is due or under way."""
    sender = desk.runtime.psa_sender
    assert sender is not None
    async with asyncio.timeout(30):
        await sender.drain()


async def act(desk: Desk, channel, technician, verb: str, ticket: dict, inputs: dict | None = None) -> None:
    activity = channel.invoke(technician, verb, ticket["number"], inputs, thread=ticket["triage_activity_id"])
    status, _ = await desk.send(activity)
    assert status == 200
    await desk.delivered()


async def escalate(desk: Desk, number: str) -> None:
    """A filed service request lands on the ticket (tests/bot/test_escalation.py files one through Partner Center;
    here the record alone: it is what writes the events)."""
    services = desk.runtime.services
    ticket = await services.desk.ticket(int(number.removeprefix("T-")) - 1000)
    assert ticket is not None
    announce = announcer(await audience_of(services, ticket), services.clock())
    actor = Actor("0b6f3d2a-1c4e-4f5a-8b7c-9d0e1f2a3b01", "Alex Wilber", Role.TECHNICIAN)
    await services.desk.apply(ticket.id, actor, Escalate("2611240010000001", "open", "commercial"), announce)
    await desk.delivered()


async def test_every_event_of_a_tickets_life_arrives_once_signed_in_order_and_valid(
    desk, receiver, customer_chat, triage_channel, technician
):
    await set_triage_channel(desk, triage_channel, technician)
    ticket = await ticket_row(desk, await raise_ticket(desk, customer_chat))
    await act(desk, triage_channel, technician, "ticket.assign_me", ticket)
    await act(desk, triage_channel, technician, "ticket.status", ticket, {"new_status": "in_progress"})
    await act(desk, triage_channel, technician, "ticket.reply", ticket, {"reply_text": "Looking at it now."})
    await act(desk, triage_channel, technician, "ticket.note", ticket, {"note_text": "Admin password is hunter2"})
    await escalate(desk, ticket["number"])
    await act(desk, triage_channel, technician, "ticket.resolve", ticket, {"resolution": "Connector re-created."})
    status, _ = await desk.send(customer_chat.invoke("ticket.rate", ticket["number"], {"rating": "5"}))
    assert status == 200
    await webhooks_sent(desk)

    assert receiver.bad == []
    assert receiver.types("T-1001") == FULL_LIFE
    ids = [int(p["id"].removeprefix("evt_")) for p in receiver.accepted]
    assert ids == sorted(ids) and len(set(ids)) == len(ids), "in order, each once"
    assert len(receiver.requests) == len(FULL_LIFE), "nothing sent twice"
    by_type = {p["type"]: p for p in receiver.accepted}
    assert by_type["created"]["change"]["description"].startswith("Nobody at the Leeds office")
    assert by_type["created"]["ticket"]["customer"]["name"] == "Fabrikam, Inc."
    assert by_type["assigned"]["ticket"]["assignee"] == {
        "name": "Alex Wilber",
        "email": "alex@contosocloud.onmicrosoft.com",
    }
    assert by_type["replied"]["change"] == {"by": "technician", "text": "Looking at it now."}
    assert by_type["escalated"]["change"]["serviceRequestId"] == "2611240010000001"
    assert by_type["resolved"]["change"] == {"summary": "Connector re-created."}
    assert by_type["rated"]["change"] == {"score": 5, "comment": None}
    assert by_type["rated"]["actor"]["type"] == "customer"
    changes = [p["change"] for p in receiver.accepted if p["type"] == "status_changed"]
    assert [(c["from"], c["to"]) for c in changes] == [
        ("new", "triaged"),
        ("triaged", "in_progress"),
        ("in_progress", "escalated"),
        ("escalated", "resolved"),
    ]
    assert "hunter2" not in str(receiver.accepted), "private notes stay in the desk"


async def test_a_5xx_is_retried_and_the_tickets_next_event_waits_for_it(
    desk, receiver, clock, customer_chat, triage_channel, technician
):
    receiver.script = [503]
    await set_triage_channel(desk, triage_channel, technician)
    ticket = await ticket_row(desk, await raise_ticket(desk, customer_chat))
    await webhooks_sent(desk)
    await act(desk, triage_channel, technician, "ticket.assign_me", ticket)
    await webhooks_sent(desk)
    assert receiver.requests == [("evt_1", 503)], "the assignment waits behind the creation's retry"

    clock.advance(seconds=10)  # past the first retry's wait (5 s at most)
    desk.runtime.psa_sender.kick()
    await webhooks_sent(desk)

    assert receiver.bad == []
    assert receiver.types("T-1001") == ["created", "assigned", "status_changed"]
    attempts = await rows(desk, "SELECT attempts, state FROM psa_webhooks ORDER BY event_id")
    assert attempts[0] == {"attempts": 2, "state": "delivered"}


async def test_a_timeout_is_retried(tmp_path, connector, receiver, clock, customer_chat, triage_channel, technician):
    receiver.script = [HANG]
    desk = await start_desk(psa_settings(tmp_path, connector, receiver, PSA_WEBHOOK_TIMEOUT="1"), connector, clock)
    try:
        await set_triage_channel(desk, triage_channel, technician)
        await raise_ticket(desk, customer_chat)
        await webhooks_sent(desk)
        [row] = await rows(desk, "SELECT attempts, state, last_error FROM psa_webhooks")
        assert row == {"attempts": 1, "state": "pending", "last_error": "timed out"}

        clock.advance(seconds=10)
        await webhooks_sent(desk)
        assert receiver.types("T-1001") == ["created"] and receiver.bad == []
    finally:
        await desk.close()


async def test_a_4xx_fails_for_good_shows_in_readyz_and_the_next_event_goes(
    desk, receiver, customer_chat, triage_channel, technician
):
    receiver.script = [400]
    await set_triage_channel(desk, triage_channel, technician)
    ticket = await ticket_row(desk, await raise_ticket(desk, customer_chat))
    await act(desk, triage_channel, technician, "ticket.assign_me", ticket)
    await webhooks_sent(desk)

    assert receiver.requests[0] == ("evt_1", 400) and len(receiver.requests) == 3, "not retried"
    assert receiver.types("T-1001") == ["assigned", "status_changed"]
    ready = await (await desk.client.get("/readyz")).json()
    assert ready["psa_webhooks"] == {"pending": 0, "failed": 1}


async def test_a_restart_on_the_same_database_sends_nothing_twice(
    tmp_path, connector, receiver, clock, customer_chat, triage_channel, technician
):
    settings = psa_settings(tmp_path, connector, receiver)
    first = await start_desk(settings, connector, clock)
    await set_triage_channel(first, triage_channel, technician)
    ticket = await ticket_row(first, await raise_ticket(first, customer_chat))
    await webhooks_sent(first)  # the creation is delivered
    receiver.script = [503, 503]  # the PSA goes down
    await act(first, triage_channel, technician, "ticket.assign_me", ticket)
    await webhooks_sent(first)
    await first.close()

    clock.advance(seconds=30)
    second = await start_desk(settings, connector, clock)
    try:
        await webhooks_sent(second)
        clock.advance(seconds=30)
        await webhooks_sent(second)
    finally:
        await second.close()

    assert receiver.bad == []
    assert receiver.types("T-1001") == ["created", "assigned", "status_changed"]
    answered = [event for event, answer in receiver.requests if answer == 200]
    assert len(answered) == 3 and answered == [p["id"] for p in receiver.accepted], "each answered once, in order"
    assert [answer for _, answer in receiver.requests] == [200, 503, 503, 200, 200], "retried on both sides"


async def test_a_change_the_psa_made_comes_back_marked_as_its_own(
    tmp_path, connector, receiver, clock, customer_chat, triage_channel, technician
):
    settings = psa_settings(tmp_path, connector, receiver, PSA_INBOUND="true", PSA_ACTOR_NAME="HaloPSA")
    desk = await start_desk(settings, connector, clock)
    try:
        await set_triage_channel(desk, triage_channel, technician)
        await raise_ticket(desk, customer_chat)
        raw = json.dumps({"action": "reply", "text": "From the PSA."}).encode()
        headers = signed(SECRET, raw, int(clock().timestamp()))
        response = await desk.client.post("/api/psa/tickets/T-1001", data=raw, headers=headers)
        assert response.status == 200
        await webhooks_sent(desk)
    finally:
        await desk.close()

    replied = receiver.accepted[-1]
    assert (replied["type"], replied["actor"], replied["change"]) == (
        "replied",
        {"type": "psa", "name": "HaloPSA"},
        {"by": "psa", "text": "From the PSA."},
    )
