"""The queue card shows 25 tickets and the whole count; its "Show more" button carries only a verb and a position
token, and brings the next page of the same query; a token that is not one of ours changes nothing."""

from __future__ import annotations

from cards.queue import MORE_VERB
from desk.tickets import Product, Requester, Severity, TicketFields
from tests.bot.helpers import card_text, nodes


async def _open_tickets(desk, count: int) -> None:
    service = desk.runtime.services.desk
    for n in range(count):
        requester = Requester("tenant-f", "Fabrikam, Inc.", f"aad-{n}", "Megan Bowen", "m@f.example", f"a:chat-{n}")
        severity = (Severity.CRITICAL, Severity.MODERATE)[n % 2]
        fields = TicketFields(Product.M365, "Exchange Online", severity, f"Problem {n}", "Since 09:00.", "-")
        await service.create_ticket(f"key-{n}", requester, fields, lambda ticket: [])


def _more_buttons(card):
    return [n for n in nodes(card) if n.get("type") == "Action.Execute" and n.get("verb") == MORE_VERB]


async def _last_card(desk, channel):
    await desk.delivered()
    return desk.connector.posts(channel.channel_id)[-1].cards[0]


async def test_the_next_page_follows_the_first_with_the_same_words(desk, connector, triage_channel, technician):
    await _open_tickets(desk, 31)
    await desk.send(triage_channel.message(technician, "queue critical"))  # 16 of the 31
    first = await _last_card(desk, triage_channel)
    assert "Open tickets (16)" in card_text(first)
    assert _more_buttons(first) == []  # they fit on one card

    await desk.send(triage_channel.message(technician, "queue"))
    first = await _last_card(desk, triage_channel)
    text = card_text(first)
    assert "Open tickets (31)" in text and text.count("Problem ") == 25
    [button] = _more_buttons(first)
    assert set(button["data"]) == {"verb", "id"}

    status, _ = await desk.send(triage_channel.invoke(technician, MORE_VERB, button["data"]["id"]))
    assert status == 200
    second = await _last_card(desk, triage_channel)
    shown = card_text(second)
    assert "Open tickets (31)" in shown and shown.count("Problem ") == 6
    assert _more_buttons(second) == []
    numbers = {f"T-{1001 + n}" for n in range(31)}
    assert {w for w in (text + "\n" + shown).split() if w in numbers} == numbers, "every ticket once over the pages"


async def test_a_token_that_is_not_ours_is_refused_plainly(desk, connector, triage_channel, technician):
    await _open_tickets(desk, 1)
    before = len(connector.posts(triage_channel.channel_id))
    status, body = await desk.send(triage_channel.invoke(technician, MORE_VERB, "'; DROP TABLE tickets; --"))
    assert status == 200
    assert "That list is out of date" in str(body)
    assert len(connector.posts(triage_channel.channel_id)) == before
