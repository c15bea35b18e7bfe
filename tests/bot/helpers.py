"""Small helpers for driving the desk in tests."""

from __future__ import annotations

from collections.abc import Iterator
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


def form_message_id(desk: Desk, chat: Chat) -> str | None:
    """The activity id of the last form the bot sent to `chat` (Teams puts it in the invoke's replyToId)."""
    forms = [s for s in desk.connector.posts(chat.conversation_id) if s.cards and submit_verbs(s.cards[0])]
    return forms[-1].response_id if forms else None


def submit_verbs(card: dict[str, Any]) -> bool:
    """Whether a card is the ticket form."""
    return any(a.get("verb") == "ticket.submit" for a in card.get("actions", []))


def submit_target(card: dict[str, Any]) -> str:
    """The id carried by a card's Submit ticket button."""
    action = next(a for a in card["actions"] if a.get("verb") == "ticket.submit")
    return str(action["data"]["id"])


def nodes(card: Any) -> Iterator[dict[str, Any]]:
    """Every object in a card (depth first), wherever it sits: body, ShowCards, actions, refresh."""
    if isinstance(card, dict):
        yield card
        for value in card.values():
            yield from nodes(value)
    elif isinstance(card, list):
        for value in card:
            yield from nodes(value)


def card_text(card: dict[str, Any]) -> str:
    """Every string in a card, joined (for 'the card mentions X' checks)."""
    found: list[str] = []

    def strings(node: Any) -> None:
        if isinstance(node, str):
            found.append(node)
        elif isinstance(node, dict):
            for value in node.values():
                strings(value)
        elif isinstance(node, list):
            for value in node:
                strings(value)

    strings(card)
    return "\n".join(found)


async def raise_ticket(desk: Desk, chat: Chat, **fields: str) -> str:
    """The customer fills in and submits the form; returns the ticket number."""
    draft_id, _ = await open_form(desk, chat)
    invoke = chat.invoke("ticket.submit", draft_id, {**GOOD_TICKET, **fields}, replyToId=form_message_id(desk, chat))
    status, body = await desk.send(invoke)
    assert status == 200, body
    await desk.runtime.services.spawner.drain()  # the incident check that follows a new ticket
    await desk.delivered()
    row = (await rows(desk, "SELECT number FROM tickets ORDER BY id DESC LIMIT 1"))[0]
    return str(row["number"])


async def ticket_row(desk: Desk, number: str) -> dict[str, Any]:
    """The ticket as stored."""
    return (await rows(desk, "SELECT * FROM tickets WHERE number = ?", (number,)))[0]


def card_inputs(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every input of a card (including those inside ShowCards), by id."""
    return {node["id"]: node for node in nodes(card) if str(node.get("type", "")).startswith("Input.") and "id" in node}


def card_verbs(card: dict[str, Any]) -> set[str]:
    """Every Action.Execute verb in a card (buttons and ShowCard forms, not the refresh)."""
    refresh = (card.get("refresh") or {}).get("action")
    return {n["verb"] for n in nodes(card) if n.get("type") == "Action.Execute" and n is not refresh}
