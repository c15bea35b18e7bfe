"""Input that looks numeric to Python but is not a plain number ('²', twenty digits) gets the usual plain answer
and changes nothing; it never crashes the turn."""

from __future__ import annotations

import logging

import pytest

from tests.bot.helpers import raise_ticket, set_triage_channel, ticket_row

MESSAGE = "application/vnd.microsoft.activity.message"


def crashed(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Errors logged with a traceback during the test (a crashed turn logs one)."""
    return [record.getMessage() for record in caplog.records if record.exc_info]


@pytest.mark.parametrize("number", ["T-99999999999999999999", "T-1001²", "T-１００１"])
async def test_odd_ticket_numbers_are_not_found(desk, customer_chat, caplog, number):
    caplog.set_level(logging.ERROR)
    await raise_ticket(desk, customer_chat)
    status, _ = await desk.send(customer_chat.message(f"ticket {number}"))
    assert status in (200, 201)
    assert desk.connector.posts(customer_chat.conversation_id)[-1].text == "I can't find that ticket among yours."
    assert crashed(caplog) == []


async def test_technician_action_on_a_huge_number_is_refused(desk, triage_channel, technician, caplog):
    caplog.set_level(logging.ERROR)
    await set_triage_channel(desk, triage_channel, technician)
    status, body = await desk.send(triage_channel.invoke(technician, "ticket.assign_me", "T-99999999999999999999"))
    assert (status, body) == (200, {"statusCode": 200, "type": MESSAGE, "value": "I can't find that ticket."})
    assert crashed(caplog) == []


@pytest.mark.parametrize("rating", ["5²", "٥", "6", ""])
async def test_a_rating_that_is_not_1_to_5_is_refused(desk, customer_chat, triage_channel, technician, caplog, rating):
    caplog.set_level(logging.ERROR)
    await set_triage_channel(desk, triage_channel, technician)
    number = await raise_ticket(desk, customer_chat)
    row = await ticket_row(desk, number)
    resolve = triage_channel.invoke(
        technician, "ticket.resolve", number, {"resolution": "Fixed."}, thread=row["triage_activity_id"]
    )
    await desk.send(resolve)
    status, body = await desk.send(customer_chat.invoke("ticket.rate", number, {"rating": rating}))
    assert (status, body["value"]) == (200, "Please pick a rating from 1 to 5.")
    assert (await ticket_row(desk, number))["rating"] is None
    assert crashed(caplog) == []


async def test_a_text_only_client_answering_a_choice_with_an_odd_digit_is_asked_again(desk, customer_chat, caplog):
    caplog.set_level(logging.ERROR)
    await desk.send(customer_chat.message("new ticket printer broken", channelId="sms"))
    question = desk.connector.posts(customer_chat.conversation_id)[-1].text
    await desk.send(customer_chat.message("²", channelId="sms"))
    again = desk.connector.posts(customer_chat.conversation_id)[-1].text
    assert crashed(caplog) == []
    assert again != "" and again.splitlines()[-1] == question.splitlines()[-1], (question, again)


@pytest.mark.parametrize(
    "entities",
    [
        [{"locale": "en-US"}],  # an entity without a type
        [{"type": "mention", "text": "<at>Partner Desk</at>"}],  # a mention without `mentioned`
        [{"type": "mention", "mentioned": "bot", "text": 42}],  # fields of the wrong type
    ],
)
async def test_odd_entities_are_ignored(desk, customer_chat, caplog, entities):
    caplog.set_level(logging.ERROR)
    await desk.send(customer_chat.message("help", entities=entities))
    assert "Contoso Cloud Services" in str(desk.connector.posts(customer_chat.conversation_id)[-1].cards)
    assert crashed(caplog) == []


@pytest.mark.parametrize("channel", ["19:abc", 7, None, ["x"]])
async def test_odd_channel_data_is_ignored(desk, customer_chat, caplog, channel):
    caplog.set_level(logging.ERROR)
    activity = customer_chat.message("help")
    activity["channelData"]["channel"] = channel
    await desk.send(activity)
    assert "Contoso Cloud Services" in str(desk.connector.posts(customer_chat.conversation_id)[-1].cards)
    assert crashed(caplog) == []


async def test_a_tenant_that_is_not_an_object_makes_a_stranger(desk, customer_chat, caplog):
    caplog.set_level(logging.ERROR)
    activity = customer_chat.message("help")
    activity["channelData"]["tenant"] = "9c4e2b7a-3d1f-4a8e-b6c5-2f0e1d3c4b01"
    activity["conversation"].pop("tenantId", None)
    await desk.send(activity)
    said = desk.connector.posts(customer_chat.conversation_id)[-1].text
    assert said.startswith("Sorry, this support desk serves customers of Contoso Cloud Services only")
    assert crashed(caplog) == []


async def test_a_card_action_that_fails_answers_with_an_apology_not_501(desk, customer_chat, monkeypatch):
    import bot.features.help

    async def broken(turn, args):
        raise RuntimeError("a bug")

    monkeypatch.setattr(bot.features.help, "show_help", broken)
    status, body = await desk.send(customer_chat.invoke("help.show", ""))
    assert status == 200
    assert body["type"] == MESSAGE and body["value"].startswith("Sorry")
