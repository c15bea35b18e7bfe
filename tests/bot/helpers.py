"""Small helpers for driving the desk in tests."""

from __future__ import annotations

from typing import Any

from tests.support.activities import Channel, Chat, TeamsUser
from tests.support.harness import Desk

GOOD_TICKET = {
    "product": "microsoft365",
    "service": "Exchange Online",
    "severity": "critical",
    "title": "Mail is down",
    "description": "Nobody at the Leeds office can send mail since 09:00.",
    "contact": "megan@fabrikam.onmicrosoft.com, +44 113 496 0000",
}


async def rows(desk: Desk, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    """Query the desk's database."""
    return await desk.runtime.db.run(lambda cx: cx.all(sql, params))


async def set_triage_channel(desk: Desk, channel: Channel, technician: TeamsUser) -> None:
    """A technician types `@Partner Desk triage here` in the channel."""
    status, _ = await desk.send(channel.message(technician, "triage here"))
    assert status == 201


async def open_form(desk: Desk, chat: Chat, text: str = "new ticket") -> tuple[str, dict[str, Any]]:
    """Ask for the form; returns (draft id carried by its submit button, the card)."""
    status, _ = await desk.send(chat.message(text))
    assert status == 201
    card = desk.connector.posts(chat.conversation_id)[-1].cards[0]
    return submit_target(card), card


def submit_target(card: dict[str, Any]) -> str:
    """The id carried by a card's Submit ticket button."""
    action = next(a for a in card["actions"] if a.get("verb") == "ticket.submit")
    return str(action["data"]["id"])


def card_text(card: dict[str, Any]) -> str:
    """Every string in a card, joined (for 'the card mentions X' checks)."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
        elif isinstance(node, str):
            found.append(node)

    walk(card)
    return "\n".join(found)
