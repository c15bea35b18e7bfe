"""The two-way conversation (customer messages into the ticket thread) and the technicians' commands."""

from __future__ import annotations

import pytest

from cards.render import MAX_CARD_BYTES, card_size
from emulator import demo
from tests.bot.helpers import card_text, raise_ticket, rows, set_triage_channel, ticket_row
from tests.bot.test_triage_actions import act, thread_posts
from tests.support.activities import Chat, user


@pytest.fixture
async def ticket(desk, customer_chat, triage_channel, technician):
    """T-1001, raised by Megan, posted in the triage channel."""
    await set_triage_channel(desk, triage_channel, technician)
    return await ticket_row(desk, await raise_ticket(desk, customer_chat))


async def test_customer_message_goes_into_the_ticket_thread(desk, ticket, customer_chat, triage_channel):
    await desk.send(customer_chat.message("It also happens on my laptop, not only the desktop."))
    await desk.delivered()
    assert desk.connector.posts(customer_chat.conversation_id)[-1].text.startswith("Added to your ticket T-1001.")
    post = thread_posts(desk, triage_channel, ticket)[-1].cards[0]
    assert "Megan Bowen (customer) wrote:" in card_text(post)
    assert "It also happens on my laptop, not only the desktop." in card_text(post)
    events = await rows(desk, "SELECT kind, text FROM ticket_events WHERE kind = 'customer_message'")
    assert events == [{"kind": "customer_message", "text": "It also happens on my laptop, not only the desktop."}]


async def test_customer_reply_moves_a_waiting_ticket_back_to_work(
    desk, ticket, customer_chat, triage_channel, technician
):
    await act(desk, triage_channel, technician, "ticket.status", ticket, {"new_status": "waiting_on_customer"})
    await desk.send(customer_chat.message("Here is the screenshot you asked for."))
    await desk.delivered()
    assert (await ticket_row(desk, "T-1001"))["status"] == "in_progress"


async def test_reply_to_a_tickets_card_goes_to_that_ticket(desk, ticket, customer_chat):
    second = await raise_ticket(desk, customer_chat, title="Teams calls drop")
    assert second == "T-1002"
    first_card = ticket["customer_card_activity_id"]
    await desk.send(customer_chat.message("Any news on the mail problem?", replyToId=first_card))
    await desk.delivered()
    texts = await rows(
        desk,
        "SELECT t.number FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id WHERE kind = 'customer_message'",
    )
    assert texts == [{"number": "T-1001"}]


async def test_customer_with_several_open_tickets_is_told_where_the_message_went(desk, ticket, customer_chat):
    await raise_ticket(desk, customer_chat, title="Teams calls drop")
    await desk.send(customer_chat.message("Still broken."))
    reply = desk.connector.posts(customer_chat.conversation_id)[-1].text
    assert reply.startswith("Added to your most recently active ticket T-1002.")


async def test_customer_ticket_command_shows_only_their_own(desk, ticket, connector, customer_chat):
    await desk.send(customer_chat.message("ticket T-1001"))
    assert "Ticket T-1001" in card_text(connector.posts(customer_chat.conversation_id)[-1].cards[0])
    colleague = Chat(user(demo.FABRIKAM, 1), connector.url)
    await desk.send(colleague.message("ticket T-1001"))
    assert connector.posts(colleague.conversation_id)[-1].text == "I can't find that ticket among yours."


async def test_queue_sorted_by_sla_due_with_filters(desk, ticket, connector, customer_chat, triage_channel, technician):
    nestor = Chat(user(demo.NORTHWIND, 0), connector.url)
    await raise_ticket(desk, nestor, severity="minimal", title="Licence question")
    await raise_ticket(desk, customer_chat, severity="moderate", title="Shared mailbox")
    await act(
        desk,
        triage_channel,
        technician,
        "ticket.assign_me",
        {"number": "T-1003", "triage_activity_id": (await ticket_row(desk, "T-1003"))["triage_activity_id"]},
    )

    async def listing(args: str) -> str:
        await desk.send(triage_channel.message(technician, f"queue {args}".strip()))
        return card_text(connector.posts(triage_channel.channel_id)[-1].cards[0])

    everything = await listing("")
    assert "Open tickets (3)" in everything
    assert everything.index("T-1001") < everything.index("T-1003") < everything.index("T-1002")
    assert "T-1003" in await listing("mine") and "T-1001" not in await listing("mine")
    unassigned = await listing("unassigned")
    assert "T-1001" in unassigned and "T-1003" not in unassigned
    assert "Open tickets (1)" in await listing("minimal")
    northwind = await listing("north")
    assert "T-1002" in northwind and "T-1001" not in northwind


