"""Incident noise control from the incident card: Acknowledge, Snooze, Mute a customer. Each button carries its
verb and the incident id (and the card's choice); the desk reloads the incident, checks its state and the choice
against it, records the action and queues the card's update for everyone in one transaction. The role check
(technicians only) is the action router's."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.features.tickets import refusal
from bot.turns.actions import ActionResult, ActionRouter, CardAction
from bot.turns.commands import CommandRouter
from bot.turns.turn import Turn
from cards.incident_controls import ACK_VERB, MUTE_INPUT, MUTE_VERB, SNOOZE_INPUT, SNOOZE_VERB, stored_view
from cards.render import card_message
from desk.i18n import Translator
from desk.incident_noise import IncidentControl
from desk.incident_service import CardUpdate
from desk.incidents import CARD_PREFIX
from desk.outbox import Operation, Outgoing
from desk.people import Role
from desk.store.incidents import StoredIncident
from desk.workflow import Refused

TECHNICIANS = (Role.TECHNICIAN,)
Act = Callable[[Turn, CardAction, CardUpdate], Awaitable[IncidentControl]]


def register(commands: CommandRouter, actions: ActionRouter) -> None:
    """Register the incident card's noise-control verbs."""
    actions.add(ACK_VERB, _acting(_acknowledge), roles=TECHNICIANS)
    actions.add(SNOOZE_VERB, _acting(_snooze), roles=TECHNICIANS)
    actions.add(MUTE_VERB, _acting(_mute), roles=TECHNICIANS)


async def _acknowledge(turn: Turn, action: CardAction, update: CardUpdate) -> IncidentControl:
    person = turn.person
    return await turn.services.desk.acknowledge_incident(action.target, person.aad_id, person.name, update)


async def _snooze(turn: Turn, action: CardAction, update: CardUpdate) -> IncidentControl:
    choice = action.inputs.get(SNOOZE_INPUT, "")
    return await turn.services.desk.snooze_incident(action.target, choice, turn.person.name, update)


async def _mute(turn: Turn, action: CardAction, update: CardUpdate) -> IncidentControl:
    tenant = action.inputs.get(MUTE_INPUT, "").strip().lower()
    return await turn.services.desk.mute_incident_customer(action.target, tenant, update)


def _acting(act: Act):  # type: ignore[no-untyped-def]
    async def handler(turn: Turn, action: CardAction) -> ActionResult:
        services = turn.services
        channel = await services.desk.triage_channel()

        def update(incident: StoredIncident, control: IncidentControl) -> list[Outgoing]:
            # Incident cards live in the default triage channel (desk.triage_channel()), under their card key.
            if channel is None:
                return []
            t = Translator(channel.locale)
            card = stored_view(t, control, services.clock())
            if card is None:
                return []
            summary = t("monitor.summary", id=incident.id, service=incident.service)
            key = f"{CARD_PREFIX}{incident.id}"
            return [Outgoing(channel.key, Operation.UPDATE, card_message(card, summary), card_key=key)]

        try:
            control = await act(turn, action, update)
        except Refused as refused:
            return ActionResult(message=refusal(turn, refused), refused=True)
        return ActionResult(card=stored_view(turn.t, control, services.clock()))

    return handler
