"""What a turn sends is not copied over again: the SDK deep-copies every outgoing activity (TurnContext.send_activities)
and a card is most of it, hundreds of nodes, built for that one message and never changed after."""

from __future__ import annotations

from collections.abc import Iterator
from copy import deepcopy
from typing import Any

import botbuilder.core.turn_context
import pytest
from botbuilder.core import InvokeResponse
from botbuilder.schema import Activity

from cards.render import card_message
from desk.outbox import Operation, Outgoing
from tests.bot.helpers import GOOD_TICKET, open_form
from tests.support.activities import Chat
from tests.support.harness import Desk


@pytest.fixture
def copied(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The kinds of outgoing activity whose card (or invoke answer) the SDK copied node by node."""
    found: list[str] = []

    def watching(value: Any, memo: Any = None) -> Any:
        duplicate = deepcopy(value, memo)
        if isinstance(value, Activity):
            for before, after in zip(value.attachments or [], duplicate.attachments or [], strict=True):
                if isinstance(before.content, dict) and after.content is not before.content:
                    found.append(f"{value.type} attachment")
            answer = value.value
            copied_answer = isinstance(answer, InvokeResponse) and duplicate.value.body is not answer.body
            if copied_answer and isinstance(answer.body, dict):
                found.append("invoke answer")
        return duplicate

    monkeypatch.setattr(botbuilder.core.turn_context, "deepcopy", watching)
    yield found


async def test_a_card_reply_is_sent_without_copying_the_card(desk: Desk, customer_chat: Chat, copied: list[str]):
    status, _ = await desk.send(customer_chat.message("help"))

    assert status == 201
    assert desk.connector.posts(customer_chat.conversation_id)[-1].cards, "the welcome card went out"
    assert copied == []


async def test_a_card_actions_answer_is_not_copied(desk: Desk, customer_chat: Chat, copied: list[str]) -> None:
    draft, _ = await open_form(desk, customer_chat)
    copied.clear()

    status, body = await desk.send(customer_chat.invoke("ticket.submit", draft, GOOD_TICKET))

    assert status == 200
    assert body["type"] == "application/vnd.microsoft.card.adaptive"
    assert "T-1001" in str(body["value"])
    assert copied == []


async def test_a_submit_fallback_card_update_is_not_copied(desk: Desk, customer_chat: Chat, copied: list[str]):
    draft, _ = await open_form(desk, customer_chat)
    form_id = desk.connector.posts(customer_chat.conversation_id)[-1].response_id
    copied.clear()

    status, _ = await desk.send(
        customer_chat.submit({"verb": "ticket.submit", "id": draft, **GOOD_TICKET}, reply_to=form_id)
    )

    assert status == 201
    assert desk.connector.updates(), "the form was replaced in place"
    assert "T-1001" in str(desk.connector.updates()[-1].cards)
    assert copied == []


async def test_an_outbox_card_is_sent_without_copying_the_card(desk: Desk, customer_chat: Chat, copied: list[str]):
    assert (await desk.send(customer_chat.message("help")))[0] == 201
    copied.clear()
    card = {"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock", "text": "From the outbox"}]}

    await desk.runtime.services.desk.queue(
        [Outgoing(customer_chat.conversation_id, Operation.POST, card_message(card, summary="news"))]
    )
    await desk.delivered()

    sent = desk.connector.posts(customer_chat.conversation_id)[-1]
    assert sent.cards == [card]
    assert sent.body["summary"] == "news"
    assert copied == []