async def test_ticket_and_history_commands(desk, ticket, connector, triage_channel, technician):
    await act(desk, triage_channel, technician, "ticket.note", ticket, {"note_text": "Checked the mailbox rules."})
    await desk.send(triage_channel.message(technician, "ticket T-1001"))
    full = card_text(connector.posts(triage_channel.channel_id)[-1].cards[0])
    assert "History" in full and "Checked the mailbox rules." in full and "opened the ticket" in full
    await desk.send(triage_channel.message(technician, "history t1001"))
    log = card_text(connector.posts(triage_channel.channel_id)[-1].cards[0])
    assert "History of T-1001" in log and "added a private note" in log


async def test_ticket_command_fits_a_long_wide_character_ticket_into_one_card(
    desk, connector, customer_chat, triage_channel, technician
):
    # 4,000 four-byte characters of description and long notes: the history gives way, the card still goes out.
    await set_triage_channel(desk, triage_channel, technician)
    number = await raise_ticket(desk, customer_chat, description="📧" * 4000)
    for index in range(6):
        await desk.send(triage_channel.message(technician, f"note {number} {index} " + "🔎" * 600))
    await desk.delivered()  # the notes' thread posts, so the last post is the answer to `ticket`
    await desk.send(triage_channel.message(technician, f"ticket {number}"))
    [card] = connector.posts(triage_channel.channel_id)[-1].cards
    assert card_size(card) <= MAX_CARD_BYTES
    text = card_text(card)
    assert "History" in text and "📧" * 100 in text
    assert "older events not shown" in text


async def test_search_finds_by_words_in_any_case(desk, ticket, connector, customer_chat, triage_channel, technician):
    await raise_ticket(desk, customer_chat, title="Почта не работает", description="Письма не уходят")
    await desk.send(triage_channel.message(technician, "search ПОЧТА"))
    found = card_text(connector.posts(triage_channel.channel_id)[-1].cards[0])
    assert "T-1002" in found and "T-1001" not in found
    await desk.send(triage_channel.message(technician, "search leeds MAIL"))
    found = card_text(connector.posts(triage_channel.channel_id)[-1].cards[0])
    assert "T-1001" in found and "(1)" in found
    await desk.send(triage_channel.message(technician, "search 100%_"))
    assert "(0)" in card_text(connector.posts(triage_channel.channel_id)[-1].cards[0])


async def test_note_typed_in_the_tickets_thread(desk, ticket, connector, customer_chat, triage_channel, technician):
    before = len(connector.sent_to(customer_chat.conversation_id))
    await desk.send(
        triage_channel.message(technician, "note Called her, will retry at 3pm", thread=ticket["triage_activity_id"])
    )
    await desk.delivered()
    assert "Private note added to T-1001." in [s.text for s in connector.posts(triage_channel.channel_id)]
    assert len(connector.sent_to(customer_chat.conversation_id)) == before
    notes = await rows(desk, "SELECT text FROM ticket_events WHERE kind = 'note'")
    assert notes == [{"text": "Called her, will retry at 3pm"}]


async def test_reply_command_with_a_number(desk, ticket, connector, customer_chat, triage_channel, technician):
    await desk.send(triage_channel.message(technician, "reply T-1001 We are on it."))
    await desk.delivered()
    assert "We are on it." in card_text(connector.posts(customer_chat.conversation_id)[-1].cards[0])


async def test_customers_cannot_use_technician_commands(desk, ticket, connector, customer_chat):
    await desk.send(customer_chat.message("queue"))
    await desk.delivered()
    # "queue" is not a customer command: it is treated as a message on the open ticket, never as a queue listing.
    assert all("Open tickets" not in card_text(s.body) for s in connector.sent_to(customer_chat.conversation_id))
