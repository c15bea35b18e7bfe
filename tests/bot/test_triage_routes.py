"""Several triage channels: `triage here for <customer | product | critical>` routes, `routes` with Remove, moving a
ticket's card between channels from the card, and routes across a restart — through the real adapter and a local
connector, as Teams would drive them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.jobs.sla_alerts import check_sla
from emulator import demo
from tests.bot.helpers import card_inputs, card_text, card_verbs, nodes, raise_ticket, rows, ticket_row
from tests.support.activities import Channel, Chat, user
from tests.support.connector import Reply
from tests.support.harness import FixedClock, local_settings, start_desk

CARD = "application/vnd.microsoft.card.adaptive"
MESSAGE = "application/vnd.microsoft.activity.message"
TEAM = "19:team-support@thread.tacv2"


@dataclass
class NamedChannel(Channel):
    """A channel whose activities carry its name (channelData.channel.name)."""

    name: str = ""

    def _channel_data(self, tenant: str) -> dict[str, Any]:
        data = super()._channel_data(tenant)
        if self.name:
            data["channel"]["name"] = self.name
        return data


@pytest.fixture
def channels(connector) -> dict[str, Channel]:
    """The default triage channel and one per route (the Fabrikam one unnamed: Teams did not say its name)."""
    return {
        "default": Channel(TEAM, "19:triage-channel@thread.tacv2", connector.url),
        "fabrikam": Channel(TEAM, "19:fabrikam@thread.tacv2", connector.url),
        "azure": NamedChannel(TEAM, "19:azure@thread.tacv2", connector.url, "Azure desk"),
        "critical": NamedChannel(TEAM, "19:critical@thread.tacv2", connector.url, "Sev A"),
        "billing": NamedChannel(TEAM, "19:billing@thread.tacv2", connector.url, "Billing team"),
    }


@pytest.fixture
def northwind(connector) -> Chat:
    """Nestor of Northwind Traders, in his personal chat."""
    return Chat(user(demo.NORTHWIND, 0), connector.url)


async def say(desk, channel: Channel, technician, text: str) -> str:
    """A technician @mentions the bot in `channel`; returns the bot's answers (texts) to it."""
    before = len(desk.connector.sent)
    status, _ = await desk.send(channel.message(technician, text))
    assert status == 201
    await desk.delivered()
    answers = [s for s in desk.connector.sent[before:] if s.path != "/v3/conversations"]
    return "\n".join(s.text or card_text(s.cards[0]) if s.cards else s.text for s in answers)


async def routed(desk, channels, technician) -> None:
    await say(desk, channels["default"], technician, "triage here")
    assert "Fabrikam, Inc." in await say(desk, channels["fabrikam"], technician, "triage here for Fabrikam")
    assert "Azure" in await say(desk, channels["azure"], technician, "triage here for azure")
    assert "Critical" in await say(desk, channels["critical"], technician, "triage here for CRITICAL")
    assert "Billing" in await say(desk, channels["billing"], technician, "triage here for billing")


def thread_roots(desk, channel: Channel) -> list[Any]:
    """Ticket cards posted as new threads in `channel`."""
    return [s for s in desk.connector.posts(channel.channel_id) if s.path == "/v3/conversations"]


def in_channel(desk, channel: Channel) -> list[Any]:
    """Everything sent to `channel` or any of its threads."""
    return [s for s in desk.connector.sent if s.conversation_id.startswith(channel.channel_id)]


async def channel_of(desk, number: str) -> str:
    return str((await ticket_row(desk, number))["triage_channel"])


async def test_a_new_ticket_goes_to_the_most_specific_route(desk, channels, technician, customer_chat, northwind):
    """Customer beats product (billing beats the product family), product beats critical, critical beats default."""
    await routed(desk, channels, technician)

    fabrikam_azure = await raise_ticket(desk, customer_chat, product="azure", severity="critical")
    azure = await raise_ticket(desk, northwind, product="azure", severity="critical")
    billing = await raise_ticket(desk, northwind, product="azure", severity="minimal", service="Billing portal")
    critical = await raise_ticket(desk, northwind, product="microsoft365", severity="critical")
    rest = await raise_ticket(desk, northwind, product="microsoft365", severity="moderate")

    expected = {
        fabrikam_azure: "fabrikam",
        azure: "azure",
        billing: "billing",
        critical: "critical",
        rest: "default",
    }
    for number, where in expected.items():
        assert await channel_of(desk, number) == channels[where].channel_id, number
        [root] = [s for s in thread_roots(desk, channels[where]) if number in card_text(s.cards[0])]
        assert root.response_id == (await ticket_row(desk, number))["triage_activity_id"]
    for where, channel in channels.items():
        assert len(thread_roots(desk, channel)) == 1, f"one card in {where}, none anywhere else"


