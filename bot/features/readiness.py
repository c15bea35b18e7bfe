"""`readiness <customer>` (technicians, anywhere): the customer's onboarding checklist, each line checked live, and
the "Readiness" button of the `admin` and `customers` cards (its data: the verb and the customer's tenant id; the
customer is looked up again and the role checked by the action router). Each check stores the customer's state,
which `customers` shows (docs/onboarding.md, "## Readiness")."""

from __future__ import annotations

import logging

from bot.features.health import one_customer
from bot.turns.actions import ActionResult, ActionRouter, CardAction
from bot.turns.commands import CommandRouter
from bot.turns.conversations import CHANNEL, GROUP, PERSONAL
from bot.turns.services import Services
from bot.turns.turn import Turn
from cards.readiness import readiness_card
from desk.people import Role
from desk.readiness_service import Probe, check, save, stored_states

logger = logging.getLogger(__name__)
TECHNICIANS = (Role.TECHNICIAN,)
ANYWHERE = (PERSONAL, CHANNEL, GROUP)


def register(commands: CommandRouter, actions: ActionRouter) -> None:
    """Register `readiness` and its button."""
    commands.add(
        "readiness", readiness, roles=TECHNICIANS, scopes=ANYWHERE, help_key="command.readiness", usage="fabrikam"
    )
    actions.add("readiness.check", readiness_action, roles=TECHNICIANS)


def probe_of(services: Services) -> Probe | None:
    """What a check reads, or None when the desk runs without the onboarding clients."""
    if services.teams_apps is None or services.directory is None or services.tokens is None:
        return None
    settings = services.settings
    return Probe(
        customers=services.customers,
        gdap=services.gdap,
        tokens=services.tokens,
        graph=services.graph,
        teams=services.teams_apps,
        directory=services.directory,
        manifest_id=settings.teams_manifest_id,
        app_id=settings.api_client_id,
        desk=services.desk,
        clock=services.clock,
    )


async def readiness(turn: Turn, args: str) -> None:
    """Check one customer now and show the checklist."""
    probe = probe_of(turn.services)
    if probe is None:
        await turn.say(turn.t("readiness.unavailable"))
        return
    customer = await one_customer(turn, args)
    if customer is None:
        return  # one_customer said why
    found = await check(probe, customer.tenant_id)
    await save(turn.services.desk, found)
    await turn.show(readiness_card(turn.t, found))


async def readiness_action(turn: Turn, action: CardAction) -> ActionResult:
    """The Readiness button: check the customer the button names (a tenant id) again, now."""
    probe = probe_of(turn.services)
    if probe is None:
        return ActionResult(message=turn.t("readiness.unavailable"), refused=True)
    tenant_id = action.target.strip().lower()
    if not tenant_id:
        return ActionResult(message=turn.t("health.no_customer"), refused=True)
    found = await check(probe, tenant_id)
    gone = any(line.text == "readiness.pc.missing" for line in found.lines)
    if gone and tenant_id not in await stored_states(turn.services.desk):
        return ActionResult(message=turn.t("health.no_customer"), refused=True)  # never a customer: store nothing
    await save(turn.services.desk, found)
    return ActionResult(card=readiness_card(turn.t, found))
