"""Technicians acting on the triage card, as invokes at the HTTP level: the exact invoke response, the card update
sent to the channel, the thread post, and what the customer is told."""

from __future__ import annotations

import pytest

from emulator import demo
from tests.bot.helpers import card_inputs, card_text, card_verbs, raise_ticket, rows, set_triage_channel, ticket_row
from tests.support.activities import Chat, user

CARD = "application/vnd.microsoft.card.adaptive"
MESSAGE = "application/vnd.microsoft.activity.message"


@pytest.fixture
async def ticket(desk, customer_chat, triage_channel, technician):
    """T-1001, raised by Megan, posted in the triage channel."""
    await set_triage_channel(desk, triage_channel, technician)
    number = await raise_ticket(desk, customer_chat)
    row = await ticket_row(desk, number)
    assert row["triage_activity_id"], "the triage card was posted"
    return row


async def act(desk, channel, sender, verb, ticket, inputs=None):
    """Click a triage-card action in the ticket's thread; returns the invoke response body."""
    activity = channel.invoke(sender, verb, ticket["number"], inputs, thread=ticket["triage_activity_id"])
    status, body = await desk.send(activity)
    assert status == 200
    await desk.delivered()
    return body


def last_update(desk, ticket):
    """The last in-place update of the ticket's triage card."""
    updates = [u for u in desk.connector.updates() if u.activity_id == ticket["triage_activity_id"]]
    assert updates, "the triage card was updated in place"
    return updates[-1]


def thread_posts(desk, channel, ticket):
    """Posts in the ticket's thread."""
    thread = f"{channel.channel_id};messageid={ticket['triage_activity_id']}"
    return [s for s in desk.connector.posts(thread) if s.conversation_id == thread]


async def test_triage_card_offers_technician_view_and_refresh(desk, ticket, triage_channel, technician):
    created = [s for s in desk.connector.sent if s.path == "/v3/conversations"][-1]
    card = created.cards[0]
    assert card["refresh"]["action"]["verb"] == "ticket.refresh"
    assert technician.user_id in card["refresh"]["userIds"]
    assert card_verbs(card) == {"ticket.refresh"}
    body = await act(desk, triage_channel, technician, "ticket.refresh", ticket)
    assert body["type"] == CARD
    assert {"ticket.assign_me", "ticket.reply", "ticket.note", "ticket.resolve", "ticket.status"} <= card_verbs(
        body["value"]
    )


async def test_assign_to_me(desk, ticket, triage_channel, technician, customer_chat):
    body = await act(desk, triage_channel, technician, "ticket.assign_me", ticket)

    assert body["statusCode"] == 200 and body["type"] == CARD
    view = card_text(body["value"])
    assert "T-1001 · Critical · Triaged" in view and "Alex Wilber" in view
    assert "ticket.assign_me" not in card_verbs(body["value"]), "not offered to the assignee"
    stored = await ticket_row(desk, "T-1001")
    assert (stored["status"], stored["assignee_name"]) == ("triaged", "Alex Wilber")
    base = last_update(desk, ticket).cards[0]
    assert "T-1001 · Critical · Triaged" in card_text(base)
    assert card_verbs(base) == {"ticket.refresh"}
    assert "Alex Wilber took the ticket." in card_text(thread_posts(desk, triage_channel, ticket)[-1].cards[0])
    told = [s.text for s in desk.connector.posts(customer_chat.conversation_id)]
    assert "Alex Wilber is now handling your ticket T-1001." in told
    events = await rows(
        desk, "SELECT kind, old_value, new_value, actor_name FROM ticket_events WHERE kind != 'created'"
    )
    assert {"kind": "assigned", "old_value": None, "new_value": "Alex Wilber", "actor_name": "Alex Wilber"} in events
    assert {"kind": "status", "old_value": "new", "new_value": "triaged", "actor_name": "Alex Wilber"} in events


