"""`triage here`: a technician makes a channel the partner's triage channel."""

from __future__ import annotations

from bot.actions import ActionRouter
from bot.commands import CommandRouter
from bot.conversations import CHANNEL, GROUP, PERSONAL, record_of
from bot.features.intake import triage_post
from bot.turn import Turn
from desk.people import Role

TECHNICIANS = (Role.TECHNICIAN,)


def register(commands: CommandRouter, actions: ActionRouter) -> None:
    """Register the triage channel command."""
    commands.add("triage here", triage_here, roles=TECHNICIANS, scopes=(CHANNEL,), help_key="command.triage_here")
    commands.add("triage here", triage_elsewhere, roles=TECHNICIANS, scopes=(PERSONAL, GROUP), help_key="")


async def triage_here(turn: Turn, _: str) -> None:
    """Store this channel as the triage channel, then post any open ticket that has no card yet."""
    channel = record_of(turn.activity)
    desk = turn.services.desk
    await desk.set_triage_channel(channel)
    await turn.say(turn.t("triage.set"))
    waiting = await desk.open_tickets_without_card()
    if waiting:
        now = turn.services.clock()
        await desk.queue([triage_post(channel, ticket, now) for ticket in waiting])
        await turn.say(turn.t("triage.backlog", count=len(waiting)))


async def triage_elsewhere(turn: Turn, _: str) -> None:
    """`triage here` outside a channel."""
    await turn.say(turn.t("triage.channel_only"))
