"""A customer's user invited as a guest into the partner's tenant writes from the partner's tenant, but is served as
that customer: their tickets belong to the customer's tenant, and they see the customer's service health."""

from __future__ import annotations

import pytest

from emulator import demo
from tests.bot.helpers import card_text, raise_ticket, rows, set_triage_channel, ticket_row
from tests.support.activities import Chat, guest, join_roster, user


@pytest.fixture
def guest_chat(connector) -> Chat:
    """Adele Vance of Fabrikam, a guest of the partner's tenant, in her personal chat with the partner's bot."""
    adele = guest(user(demo.FABRIKAM, 1), demo.PARTNER)
    join_roster(connector, adele)
    return Chat(adele, connector.url)


def last_said(desk, chat: Chat) -> str:
    """The bot's last message to `chat`: its text and cards."""
    post = desk.connector.posts(chat.conversation_id)[-1]
    return post.text + "\n".join(card_text(card) for card in post.cards)


async def settle(desk) -> None:
    """Let background work (incident links) finish and its messages go out."""
    await desk.runtime.services.spawner.drain()
    await desk.delivered()


async def test_a_guests_ticket_is_filed_under_the_customers_tenant(desk, guest_chat, triage_channel, technician):
    await set_triage_channel(desk, triage_channel, technician)

    number = await raise_ticket(desk, guest_chat, service="Outlook", title="Can't send mail")
    await settle(desk)

    ticket = await ticket_row(desk, number)
    assert (ticket["customer_tenant_id"], ticket["customer_name"]) == (demo.FABRIKAM.tenant_id, "Fabrikam, Inc.")
    assert ticket["requester_aad_id"] == guest_chat.sender.aad_id
    # Filed under Fabrikam, the ticket meets Fabrikam's Exchange incident.
    assert await rows(desk, "SELECT incident_id FROM ticket_incidents") == [{"incident_id": "EX987654"}]
    await desk.send(triage_channel.message(technician, "customers"))
    await desk.delivered()
    listing = card_text(desk.connector.posts(triage_channel.channel_id)[-1].cards[0])
    assert "Fabrikam, Inc. — 1 open ticket ·" in listing, listing


async def test_a_guests_ticket_is_in_their_tickets_and_they_can_follow_it(desk, guest_chat):
    number = await raise_ticket(desk, guest_chat, title="Guest's own problem")

    await desk.send(guest_chat.message("my tickets"))
    assert number in last_said(desk, guest_chat) and "Guest's own problem" in last_said(desk, guest_chat)
    await desk.send(guest_chat.message(f"ticket {number}"))
    assert number in last_said(desk, guest_chat) and "can't find" not in last_said(desk, guest_chat)
    await desk.send(guest_chat.message("The printer too, now"))
    assert f"Added to your ticket {number}" in last_said(desk, guest_chat)
    events = await rows(desk, "SELECT kind FROM ticket_events WHERE kind = 'customer_message'")
    assert len(events) == 1


async def test_a_guests_ticket_is_not_another_fabrikam_users(desk, guest_chat, customer_chat):
    number = await raise_ticket(desk, guest_chat, title="Guest's own problem")

    await desk.send(customer_chat.message("my tickets"))
    assert number not in last_said(desk, customer_chat)
    await desk.send(customer_chat.message(f"ticket {number}"))
    assert "can't find that ticket among yours" in last_said(desk, customer_chat)


async def test_a_guest_sees_the_customers_service_health(desk, guest_chat):
    await desk.send(guest_chat.message("service status"))

    text = last_said(desk, guest_chat)
    assert "Exchange Online" in text and "Microsoft is reporting problems" in text
    graph_calls = desk.runtime.emulator.state.requests("/graph/")
    assert {seen.tenant for seen in graph_calls} == {demo.FABRIKAM.tenant_id}
