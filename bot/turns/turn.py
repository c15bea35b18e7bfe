"""What every handler gets: the turn, who is speaking, in which language, and the desk's services."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botbuilder.core import MessageFactory, TurnContext
from botbuilder.schema import Activity

from bot.edge.outgoing import SentAttachment
from bot.turns.services import Services
from cards.render import CARD_CONTENT_TYPE
from desk.deliveries import Delivery
from desk.i18n import Translator
from desk.people import Person


@dataclass
class Turn:
    """One inbound activity, resolved."""

    context: TurnContext
    person: Person
    t: Translator
    text: str
    scope: str
    services: Services
    delivery: Delivery | None = None  # the inbound activity being processed (None: not de-duplicated)

    @property
    def activity(self) -> Activity:
        """The inbound activity."""
        return self.context.activity

    async def say(self, text: str) -> None:
        """Reply with plain text."""
        await self.context.send_activity(MessageFactory.text(text))

    async def show(self, card: dict[str, Any], summary: str = "") -> str | None:
        """Reply with a card; returns the sent activity's id."""
        response = await self.context.send_activity(card_activity(card, summary))
        return response.id if response else None


def card_activity(card: dict[str, Any], summary: str = "") -> Activity:
    """A message activity carrying one Adaptive Card."""
    activity = Activity(type="message", attachments=[SentAttachment(content_type=CARD_CONTENT_TYPE, content=card)])
    if summary:
        activity.summary = summary
    return activity