async def test_news_of_a_routed_ticket_go_to_its_own_channel(desk, channels, technician, customer_chat):
    """A technician's reply updates the card and posts in its thread in the route's channel, not the default one."""
    await routed(desk, channels, technician)
    number = await raise_ticket(desk, customer_chat)  # Fabrikam's
    row = await ticket_row(desk, number)
    before_default = len(desk.connector.posts(channels["default"].channel_id))

    invoke = channels["fabrikam"].invoke(
        technician, "ticket.reply", number, {"reply_text": "On it."}, thread=row["triage_activity_id"]
    )
    status, body = await desk.send(invoke)
    assert status == 200 and body["type"] == CARD
    await desk.delivered()

    assert [u for u in desk.connector.updates() if u.activity_id == row["triage_activity_id"]]
    thread = f"{channels['fabrikam'].channel_id};messageid={row['triage_activity_id']}"
    assert "On it." in card_text(desk.connector.posts(thread)[-1].cards[0])
    assert len(desk.connector.posts(channels["default"].channel_id)) == before_default


async def test_routes_lists_every_route_and_removes_one(desk, channels, technician, customer_chat):
    await routed(desk, channels, technician)
    await desk.send(channels["default"].message(technician, "routes"))
    await desk.delivered()
    card = desk.connector.posts(channels["default"].channel_id)[-1].cards[0]
    text = card_text(card)
    assert "4 triage routes" in text
    assert "Fabrikam, Inc. → the Fabrikam, Inc. channel" in text  # unnamed: described by what it takes
    assert "Azure → Azure desk" in text and "Critical tickets → Sev A" in text and "Billing → Billing team" in text
    removes = [n for n in nodes(card) if n.get("type") == "Action.Execute" and n.get("verb") == "route.remove"]
    assert len(removes) == 4
    assert all(set(button["data"]) == {"verb", "id"} for button in removes), "card data: a verb and an id only"
    fabrikam = next(b for b in removes if b["title"] and "Fabrikam" in _row_text(card, b))

    status, body = await desk.send(channels["default"].invoke(technician, "route.remove", fabrikam["data"]["id"]))
    assert status == 200 and body["type"] == CARD
    assert "3 triage routes" in card_text(body["value"]) and "removed the route for Fabrikam, Inc." in card_text(
        body["value"]
    )
    assert len(await rows(desk, "SELECT id FROM triage_routes")) == 3
    again = (await desk.send(channels["default"].invoke(technician, "route.remove", fabrikam["data"]["id"])))[1]
    assert "already removed" in card_text(again["value"])

    number = await raise_ticket(desk, customer_chat, product="microsoft365", severity="moderate")
    assert await channel_of(desk, number) == channels["default"].channel_id, "the Fabrikam route is gone"


def _row_text(card: dict[str, Any], button: dict[str, Any]) -> str:
    """The text of the route row holding `button`."""
    for column_set in (n for n in nodes(card) if n.get("type") == "ColumnSet"):
        if button in list(nodes(column_set)):
            return card_text(column_set)
    return ""


async def test_customers_cannot_remove_a_route(desk, channels, technician, customer_chat):
    await routed(desk, channels, technician)
    [first] = await rows(desk, "SELECT id FROM triage_routes WHERE kind = 'customer'")
    status, _ = await desk.send(customer_chat.invoke("route.remove", first["id"]))
    assert status == 200
    assert len(await rows(desk, "SELECT id FROM triage_routes")) == 4


@pytest.mark.parametrize(
    ("words", "answer"),
    [
        ("triage here for", "triage here for followed by"),
        ("triage here for nobody at all", "No customer, product or severity is called that"),
        ("triage here for azure stack", "No customer, product or severity is called that"),
        ("triage here for criticals", "No customer, product or severity is called that"),
        ("triage here azure", "triage here for followed by"),
        ("triage here for northwind traders ltd", "No customer, product or severity is called that"),
        ("triage here for wind", "No customer, product or severity is called that"),  # inside "Northwind"
    ],
)
async def test_bad_arguments_are_answered_and_change_nothing(desk, channels, technician, words, answer):
    await say(desk, channels["default"], technician, "triage here")
    before = await rows(desk, "SELECT key, value FROM meta ORDER BY key")

    assert answer in await say(desk, channels["azure"], technician, words)

    assert await rows(desk, "SELECT id FROM triage_routes") == []
    assert await rows(desk, "SELECT key, value FROM meta ORDER BY key") == before, "the default channel stays"


async def move_view(desk, channel: Channel, technician, number: str) -> dict[str, Any]:
    row = await ticket_row(desk, number)
    _, body = await desk.send(channel.invoke(technician, "ticket.refresh", number, thread=row["triage_activity_id"]))
    return dict(body["value"])