async def test_assign_to_another_technician_from_the_team_roster(desk, ticket, triage_channel, technician):
    diego = user(demo.PARTNER, 1)
    view = (await act(desk, triage_channel, technician, "ticket.refresh", ticket))["value"]
    assert diego.name in card_text(view), "technicians learned from the team roster are offered"
    assignees = [c["title"] for c in card_inputs(view)["assignee"]["choices"]]
    assert "Megan Bowen" not in assignees, "customers are not technicians"

    body = await act(desk, triage_channel, technician, "ticket.assign", ticket, {"assignee": diego.aad_id})

    assert body["type"] == CARD
    assert (await ticket_row(desk, "T-1001"))["assignee_name"] == "Diego Siciliani"
    refused = await act(desk, triage_channel, technician, "ticket.assign", ticket, {"assignee": "someone-else"})
    assert refused == {"statusCode": 200, "type": MESSAGE, "value": "Pick a technician from the list."}


async def test_change_severity_recomputes_sla(desk, ticket, triage_channel, technician):
    before = await ticket_row(desk, "T-1001")
    body = await act(desk, triage_channel, technician, "ticket.severity", ticket, {"new_severity": "minimal"})
    assert "T-1001 · Minimal · New" in card_text(body["value"])
    after = await ticket_row(desk, "T-1001")
    assert after["severity"] == "minimal"
    assert after["first_response_due"] > before["first_response_due"]
    assert "Critical → Minimal" in card_text(thread_posts(desk, triage_channel, ticket)[-1].cards[0])
    same = await act(desk, triage_channel, technician, "ticket.severity", ticket, {"new_severity": "minimal"})
    assert same == {"statusCode": 200, "type": MESSAGE, "value": "The severity is already Minimal."}


async def test_change_status_and_refused_transition(desk, ticket, triage_channel, technician, customer_chat):
    body = await act(desk, triage_channel, technician, "ticket.status", ticket, {"new_status": "waiting_on_customer"})
    assert "Waiting on customer" in card_text(body["value"])
    told = desk.connector.posts(customer_chat.conversation_id)[-1].text
    assert told == "We need something from you to continue with T-1001. Please reply here."
    customer_card = [u for u in desk.connector.updates() if u.activity_id == ticket["customer_card_activity_id"]][-1]
    assert "Waiting on you" in card_text(customer_card.cards[0]), "the customer reads the status in their own terms"

    refused = await act(desk, triage_channel, technician, "ticket.status", ticket, {"new_status": "closed"})
    assert refused == {
        "statusCode": 200,
        "type": MESSAGE,
        "value": "T-1001 can't go from Waiting on customer to Closed.",
    }
    assert (await ticket_row(desk, "T-1001"))["status"] == "waiting_on_customer"
    refused = await act(desk, triage_channel, technician, "ticket.status", ticket, {"new_status": "resolved"})
    assert refused["value"] == "Use Resolve, with a summary for the customer."


async def test_reply_reaches_the_customer_with_the_technicians_name(
    desk, ticket, triage_channel, technician, customer_chat
):
    text = 'Please run "outlook.exe /safe" and tell me what you see.\nThanks!'
    body = await act(desk, triage_channel, technician, "ticket.reply", ticket, {"reply_text": text})
    assert body["type"] == CARD
    relay = desk.connector.posts(customer_chat.conversation_id)[-1].cards[0]
    assert "Alex Wilber · Contoso Cloud Services" in card_text(relay)
    assert text in card_text(relay)
    assert text in card_text(thread_posts(desk, triage_channel, ticket)[-1].cards[0])
    assert (await ticket_row(desk, "T-1001"))["first_response_at"] is not None


async def test_private_note_never_reaches_the_customer(desk, ticket, triage_channel, technician, customer_chat):
    before = len(desk.connector.sent_to(customer_chat.conversation_id))
    await act(desk, triage_channel, technician, "ticket.note", ticket, {"note_text": "Customer is on E3, no Intune."})
    assert "Customer is on E3, no Intune." in card_text(thread_posts(desk, triage_channel, ticket)[-1].cards[0])
    after = desk.connector.sent_to(customer_chat.conversation_id)
    assert len(after) == before
    assert all("Intune" not in card_text(s.body) for s in after)


