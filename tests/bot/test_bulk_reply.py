"""One reply to every open ticket linked to a Microsoft incident, through the real app at the HTTP level: the form
(from `bulk reply EX987654` or the incident card's button), each linked open ticket's customer told once in their
own chat, the reply recorded on each ticket and shown in its triage thread, resolved tickets skipped, and nothing
sent twice on a redelivered or repeated submit, nor after a failure half-way."""

from __future__ import annotations

import pytest

from bot.features.notices import Audience, announcer
from bot.jobs.monitor import monitor_round
from cards.bulk_reply import SEND_VERB, TEXT_INPUT
from cards.incident_controls import REPLY_ALL_VERB
from desk.changes import Actor, Reply
from desk.people import Role
from emulator import demo
from tests.bot.helpers import card_inputs, card_text, raise_ticket, rows, set_triage_channel, ticket_row
from tests.support.activities import Channel, Chat, user
from tests.support.harness import OFFICE_HOURS, FixedClock, local_settings, start_desk

EX = "EX987654"
MESSAGE = "application/vnd.microsoft.activity.message"
TEXT = "Microsoft is restoring mail delivery; we'll tell you as soon as it is fixed."


@pytest.fixture
def clock():
    return FixedClock(OFFICE_HOURS)


@pytest.fixture
async def desk(tmp_path, connector, clock):
    """The app on a clock the test moves: the triage channel's pace (Teams' per-conversation limit) frees with it."""
    running = await start_desk(local_settings(tmp_path, connector), connector, clock)
    yield running
    await running.close()


async def settled(desk, clock) -> None:
    """A minute passes: everything queued, the triage channel's paced posts included, goes out."""
    clock.advance(minutes=1)
    await desk.delivered()


@pytest.fixture
async def linked(desk, connector, customer_chat, triage_channel, technician):
    """Megan (Fabrikam) and Nestor (Northwind) have open tickets linked to EX987654; Adele's (Fabrikam) is
    resolved. The monitor has posted the incident's card."""
    await set_triage_channel(desk, triage_channel, technician)
    assert await monitor_round(desk.runtime.services) == 2
    nestor = Chat(user(demo.NORTHWIND, 0), connector.url)
    adele = Chat(user(demo.FABRIKAM, 1), connector.url)
    numbers = [await raise_ticket(desk, chat) for chat in (customer_chat, nestor, adele)]
    resolved = await ticket_row(desk, numbers[2])
    thread = resolved["triage_activity_id"]
    invoke = triage_channel.invoke(technician, "ticket.resolve", numbers[2], {"resolution": "Fixed."}, thread=thread)
    assert (await desk.send(invoke))[0] == 200
    await desk.delivered()
    links = await rows(desk, "SELECT ticket_id FROM ticket_incidents WHERE incident_id = ?", (EX,))
    assert len(links) == 3
    return {"chats": (customer_chat, nestor, adele), "numbers": numbers}


async def open_form(desk, triage_channel, technician) -> str:
    """`bulk reply EX987654` in the channel; returns the form's id (carried by its Send button)."""
    return await open_form_for(desk, triage_channel, technician, open_tickets=2, closed=1)


async def open_form_for(desk, triage_channel, technician, open_tickets: int, closed: int) -> str:
    """open_form for a given number of linked open and closed tickets."""
    status, _ = await desk.send(triage_channel.message(technician, f"bulk reply {EX}"))
    assert status == 201
    form = desk.connector.posts(triage_channel.channel_id)[-1].cards[0]
    text_box = card_inputs(form)[TEXT_INPUT]
    assert text_box["label"] and text_box["errorMessage"] and text_box["isRequired"]
    assert f"{open_tickets} open tickets are linked to EX987654" in card_text(form)
    assert (f"{closed} resolved or closed" in card_text(form)) == bool(closed)
    send = next(a for a in form["actions"] if a.get("verb") == SEND_VERB)
    assert set(send["data"]) == {"verb", "id"}, "the button carries a verb and the form's id only"
    return str(send["data"]["id"])


def replies_to(desk, chat) -> list:
    return [s for s in desk.connector.posts(chat.conversation_id) if s.cards and TEXT in card_text(s.cards[0])]


