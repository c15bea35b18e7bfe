"""Input that looks numeric to Python but is not a plain number ('²', twenty digits) gets the usual plain answer
and changes nothing; it never crashes the turn."""

from __future__ import annotations

import json
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


def post_raw(desk, body: bytes | object):  # type: ignore[no-untyped-def]
    return desk.client.post("/api/messages", data=body, headers={"Content-Type": "application/json"})


def with_value(activity: dict, value_json: str) -> bytes:  # type: ignore[type-arg]
    """The activity's JSON with a `value` field spliced in as raw JSON text."""
    return (json.dumps(activity)[:-1] + ', "value": ' + value_json + "}").encode()


@pytest.mark.parametrize(
    "shape",
    ["[" * 100_000 + "]" * 100_000, '{"a":' * 100_000 + "1" + "}" * 100_000, "[" * 990 + "]" * 990],
    ids=["100k arrays", "100k objects", "990 arrays"],
)
async def test_deeply_nested_json_is_a_bad_request(desk, caplog, shape):
    caplog.set_level(logging.ERROR)
    response = await post_raw(desk, shape.encode())
    assert (response.status, await response.text()) == (400, "malformed activity")
    assert crashed(caplog) == []


@pytest.mark.parametrize("depth", [100_000, 900, 65])
async def test_an_activity_nesting_deeper_than_any_teams_sends_is_refused(desk, customer_chat, caplog, depth):
    caplog.set_level(logging.ERROR)
    response = await post_raw(desk, with_value(customer_chat.message("help"), "[" * depth + "]" * depth))
    assert (response.status, await response.text()) == (400, "malformed activity")
    assert crashed(caplog) == []
    assert desk.connector.posts(customer_chat.conversation_id) == []


async def test_an_activity_with_ordinary_nesting_is_served(desk, customer_chat, caplog):
    caplog.set_level(logging.ERROR)
    response = await post_raw(desk, with_value(customer_chat.message("help"), '{"a": ' * 20 + "1" + "}" * 20))
    assert response.status == 201
    assert "Contoso Cloud Services" in str(desk.connector.posts(customer_chat.conversation_id)[-1].cards)
    assert crashed(caplog) == []


async def test_a_body_over_one_mebibyte_is_refused_as_too_large(desk, customer_chat, caplog):
    caplog.set_level(logging.ERROR)
    padded = customer_chat.message("help " + "x" * (1024 * 1024))
    response = await post_raw(desk, json.dumps(padded).encode())
    assert response.status == 413

    async def chunks():  # no Content-Length: the limit holds while reading, too
        for _ in range(17):
            yield b" " * 65536

    response = await post_raw(desk, chunks())
    assert response.status == 413
    assert crashed(caplog) == []
    assert desk.connector.posts(customer_chat.conversation_id) == []


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("id", {}),
        ("id", [[], "queue"]),
        ("id", "x" * 5000),
        ("replyToId", ["1"]),
        ("from", None),
        ("from", "29:someone"),
        ("conversation", {"id": {"nested": True}, "conversationType": "personal"}),
        ("channelData", ["tenant"]),
    ],
)
async def test_an_activity_whose_identifiers_are_not_plain_strings_is_malformed(
    desk, customer_chat, caplog, field, value
):
    # msrest turns a list or object given for a string into its repr, which went into the connector's reply URL
    # (a 400 from the connector, then a crashed turn); a missing sender is no user at all.
    caplog.set_level(logging.ERROR)
    activity = customer_chat.message("new ticket")
    activity[field] = value
    before = len(desk.connector.posts())
    status, _ = await desk.send(activity)
    assert status == 400
    assert len(desk.connector.posts()) == before
    assert crashed(caplog) == []


@pytest.mark.parametrize("name", [None, "", "composeExtension/query", "no/such/invoke"])
async def test_an_invoke_the_desk_does_not_take_is_a_bad_request_not_a_server_error(desk, customer_chat, name):
    activity = customer_chat.invoke("tickets.mine")
    activity["name"] = name
    status, _ = await desk.send(activity)
    assert status == 400