async def test_moving_a_ticket_posts_it_in_the_new_channel_and_later_news_follow(
    desk, channels, technician, customer_chat
):
    await say(desk, channels["default"], technician, "triage here")
    await say(desk, channels["azure"], technician, "triage here for azure")
    number = await raise_ticket(desk, customer_chat)  # Microsoft 365: the default channel
    old = await ticket_row(desk, number)
    assert old["triage_channel"] == channels["default"].channel_id

    view = await move_view(desk, channels["default"], technician, number)
    assert "ticket.move" in card_verbs(view)
    choice = card_inputs(view)["triage_channel"]
    assert choice["label"] and choice["errorMessage"] and choice["isRequired"]
    assert [(c["title"], c["value"]) for c in choice["choices"]] == [("Azure desk", channels["azure"].channel_id)]
    move = next(n for n in nodes(view) if n.get("type") == "Action.Execute" and n.get("verb") == "ticket.move")
    assert set(move["data"]) == {"verb", "id"}, "the chosen channel is an input, not card data"

    invoke = channels["default"].invoke(
        technician,
        "ticket.move",
        number,
        {"triage_channel": channels["azure"].channel_id},
        thread=old["triage_activity_id"],
    )
    status, body = await desk.send(invoke)
    assert status == 200 and body["type"] == CARD
    assert "Moved to Azure desk by Alex Wilber." in card_text(body["value"])
    await desk.delivered()

    update = [u for u in desk.connector.updates() if u.activity_id == old["triage_activity_id"]][-1]
    assert "Moved to Azure desk by Alex Wilber." in card_text(update.cards[0])
    assert "refresh" not in update.cards[0], "the old card offers technicians nothing any more"
    [root] = thread_roots(desk, channels["azure"])
    assert number in card_text(root.cards[0])
    moved = await ticket_row(desk, number)
    assert moved["triage_channel"] == channels["azure"].channel_id
    assert moved["triage_activity_id"] == root.response_id != old["triage_activity_id"]
    new_thread = f"{channels['azure'].channel_id};messageid={root.response_id}"
    assert "Moved here from the default triage channel by Alex Wilber." in card_text(
        desk.connector.posts(new_thread)[-1].cards[0]
    )
    events = await rows(desk, "SELECT kind, old_value, new_value FROM ticket_events WHERE kind = 'moved'")
    assert events == [
        {"kind": "moved", "old_value": channels["default"].channel_id, "new_value": channels["azure"].channel_id}
    ]

    default_before = len(in_channel(desk, channels["default"]))
    note = channels["azure"].invoke(
        technician, "ticket.note", number, {"note_text": "Checked the tenant."}, thread=root.response_id
    )
    assert (await desk.send(note))[0] == 200
    await desk.delivered()
    assert "Checked the tenant." in card_text(desk.connector.posts(new_thread)[-1].cards[0])
    assert [u for u in desk.connector.updates() if u.activity_id == root.response_id], "the new card is updated"
    assert len(in_channel(desk, channels["default"])) == default_before, "nothing more in the old channel"
    old_thread = f"{channels['default'].channel_id};messageid={old['triage_activity_id']}"
    assert all("Checked the tenant." not in card_text(s.body) for s in desk.connector.posts(old_thread))


async def test_a_move_to_an_unknown_or_the_same_channel_changes_nothing(desk, channels, technician, customer_chat):
    await say(desk, channels["default"], technician, "triage here")
    await say(desk, channels["azure"], technician, "triage here for azure")
    number = await raise_ticket(desk, customer_chat)
    row = await ticket_row(desk, number)
    for chosen, words in (
        ("19:somewhere-else@thread.tacv2", "no longer a triage channel"),
        ("", "no longer a triage channel"),
        (channels["default"].channel_id, "is already in that channel"),
    ):
        invoke = channels["default"].invoke(
            technician, "ticket.move", number, {"triage_channel": chosen}, thread=row["triage_activity_id"]
        )
        status, body = await desk.send(invoke)
        assert status == 200 and body["type"] == MESSAGE and words in body["value"]
    await desk.delivered()
    assert await ticket_row(desk, number) == row
    assert thread_roots(desk, channels["azure"]) == []
    assert await rows(desk, "SELECT id FROM ticket_events WHERE kind = 'moved'") == []