async def test_one_reply_reaches_each_linked_open_tickets_customer_once(
    desk, linked, triage_channel, technician, clock
):
    form_id = await open_form(desk, triage_channel, technician)
    submit = triage_channel.invoke(technician, SEND_VERB, form_id, {TEXT_INPUT: TEXT})
    status, body = await desk.send(submit)
    assert status == 200 and body["type"] == MESSAGE
    assert body["value"] == "Sent to 2 customers on 2 tickets. 1 resolved or closed ticket skipped."
    await settled(desk, clock)

    megan, nestor, adele = linked["chats"]
    assert len(replies_to(desk, megan)) == 1 and len(replies_to(desk, nestor)) == 1
    assert replies_to(desk, adele) == [], "a resolved ticket is skipped"
    for number in linked["numbers"][:2]:
        row = await ticket_row(desk, number)
        events = await rows(desk, "SELECT * FROM ticket_events WHERE ticket_id = ? AND kind = 'reply'", (row["id"],))
        assert [e["text"] for e in events] == [TEXT], number
        thread = f"{triage_channel.channel_id};messageid={row['triage_activity_id']}"
        lines = [s for s in desk.connector.posts(thread) if s.conversation_id == thread and s.cards]
        assert any(TEXT in card_text(s.cards[0]) for s in lines), "the reply shows in the ticket's thread"
    stored = (await rows(desk, "SELECT * FROM bulk_replies WHERE id = ?", (form_id,)))[0]
    assert (stored["customers"], stored["tickets"], stored["skipped"], stored["text"]) == (2, 2, 1, TEXT)

    # Teams redelivers the same activity: the first answer, nothing sent again.
    again = await desk.send(submit)
    assert again == (200, body)
    # A second click (a new activity) on the same form: told it went out already, nothing sent again.
    _, repeat = await desk.send(triage_channel.invoke(technician, SEND_VERB, form_id, {TEXT_INPUT: TEXT}))
    assert repeat["value"].startswith("This reply was already sent.") and "2 customers on 2 tickets" in repeat["value"]
    await settled(desk, clock)
    assert len(replies_to(desk, megan)) == 1 and len(replies_to(desk, nestor)) == 1
    for number in linked["numbers"][:2]:
        thread = f"{triage_channel.channel_id};messageid={(await ticket_row(desk, number))['triage_activity_id']}"
        lines = [s for s in desk.connector.posts(thread) if s.conversation_id == thread and s.cards]
        assert len([s for s in lines if TEXT in card_text(s.cards[0])]) == 1, number


async def test_each_tickets_thread_news_goes_to_the_channel_its_card_lives_in(
    desk, connector, customer_chat, triage_channel, technician, clock
):
    """Northwind's tickets are routed to their own channel: the reply shows in each ticket's own thread, and in no
    other channel's."""
    await set_triage_channel(desk, triage_channel, technician)
    northwind_desk = Channel("19:team-support@thread.tacv2", "19:northwind@thread.tacv2", connector.url)
    assert (await desk.send(northwind_desk.message(technician, "triage here for Northwind")))[0] == 201
    assert await monitor_round(desk.runtime.services) == 2
    nestor = Chat(user(demo.NORTHWIND, 0), connector.url)
    numbers = [await raise_ticket(desk, chat) for chat in (customer_chat, nestor)]
    await settled(desk, clock)
    form_id = await open_form_for(desk, triage_channel, technician, open_tickets=2, closed=0)
    status, body = await desk.send(triage_channel.invoke(technician, SEND_VERB, form_id, {TEXT_INPUT: TEXT}))
    assert status == 200 and body["value"] == "Sent to 2 customers on 2 tickets."
    await settled(desk, clock)

    for number, channel in zip(numbers, (triage_channel, northwind_desk), strict=True):
        row = await ticket_row(desk, number)
        assert row["triage_channel"] == channel.channel_id
        thread = f"{channel.channel_id};messageid={row['triage_activity_id']}"
        told = [s for s in desk.connector.posts(thread) if s.cards and TEXT in card_text(s.cards[0])]
        assert len(told) == 1, f"{number}: the reply in its own thread once"
        elsewhere = [
            s
            for other in (triage_channel, northwind_desk)
            if other is not channel
            for s in desk.connector.posts(f"{other.channel_id};messageid={row['triage_activity_id']}")
        ]
        assert elsewhere == [], f"{number}: nothing aimed at its card in another channel"


