"""A command typed by someone whose role may not use it is refused as such, never taken for something else: a
customer's `queue` is not filed on their ticket, a technician's `my tickets` is not "not understood". Only the
command's own words count (whole words, any case); a sentence that merely starts with one is ordinary text."""

from __future__ import annotations

import pytest

from emulator import demo
from tests.bot.helpers import raise_ticket, rows, set_triage_channel
from tests.support.activities import Channel, Chat, user


async def said_to(desk, chat: Chat) -> list[str]:
    await desk.delivered()
    return [s.text for s in desk.connector.posts(chat.conversation_id) if s.text]


async def customer_messages(desk) -> list[str]:
    found = await rows(desk, "SELECT text FROM ticket_events WHERE kind = 'customer_message' ORDER BY id")
    return [row["text"] for row in found]


@pytest.fixture
async def open_ticket(desk, customer_chat, triage_channel, technician):
    await set_triage_channel(desk, triage_channel, technician)
    return await raise_ticket(desk, customer_chat)


@pytest.mark.parametrize("text", ["queue", "Queue mine", "health fabrikam", "history T-1001", "sign in"])
async def test_a_customer_typing_a_technician_command_is_told_and_nothing_is_filed(
    desk, customer_chat, open_ticket, text
):
    await desk.send(customer_chat.message(text))
    told = await said_to(desk, customer_chat)
    phrase = " ".join(text.lower().split()[: 2 if text.lower().startswith("sign") else 1])
    assert f'"{phrase}" is a command for technicians' in told[-1], told[-1]
    assert await customer_messages(desk) == [], "nothing was added to the ticket"


@pytest.mark.parametrize(
    "text", ["queued mails are stuck", "Customers can't sign in to Outlook", "sign in fails for every user today"]
)
async def test_sentences_that_start_like_a_command_go_to_the_ticket(desk, customer_chat, open_ticket, text):
    await desk.send(customer_chat.message(text))
    told = await said_to(desk, customer_chat)
    assert f"Added to your ticket {open_ticket}" in told[-1], told[-1]
    assert await customer_messages(desk) == [text]


async def test_a_technician_typing_a_customer_command_is_told_whose_it_is(desk, connector, technician):
    chat = Chat(technician, connector.url)
    await desk.send(chat.message("my tickets"))
    told = await said_to(desk, chat)
    assert '"my tickets" is a command for customers' in told[-1], told


async def test_a_customers_own_command_in_the_wrong_place_is_not_called_a_technicians(desk, connector):
    group = Channel("19:team-fabrikam@thread.tacv2", "19:general@thread.tacv2", connector.url)
    await desk.send(group.message(user(demo.FABRIKAM, 0), "ticket T-1001"))
    await desk.delivered()
    told = [s.text for s in desk.connector.posts(group.channel_id) if s.text]
    assert told and "is a command for technicians" not in told[-1], told
