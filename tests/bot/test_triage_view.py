"""The technician's view of a triage card after acting on it: the in-place update everyone gets lands before the
actor's own view (a client that does not refresh cards per user, like the Agents Playground, then keeps showing
the actor the technician view), "Assign to me" is not offered to the assignee, and "Assign to…" another
technician sits next to it."""

from __future__ import annotations

import pytest

from emulator import demo
from tests.bot.helpers import card_inputs, card_verbs, nodes, raise_ticket, set_triage_channel, ticket_row
from tests.support.activities import user

CARD = "application/vnd.microsoft.card.adaptive"


@pytest.fixture
async def ticket(desk, customer_chat, triage_channel, technician):
    await set_triage_channel(desk, triage_channel, technician)
    number = await raise_ticket(desk, customer_chat)
    return await ticket_row(desk, number)


async def click(desk, channel, sender, verb, ticket, inputs=None):
    """An Action.Execute on the triage card; returns the card the clicking technician gets back."""
    status, body = await desk.send(
        channel.invoke(sender, verb, ticket["number"], inputs, thread=ticket["triage_activity_id"])
    )
    assert status == 200 and body["type"] == CARD, body
    return body["value"]


def updates_of(desk, ticket):
    return [u for u in desk.connector.updates() if u.activity_id == ticket["triage_activity_id"]]


def assignment_row(card):
    """The ActionSet that holds "Assign to me"."""
    for node in nodes(card):
        if node.get("type") == "ActionSet" and any(a.get("verb") == "ticket.assign_me" for a in node["actions"]):
            return node
    return None


async def test_everyones_update_lands_before_the_actors_view(desk, ticket, triage_channel, technician):
    before = len(updates_of(desk, ticket))
    view = await click(desk, triage_channel, technician, "ticket.status", ticket, {"new_status": "in_progress"})
    # No desk.delivered() here: what the connector has when the invoke is answered is what the client saw first.
    landed = updates_of(desk, ticket)[before:]
    assert landed, "the card everyone sees was updated before the actor's own view was returned"
    assert card_verbs(landed[-1].cards[0]) == {"ticket.refresh"}
    assert "ticket.reply" in card_verbs(view), "the actor's view keeps the technician's actions"


async def test_assign_to_me_is_not_offered_to_the_assignee(desk, ticket, triage_channel, technician):
    view = await click(desk, triage_channel, technician, "ticket.assign_me", ticket)
    assert "ticket.assign_me" not in card_verbs(view)
    assert "ticket.assign" in card_verbs(view), "handing the ticket to someone else still works"
    other = await click(desk, triage_channel, user(demo.PARTNER, 1), "ticket.refresh", ticket)
    assert "ticket.assign_me" in card_verbs(other), "another technician may still take it"


async def test_assign_to_sits_next_to_assign_to_me(desk, ticket, triage_channel, technician):
    view = await click(desk, triage_channel, technician, "ticket.refresh", ticket)
    row = assignment_row(view)
    assert row is not None, "Assign to me is in the card"
    titles = [a["title"] for a in row["actions"]]
    assert titles == ["Assign to me", "Assign to…"], titles
    chooser = row["actions"][1]
    assert chooser["type"] == "Action.ShowCard" and "assignee" in card_inputs(chooser["card"])
    names = [c["title"] for c in card_inputs(chooser["card"])["assignee"]["choices"]]
    assert "Diego Siciliani" in names and technician.name not in names, "the others; Assign to me is the viewer's"
    status_form = next(a for a in view["actions"] if a.get("title") == "Status / severity…")
    assert "assignee" not in card_inputs(status_form["card"])
    assert len(view["actions"]) <= 6, "Teams shows at most six actions"