async def test_resolve_asks_the_customer_to_confirm_and_rate(desk, ticket, triage_channel, technician, customer_chat):
    summary = "Repaired the Office installation; Outlook starts again."
    body = await act(desk, triage_channel, technician, "ticket.resolve", ticket, {"resolution": summary})
    assert "T-1001 · Critical · Resolved" in card_text(body["value"])
    assert "ticket.reopen" in card_verbs(body["value"])
    card = desk.connector.posts(customer_chat.conversation_id)[-1].cards[0]
    assert summary in card_text(card)
    assert {"ticket.confirm", "ticket.reject", "ticket.rate"} <= card_verbs(card)

    _, rated = await desk.send(
        customer_chat.invoke("ticket.rate", "T-1001", {"rating": "4", "rating_comment": "Quick"})
    )
    assert "Thank you for your rating of T-1001." in card_text(rated["value"])
    _, confirmed = await desk.send(customer_chat.invoke("ticket.confirm", "T-1001"))
    assert "T-1001 is now closed" in card_text(confirmed["value"])
    stored = await ticket_row(desk, "T-1001")
    assert (stored["status"], stored["rating"], stored["rating_comment"]) == ("closed", 4, "Quick")


async def test_resolve_without_summary_is_refused(desk, ticket, triage_channel, technician):
    refused = await act(desk, triage_channel, technician, "ticket.resolve", ticket, {"resolution": "   "})
    assert refused == {"statusCode": 200, "type": MESSAGE, "value": "Please write something first."}
    assert (await ticket_row(desk, "T-1001"))["status"] == "new"


async def test_customer_rejects_resolution_and_technician_reopens(
    desk, ticket, triage_channel, technician, customer_chat
):
    await act(desk, triage_channel, technician, "ticket.resolve", ticket, {"resolution": "Cleared the cache."})
    _, rejected = await desk.send(customer_chat.invoke("ticket.reject", "T-1001"))
    assert "back with our technicians" in card_text(rejected["value"])
    assert (await ticket_row(desk, "T-1001"))["status"] == "in_progress"
    await act(desk, triage_channel, technician, "ticket.resolve", ticket, {"resolution": "Rebuilt the profile."})
    body = await act(desk, triage_channel, technician, "ticket.reopen", ticket)
    assert "In progress" in card_text(body["value"])
    refused = await act(desk, triage_channel, technician, "ticket.reopen", ticket)
    assert refused["value"] == "T-1001 is not resolved."


async def test_an_old_not_fixed_button_does_not_reopen_a_closed_ticket(
    desk, ticket, triage_channel, technician, customer_chat
):
    await act(desk, triage_channel, technician, "ticket.resolve", ticket, {"resolution": "Cleared the cache."})
    await desk.send(customer_chat.invoke("ticket.confirm", "T-1001"))
    before = await ticket_row(desk, "T-1001")
    _, rejected = await desk.send(customer_chat.invoke("ticket.reject", "T-1001"))
    assert "T-1001 is not resolved." in str(rejected["value"])
    assert await ticket_row(desk, "T-1001") == before, "still closed, unchanged"


async def test_customer_forging_a_technician_action_is_refused(desk, ticket, customer_chat):
    before = await ticket_row(desk, "T-1001")
    for verb, inputs in (("ticket.assign_me", {}), ("ticket.resolve", {"resolution": "x"}), ("ticket.refresh", {})):
        _, body = await desk.send(customer_chat.invoke(verb, "T-1001", inputs))
        assert body == {
            "statusCode": 200,
            "type": MESSAGE,
            "value": "That is for technicians of Contoso Cloud Services.",
        }
    assert await ticket_row(desk, "T-1001") == before


async def test_technician_of_another_partner_is_refused(desk, ticket, triage_channel, connector):
    outsider = user(demo.STRANGER, 0)
    before = await ticket_row(desk, "T-1001")
    activity = triage_channel.invoke(outsider, "ticket.assign_me", "T-1001", thread=ticket["triage_activity_id"])
    status, body = await desk.send(activity)
    assert status == 200 and body["type"] == MESSAGE
    assert "serves customers of Contoso Cloud Services only" in body["value"]
    assert await ticket_row(desk, "T-1001") == before


async def test_customer_cannot_act_on_someone_elses_ticket(desk, ticket, connector):
    colleague = Chat(user(demo.FABRIKAM, 1), connector.url)
    _, body = await desk.send(colleague.invoke("ticket.confirm", "T-1001"))
    assert body["value"] == "I can't find that ticket among yours."
