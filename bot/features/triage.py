"""`triage here`: a technician makes a channel the partner's default triage channel."""

from __future__ import annotations

import logging
from dataclasses import replace

from bot.features.notices import triage_post
from bot.turns.actions import ActionRouter
from bot.turns.commands import CommandRouter
from bot.turns.conversations import CHANNEL, GROUP, PERSONAL, channel_name, record_of
from bot.turns.roster import roster
from bot.turns.turn import Turn
from desk.people import Role
from desk.store.people import Technician

logger = logging.getLogger(__name__)

TECHNICIANS = (Role.TECHNICIAN,)


def register(commands: CommandRouter, actions: ActionRouter) -> None:
    """Register the triage channel command."""
    commands.add("triage here", triage_here, roles=TECHNICIANS, scopes=(CHANNEL,), help_key="command.triage_here")
    commands.add("triage here", triage_elsewhere, roles=TECHNICIANS, scopes=(PERSONAL, GROUP), help_key="")


async def triage_here(turn: Turn, args: str) -> None:
    """Store this channel as the default triage channel, learn the team's technicians, post tickets that have no
    card. (`triage here for …`, a route, is bot/features/routes.py; anything else after it changes nothing.)"""
    if args:
        await turn.say(turn.t("route.usage"))
        return
    channel = record_of(turn.activity)
    await turn.services.desk.set_triage_channel(channel, channel_name(turn.activity))
    await learn_technicians(turn)
    await turn.say(turn.t("triage.set"))
    await post_waiting(turn)


async def post_waiting(turn: Turn) -> None:
    """Post the open tickets that have no triage card, each in the channel routing picks for it now (where an earlier
    post of it went, failed or dropped, does not count)."""
    desk = turn.services.desk
    waiting = [replace(ticket, triage_channel=None) for ticket in await desk.open_tickets_without_card()]
    if not waiting:
        return
    now = turn.services.clock()
    context = await desk.triage_context()
    posts = [
        triage_post(channel, ticket, now, context.refresh_ids)
        for ticket in waiting
        if (channel := context.channel_for(ticket)) is not None
    ]
    if posts:
        await desk.queue(posts)
        await turn.say(turn.t("triage.backlog", count=len(posts)))


async def triage_elsewhere(turn: Turn, _: str) -> None:
    """`triage here` outside a channel."""
    await turn.say(turn.t("triage.channel_only"))


async def learn_technicians(turn: Turn) -> None:
    """Add the team's partner-tenant members (not guests; only TECHNICIANS when set) to the directory."""
    settings = turn.services.settings
    try:
        members = await roster(turn.context)
    except Exception as error:  # the roster is a convenience; technicians are also learned as they write
        logger.info("could not read the team roster: %s", error)
        return
    for member in members:
        aad_id = (member.aad_object_id or "").lower()
        in_partner = (member.tenant_id or "").lower() == settings.partner_tenant_id  # unknown is not the partner
        listed = not settings.technicians or aad_id in settings.technicians
        if aad_id and in_partner and listed and (member.user_role or "").lower() == "user":
            email = (member.email or member.user_principal_name or "").lower() or None
            await turn.services.desk.remember_technician(Technician(aad_id, member.name or aad_id, member.id, email))
