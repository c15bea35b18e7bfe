"""Teams redelivers an activity when the bot was slow, failed or died: a turn that died before it committed is
processed again, one that committed is never applied twice, and a redelivered card action gets the first answer
again, byte for byte, never a refusal. At the HTTP level, with the real app."""

from __future__ import annotations

import asyncio
import copy
import json

import aiohttp
import pytest

from tests.bot.helpers import card_text, raise_ticket, rows, set_triage_channel, ticket_row

CARD = "application/vnd.microsoft.card.adaptive"


class Killed(BaseException):
    """The process stops mid-turn: no `except Exception` runs, nothing is cleaned up."""


async def killed(desk, activity) -> None:
    """Deliver `activity` to a turn that dies (its request never gets an answer)."""
    with pytest.raises((Killed, aiohttp.ClientError)):
        await desk.send(copy.deepcopy(activity))


def die_once(target, name: str, after: bool = False):
    """Make `target.name` kill the turn the first time it is called: before it runs, or right after it returned."""
    real = getattr(target, name)

    if asyncio.iscoroutinefunction(real):

        async def dying(*args, **kwargs):
            setattr(target, name, real)
            result = await real(*args, **kwargs) if after else None
            raise Killed(name)
            return result  # pragma: no cover

    else:

        def dying(*args, **kwargs):
            setattr(target, name, real)
            if after:
                real(*args, **kwargs)
            raise Killed(name)

    setattr(target, name, dying)


async def raw_send(desk, activity) -> tuple[int, bytes]:
    """POST an activity; returns the status and the exact bytes of the answer."""
    response = await desk.client.post("/api/messages", json=activity)
    return response.status, await response.read()


async def events(desk, kind: str) -> list[dict]:
    return await rows(desk, "SELECT * FROM ticket_events WHERE kind = ?", (kind,))


@pytest.fixture
async def ticket(desk, customer_chat, triage_channel, technician):
    """T-1001, raised by Megan, posted in the triage channel."""
    await set_triage_channel(desk, triage_channel, technician)
    return await ticket_row(desk, await raise_ticket(desk, customer_chat))


async def test_a_message_whose_turn_died_before_its_change_is_processed_when_redelivered(desk, ticket, customer_chat):
    message = customer_chat.message("Still broken after the restart.")
    die_once(desk.runtime.services.desk, "active_tickets_of")  # the turn dies before it added anything
    await killed(desk, message)
    assert await events(desk, "customer_message") == []

    status, _ = await desk.send(copy.deepcopy(message))  # Teams redelivers it

    assert status == 201
    assert [e["text"] for e in await events(desk, "customer_message")] == ["Still broken after the restart."]
    said = [s.text for s in desk.connector.posts(customer_chat.conversation_id) if s.text]
    assert [text for text in said if text.startswith("Added to your ticket T-1001.")], said


async def test_a_card_action_whose_turn_died_after_its_change_is_applied_once_and_answered_as_usual(
    desk, ticket, triage_channel, technician
):
    click = triage_channel.invoke(technician, "ticket.assign_me", "T-1001", thread=ticket["triage_activity_id"])
    die_once(desk.runtime.services.desk, "on_outbox")  # right after the change committed
    await killed(desk, click)
    assert len(await events(desk, "assigned")) == 1

    status, body = await desk.send(copy.deepcopy(click))  # Teams redelivers it

    assert status == 200 and body["type"] == CARD, body
    assert "T-1001 · Critical · Triaged" in card_text(body["value"]) and "Alex Wilber" in card_text(body["value"])
    assert len(await events(desk, "assigned")) == 1, "applied once"


async def test_a_redelivered_card_action_gets_the_first_answer_byte_for_byte(desk, ticket, triage_channel, technician):
    click = triage_channel.invoke(technician, "ticket.assign_me", "T-1001", thread=ticket["triage_activity_id"])
    first = await raw_send(desk, copy.deepcopy(click))
    await desk.delivered()
    again = await raw_send(desk, copy.deepcopy(click))

    assert first[0] == 200 and b"Triaged" in first[1]
    assert again == first
    assert len(await events(desk, "assigned")) == 1