async def test_a_submit_retried_after_a_failure_half_way_sends_only_the_rest(desk, linked, triage_channel, technician):
    form_id = await open_form(desk, triage_channel, technician)
    megan_ticket = await ticket_row(desk, linked["numbers"][0])
    # The first attempt got as far as Megan's ticket, then died before it recorded the bulk reply as sent.
    services = desk.runtime.services
    actor = Actor(technician.aad_id, technician.name, Role.TECHNICIAN)
    megan_chat = await services.desk.conversation(f"{linked['chats'][0].conversation_id}")
    audience = Audience(None, megan_chat, "Contoso Cloud Services", [], [])
    once = f"bulk:{form_id}:{megan_ticket['id']}"
    await services.desk.apply(megan_ticket["id"], actor, Reply(TEXT), announcer(audience, services.clock()), once=once)
    await desk.delivered()

    _, body = await desk.send(triage_channel.invoke(technician, SEND_VERB, form_id, {TEXT_INPUT: TEXT}))
    assert body["value"].startswith("Sent to 2 customers on 2 tickets.")
    await desk.delivered()
    megan, nestor, _ = linked["chats"]
    assert len(replies_to(desk, megan)) == 1, "Megan's reply went out once, in the first attempt"
    assert len(replies_to(desk, nestor)) == 1
    events = await rows(
        desk, "SELECT * FROM ticket_events WHERE ticket_id = ? AND kind = 'reply'", (megan_ticket["id"],)
    )
    assert len(events) == 1


async def test_a_form_older_than_a_day_is_refused_and_sends_nothing(desk, linked, triage_channel, technician, clock):
    """Its sends' once-only keys are kept two days: a form sent later could tell customers twice."""
    form_id = await open_form(desk, triage_channel, technician)
    clock.advance(hours=24, minutes=1)
    status, body = await desk.send(triage_channel.invoke(technician, SEND_VERB, form_id, {TEXT_INPUT: TEXT}))
    assert status == 200 and body["value"].startswith("This reply form is more than a day old")
    assert f"bulk reply {EX}" in body["value"]
    await settled(desk, clock)
    megan, nestor, _ = linked["chats"]
    assert replies_to(desk, megan) == [] and replies_to(desk, nestor) == []
    stored = (await rows(desk, "SELECT * FROM bulk_replies WHERE id = ?", (form_id,)))[0]
    assert stored["sent_at"] is None


async def test_the_incident_cards_button_opens_the_form(desk, linked, triage_channel, technician):
    before = len(desk.connector.posts(triage_channel.channel_id))
    status, body = await desk.send(triage_channel.invoke(technician, REPLY_ALL_VERB, EX))
    assert status == 200 and body["type"] == MESSAGE and body["value"] == ""
    forms = desk.connector.posts(triage_channel.channel_id)[before:]
    assert len(forms) == 1 and TEXT_INPUT in card_inputs(forms[0].cards[0])
    assert len(await rows(desk, "SELECT * FROM bulk_replies WHERE incident_id = ?", (EX,))) == 1


async def test_bad_input_changes_nothing(desk, linked, triage_channel, technician, customer_chat):
    form_id = await open_form(desk, triage_channel, technician)
    _, empty = await desk.send(triage_channel.invoke(technician, SEND_VERB, form_id, {TEXT_INPUT: "   "}))
    assert "Write the reply" in empty["value"]
    _, long = await desk.send(triage_channel.invoke(technician, SEND_VERB, form_id, {TEXT_INPUT: "x" * 4001}))
    assert "Write the reply" in long["value"]
    _, unknown = await desk.send(triage_channel.invoke(technician, SEND_VERB, "no-such-form", {TEXT_INPUT: TEXT}))
    assert "don't know that reply form" in unknown["value"]
    _, customer = await desk.send(customer_chat.invoke(SEND_VERB, form_id, {TEXT_INPUT: TEXT}))
    assert "technicians" in customer["value"]
    await desk.delivered()
    assert replies_to(desk, customer_chat) == []
    assert (await rows(desk, "SELECT sent_at FROM bulk_replies WHERE id = ?", (form_id,)))[0]["sent_at"] is None

    for text, expected in (
        ("bulk reply", "Which incident?"),
        ("bulk reply EX000000", "I don't know a Microsoft incident EX000000"),
        ("bulk reply TM123456", "No open tickets are linked to Microsoft incident TM123456."),
    ):
        await desk.send(triage_channel.message(technician, text))
        assert desk.connector.posts(triage_channel.channel_id)[-1].text.startswith(expected), text


async def test_help_lists_the_command(desk, triage_channel, technician):
    await desk.send(triage_channel.message(technician, "help"))
    assert "bulk reply EX123456" in card_text(desk.connector.posts(triage_channel.channel_id)[-1].cards[0])
