"""How people address the bot: `@Partner Desk queue` typed as plain text (not picked from the @ menu, so there
is no mention entity) is a command like a picked mention; a bare mention in a channel gets a hint, never silence."""

from __future__ import annotations

import pytest

from tests.bot.helpers import card_text
from tests.support.activities import BOT_NAME


def typed(activity, text):
    """The channel post as Teams sends text typed without picking the bot from the @ menu: no mention entity."""
    activity["text"] = text
    activity["entities"] = []
    return activity


async def answers(desk, channel):
    """Everything the bot posted in the channel (threads included), as text."""
    await desk.delivered()
    return [card_text(s.cards[0]) if s.cards else s.text for s in desk.connector.posts(channel.channel_id)]


@pytest.mark.parametrize(
    "text", [f"@{BOT_NAME} queue", f"@{BOT_NAME.upper()}  queue", f"{BOT_NAME}: queue", f"<at>{BOT_NAME}</at> queue"]
)
async def test_the_bots_name_typed_as_text_is_a_mention(desk, triage_channel, technician, text):
    await desk.send(typed(triage_channel.message(technician, "queue"), text))
    said = await answers(desk, triage_channel)
    assert len(said) == 1 and "Open tickets (0)" in said[0], said


async def test_a_name_that_only_starts_like_the_bots_is_not_a_mention(desk, triage_channel, technician):
    await desk.send(typed(triage_channel.message(technician, "queue"), f"@{BOT_NAME}s queue"))
    said = await answers(desk, triage_channel)
    assert len(said) == 1 and "Open tickets" not in said[0], said


async def test_the_picked_mention_still_works_mid_sentence(desk, triage_channel, technician):
    await desk.send(triage_channel.message(technician, "queue"))
    assert "Open tickets (0)" in (await answers(desk, triage_channel))[0]


async def test_a_bare_mention_in_a_channel_gets_a_hint(desk, triage_channel, technician):
    await desk.send(triage_channel.message(technician, ""))
    said = await answers(desk, triage_channel)
    assert len(said) == 1, "an addressed bot never stays silent"
    assert f"@{BOT_NAME} help" in said[0]


async def test_a_bare_typed_mention_gets_a_hint_too(desk, triage_channel, technician):
    await desk.send(typed(triage_channel.message(technician, ""), f"@{BOT_NAME}"))
    said = await answers(desk, triage_channel)
    assert len(said) == 1 and f"@{BOT_NAME} help" in said[0], said


async def test_a_customer_naming_the_desk_in_a_sentence_keeps_its_subject(desk, customer_chat):
    await desk.send(customer_chat.message(f"{BOT_NAME} forgets my contact number"))
    await desk.delivered()
    offer = card_text(desk.connector.posts(customer_chat.conversation_id)[-1].cards[0])
    assert f"{BOT_NAME} forgets my contact number" in offer