async def test_a_card_action_redelivered_while_its_first_turn_still_runs_gets_the_first_answer(
    desk, ticket, triage_channel, technician
):
    click = triage_channel.invoke(technician, "ticket.assign_me", "T-1001", thread=ticket["triage_activity_id"])
    services = desk.runtime.services
    real_apply = services.desk.apply
    applied, release = asyncio.Event(), asyncio.Event()

    async def slow_after_applying(*args, **kwargs):
        result = await real_apply(*args, **kwargs)
        if not applied.is_set():
            applied.set()
            await release.wait()  # the first turn takes longer than Teams waits (15 s)
        return result

    services.desk.apply = slow_after_applying
    first = asyncio.create_task(raw_send(desk, copy.deepcopy(click)))
    await applied.wait()
    retry = asyncio.create_task(raw_send(desk, copy.deepcopy(click)))  # Teams' retry, while the first still runs
    await asyncio.sleep(0.5)
    assert not retry.done(), "the copy waits for the first turn's answer"
    release.set()
    (status, answered), (retry_status, retried) = await first, await retry

    assert (retry_status, retried) == (status, answered), "the same answer, byte for byte"
    assert json.loads(retried)["type"] == CARD
    assert len(await events(desk, "assigned")) == 1
    await desk.delivered()
    posts = desk.connector.posts(triage_channel.channel_id)
    status_lines = [p for p in posts if "took the ticket" in (card_text(p.cards[0]) if p.cards else p.text or "")]
    assert len(status_lines) == 1, "announced once"


async def test_a_message_redelivered_while_its_first_turn_still_runs_is_answered_once(desk, customer_chat):
    message = customer_chat.message("help")
    services = desk.runtime.services
    real_save = services.desk.save_conversation
    saved, release = asyncio.Event(), asyncio.Event()

    async def slow_save(*args, **kwargs):
        await real_save(*args, **kwargs)
        if not saved.is_set():
            saved.set()
            await release.wait()

    services.desk.save_conversation = slow_save
    first = asyncio.create_task(desk.send(copy.deepcopy(message)))
    await saved.wait()
    status, _ = await desk.send(copy.deepcopy(message))  # Teams' copy: dropped, the first turn answers
    release.set()
    await first

    assert status == 201
    assert len([p for p in desk.connector.posts(customer_chat.conversation_id) if p.cards]) == 1, "one welcome card"


async def test_a_duplicate_with_a_new_activity_id_is_held_by_the_ticket_idempotency(desk, customer_chat):
    from tests.bot.helpers import GOOD_TICKET, form_message_id, open_form

    draft_id, _ = await open_form(desk, customer_chat)
    submit = customer_chat.invoke(
        "ticket.submit", draft_id, GOOD_TICKET, replyToId=form_message_id(desk, customer_chat)
    )
    await desk.send(copy.deepcopy(submit))
    submit["id"] = submit["id"] + "-again"  # some of Teams' duplicates carry a new id
    status, _ = await desk.send(submit)
    assert status == 200
    assert len(await rows(desk, "SELECT id FROM tickets")) == 1


async def test_a_note_whose_turn_died_after_reaching_microsoft_is_added_to_the_service_request_once(
    desk, customer_chat, triage_channel, technician
):
    from tests.bot.test_escalation import escalated

    desk.runtime.emulator.state.sr_script = []
    await set_triage_channel(desk, triage_channel, technician)
    ticket = await ticket_row(desk, await raise_ticket(desk, customer_chat))
    sr_id = await escalated(desk, ticket, triage_channel, technician)
    message = triage_channel.message(technician, "note T-1001 Customer sent the trace.", thread=None)
    die_once(desk.runtime.partner_center, "add_note", after=True)  # Microsoft has the note; the turn dies
    await killed(desk, message)

    status, _ = await desk.send(copy.deepcopy(message))  # Teams redelivers it

    assert status == 201
    notes = desk.runtime.emulator.state.service_requests.get(sr_id).notes
    assert [note.text for note in notes].count("Customer sent the trace.") == 1
    assert [e["text"] for e in await events(desk, "note")] == ["Customer sent the trace."]
