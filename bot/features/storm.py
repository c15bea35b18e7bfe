"""Storm mode at the Teams edge (desk/storm.py): the summary card's Open button, and how a storm's cards are drawn."""

from __future__ import annotations

from typing import Any

from bot.features.notices import triage_post
from bot.features.tickets import find_ticket, technician_view
from bot.features.work import TECHNICIANS
from bot.turns.actions import ActionResult, ActionRouter, CardAction
from bot.turns.commands import CommandRouter
from bot.turns.turn import Turn
from cards.render import card_message
from cards.storm import OPEN_VERB, storm_summary_card
from desk.clock import Clock
from desk.i18n import Translator
from desk.outbox import Outgoing
from desk.store.conversations import Conversation
from desk.store.incidents import LinkedIncident
from desk.storm import StormView
from desk.tickets import Ticket


def register(commands: CommandRouter, actions: ActionRouter) -> None:
    """Register the summary card's Open button (technicians only: the router refuses anyone else)."""
    actions.add(OPEN_VERB, open_ticket, roles=TECHNICIANS)


async def open_ticket(turn: Turn, action: CardAction) -> ActionResult:
    """Open: the ticket reloaded, answered with its technician card (in place of the summary, for this technician
    only, as Teams shows an Action.Execute's answer; the next summary update brings the summary back)."""
    ticket = await find_ticket(turn, action.target)
    if ticket is None:
        return ActionResult(message=turn.t("refusal.no_such_ticket"), refused=True)
    return ActionResult(card=await technician_view(turn, ticket))


class StormCards:
    """Draws a released ticket's triage card and the summary, from the stored state (pure: they run inside the
    storm round's transaction)."""

    def __init__(self, clock: Clock, refresh_ids: list[str]) -> None:
        self._clock = clock
        self._refresh_ids = refresh_ids

    def card(self, channel: Conversation, ticket: Ticket, incidents: list[LinkedIncident]) -> Outgoing:
        """The ticket's own card, as it is now."""
        return triage_post(channel, ticket, self._clock(), self._refresh_ids, incidents)

    def summary(self, channel: Conversation, view: StormView) -> dict[str, Any]:
        """The summary card's activity."""
        t = Translator(channel.locale)
        card = storm_summary_card(t, view)
        key = "storm.over" if view.over else "storm.heading"
        return card_message(card, t(key, count=len(view.tickets)))
