"""`gdap` (technicians): the partner's GDAP relationships with each customer — status, roles, end date, auto-extend;
`gdap <customer>` narrows the list to one customer. Read from Graph in the partner tenant (msapi/gdap.py)."""

from __future__ import annotations

import logging

from bot.features.health import one_customer
from bot.turns.actions import ActionRouter
from bot.turns.commands import CommandRouter
from bot.turns.conversations import CHANNEL, GROUP, PERSONAL
from bot.turns.turn import Turn
from cards.gdap import gdap_card
from desk.people import Role
from msapi.errors import ConsentMissing, MicrosoftApiError

logger = logging.getLogger(__name__)
TECHNICIANS = (Role.TECHNICIAN,)
ANYWHERE = (PERSONAL, CHANNEL, GROUP)


def register(commands: CommandRouter, actions: ActionRouter) -> None:
    """Register `gdap`."""
    commands.add("gdap", gdap, roles=TECHNICIANS, scopes=ANYWHERE, help_key="command.gdap", usage="[fabrikam]")


async def gdap(turn: Turn, args: str) -> None:
    """The relationships, per customer, or one customer's."""
    client = turn.services.gdap
    if client is None:
        await turn.say(turn.t("gdap.unavailable"))
        return
    customer = await one_customer(turn, args) if args.strip() else None
    if args.strip() and customer is None:
        return  # one_customer said why
    try:
        relationships = await client.relationships()
    except ConsentMissing as error:
        logger.warning("GDAP relationships: %s", error)
        await turn.say(turn.t("gdap.permission_missing", permission=error.permission))
        return
    except MicrosoftApiError as error:
        logger.warning("GDAP relationships could not be read: %s", error)
        await turn.say(turn.t("gdap.unavailable"))
        return
    if customer is not None:
        relationships = [r for r in relationships if r.customer_tenant_id == customer.tenant_id.lower()]
    name = customer.name if customer is not None else None
    await turn.show(gdap_card(turn.t, relationships, turn.services.clock(), name))