async def test_routes_survive_a_restart(tmp_path, connector, channels, technician, customer_chat, northwind):
    """A new runtime on the same database routes as the first did (the routes are in the database)."""
    settings = local_settings(tmp_path, connector)
    first = await start_desk(settings, connector)
    try:
        await routed(first, channels, technician)
    finally:
        await first.close()

    second = await start_desk(settings, connector)
    try:
        azure = await raise_ticket(second, northwind, product="azure", severity="moderate")
        fabrikam = await raise_ticket(second, customer_chat)
        assert await channel_of(second, azure) == channels["azure"].channel_id
        assert await channel_of(second, fabrikam) == channels["fabrikam"].channel_id
        await second.send(channels["default"].message(technician, "routes"))
        await second.delivered()
        assert "4 triage routes" in card_text(second.connector.posts(channels["default"].channel_id)[-1].cards[0])
    finally:
        await second.close()


async def test_sla_alerts_of_a_routed_ticket_reach_its_own_thread(tmp_path, connector, channels, technician, northwind):
    clock = FixedClock(datetime(2026, 11, 24, 10, 0, tzinfo=UTC))
    desk = await start_desk(local_settings(tmp_path, connector), connector, clock)
    try:
        await routed(desk, channels, technician)
        number = await raise_ticket(desk, northwind, product="azure", severity="critical")
        row = await ticket_row(desk, number)
        clock.now = datetime(2026, 11, 24, 10, 46, tzinfo=UTC)  # the first-response reminder is due
        assert await check_sla(desk.runtime.services) == 1
        await desk.delivered()
        thread = f"{channels['azure'].channel_id};messageid={row['triage_activity_id']}"
        assert any(number in card_text(s.cards[0]) for s in desk.connector.posts(thread) if s.cards)
        assert all(number not in card_text(s.body) for s in in_channel(desk, channels["default"]))
    finally:
        await desk.close()


async def test_a_refused_route_channel_holds_its_cards_and_readyz_names_it(desk, channels, technician, northwind):
    """403 from a route's channel: the card is held (pending), not failed, as the default channel's would be."""
    await routed(desk, channels, technician)
    refusal = Reply(403, body={"error": {"code": "BotNotInConversationRoster"}})
    desk.connector.fail_next("POST", refusal, path="/v3/conversations", exact=True)  # the new thread

    number = await raise_ticket(desk, northwind, product="azure", severity="moderate")

    held = await rows(
        desk,
        "SELECT status FROM outbox WHERE conversation_key = ? AND operation = 'post'",
        (channels["azure"].channel_id,),
    )
    assert [r["status"] for r in held] == ["pending"], number
    response = await desk.client.get("/readyz")
    body = await response.json()
    states = {state["conversation"]: state for state in body["route_channels"]}
    key = channels["azure"].channel_id
    assert states[key]["state"] == "refused"
    pending = await rows(desk, "SELECT id FROM outbox WHERE conversation_key = ? AND status = 'pending'", (key,))
    assert states[key]["held"] == len(pending) >= 1
    assert states[channels["critical"].channel_id]["state"] == "ok"
    assert body["triage_channel"]["state"] == "ok"


async def test_an_incident_linked_to_a_routed_ticket_updates_its_card_in_the_routes_channel(
    desk, channels, technician, customer_chat
):
    """Fabrikam has an active Exchange incident (the emulator's EX987654): linking it updates the ticket's card where
    the card lives, the Fabrikam channel."""
    await routed(desk, channels, technician)
    number = await raise_ticket(desk, customer_chat, service="Outlook", title="Can't send mail")
    row = await ticket_row(desk, number)
    assert row["triage_channel"] == channels["fabrikam"].channel_id

    updates = [u for u in desk.connector.updates() if u.activity_id == row["triage_activity_id"]]
    assert updates and "EX987654" in card_text(updates[-1].cards[0])
    assert updates[-1].conversation_id.startswith(channels["fabrikam"].channel_id)
    assert all(number not in card_text(s.body) for s in in_channel(desk, channels["default"]))


async def test_tickets_waiting_for_a_channel_are_posted_where_routing_sends_them(
    desk, channels, technician, customer_chat, northwind
):
    azure = await raise_ticket(desk, northwind, product="azure", severity="moderate")
    other = await raise_ticket(desk, northwind, product="microsoft365", severity="moderate")
    assert (await ticket_row(desk, azure))["triage_activity_id"] is None, "no triage channel yet"

    answer = await say(desk, channels["azure"], technician, "triage here for azure")
    assert "Posting 1 open ticket" in answer
    assert await channel_of(desk, azure) == channels["azure"].channel_id
    assert (await ticket_row(desk, other))["triage_activity_id"] is None, "no route takes it, no default yet"

    assert "Posting 1 open ticket" in await say(desk, channels["default"], technician, "triage here")
    assert await channel_of(desk, other) == channels["default"].channel_id
    assert [len(thread_roots(desk, channels[name])) for name in ("azure", "default")] == [1, 1]
