"""A message about a ticket that Teams refuses for good (500, or retries run out) is not lost silently: the
ticket's history says it was not delivered, so the technician who was told "sent" can see it was not."""

from __future__ import annotations

from tests.bot.helpers import raise_ticket, rows, set_triage_channel, ticket_row
from tests.bot.test_triage_actions import act
from tests.support.connector import Reply


async def test_a_reply_teams_refused_is_in_the_tickets_history(desk, customer_chat, triage_channel, technician):
    await set_triage_channel(desk, triage_channel, technician)
    ticket = await ticket_row(desk, await raise_ticket(desk, customer_chat))
    desk.connector.fail_next("POST", Reply(500), path=f"/v3/conversations/{customer_chat.conversation_id}")

    await act(desk, triage_channel, technician, "ticket.reply", ticket, {"reply_text": "Please restart Outlook."})

    events = await rows(desk, "SELECT kind, text FROM ticket_events WHERE ticket_id = ? ORDER BY id", (ticket["id"],))
    undelivered = [e for e in events if e["kind"] == "undelivered"]
    assert len(undelivered) == 1 and "HTTP 500" in undelivered[0]["text"]
    failed = await rows(desk, "SELECT status FROM outbox WHERE status = 'failed'")
    assert len(failed) == 1
