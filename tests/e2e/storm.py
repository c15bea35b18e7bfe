"""An outage-morning storm for the browser test: many customers raise tickets at once.

The playground has one user per tenant, so the storm's customers write straight to the bot's messaging endpoint
as Teams would (a message for the form, then the form's Action.Execute), each from its own personal chat served
by a local connector; the technicians watch the storm in the partner's playground."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import aiohttp

from emulator import demo
from emulator.demo_storm import storm_customers
from tests.support.activities import Chat, join_roster, user, with_demo_roster
from tests.support.connector import LocalConnector


@dataclass(frozen=True)
class StormTicket:
    """What each customer types into the form."""

    service: str
    title: str
    description: str
    severity: str = "moderate"
    product: str = "microsoft365"


def storm_chats(connector: LocalConnector, extra_customers: int = 0) -> list[Chat]:
    """A personal chat for every demo customer user (but the customer playground's own, Fabrikam's first) and for
    the user of each of the emulator's `extra_customers` storm tenants (EMULATOR_STORM_CUSTOMERS), served by
    `connector`."""
    with_demo_roster(connector)
    tenants = (*demo.CUSTOMERS, *storm_customers(extra_customers))
    people = [user(tenant, index) for tenant in tenants for index in range(len(tenant.users))]
    join_roster(connector, *people)
    return [Chat(person, connector.url) for person in people if person.aad_id != demo.FABRIKAM.users[0].aad_id]


async def raise_storm(
    chats: list[Chat], bot_url: str, connector: LocalConnector, count: int, ticket: StormTicket
) -> int:
    """Raise `count` tickets spread over `chats`, all chats at once (each chat one ticket at a time, as a person
    fills one form after another); returns how many the bot accepted."""
    shares = [count // len(chats) + (1 if i < count % len(chats) else 0) for i in range(len(chats))]
    async with aiohttp.ClientSession() as session:
        done = await asyncio.gather(
            *(_raise(session, bot_url, connector, c, n, ticket) for c, n in zip(chats, shares, strict=True))
        )
    return sum(done)


async def _raise(
    session: aiohttp.ClientSession, bot_url: str, connector: LocalConnector, chat: Chat, count: int, ticket: StormTicket
) -> int:
    accepted = 0
    for index in range(count):
        async with session.post(bot_url, json=chat.message("new ticket")) as answer:
            answer.raise_for_status()
        form = next(s for s in reversed(connector.posts(chat.conversation_id)) if _form_id(s.cards))
        severity = "critical" if index == 0 and chat.sender.tenant_id == demo.FABRIKAM.tenant_id else ticket.severity
        inputs = {
            "product": ticket.product,
            "service": ticket.service,
            "severity": severity,
            "title": f"{ticket.title} ({index + 1})",
            "description": ticket.description,
            "contact": chat.sender.email,
        }
        invoke = chat.invoke("ticket.submit", _form_id(form.cards), inputs, replyToId=form.response_id)
        async with session.post(bot_url, json=invoke) as answer:
            accepted += answer.status == 200
    return accepted


def _form_id(cards: list[dict]) -> str:  # type: ignore[type-arg]
    """The draft id the ticket form's Submit button carries ('' when `cards` hold no form)."""
    for card in cards:
        for action in card.get("actions", []):
            if action.get("verb") == "ticket.submit":
                return str(action["data"]["id"])
    return ""
