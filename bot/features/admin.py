"""`admin <customer>` (service-management links, subscriptions, the customer in Partner Center), `customers`
(with open-ticket counts) and `support` (the partner's support profile, for everyone)."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter

from bot.actions import ActionRouter
from bot.commands import CommandRouter
from bot.conversations import CHANNEL, GROUP, PERSONAL
from bot.features.health import one_customer
from bot.features.help import show_help
from bot.turn import Turn
from cards.admin import admin_card, customers_card
from desk.clouds import admin_center_for, partner_center_customer
from desk.people import Role
from msapi.errors import MicrosoftApiError

logger = logging.getLogger(__name__)
TECHNICIANS = (Role.TECHNICIAN,)
ANYWHERE = (PERSONAL, CHANNEL, GROUP)


def register(commands: CommandRouter, actions: ActionRouter) -> None:
    """Register the admin commands."""
    commands.add("admin", admin, roles=TECHNICIANS, scopes=ANYWHERE, help_key="command.admin", usage="fabrikam")
    commands.add("customers", customers, roles=TECHNICIANS, scopes=ANYWHERE, help_key="command.customers")
    commands.add(
        "support", show_help, roles=(Role.CUSTOMER, Role.TECHNICIAN), scopes=ANYWHERE, help_key="command.support"
    )


async def admin(turn: Turn, args: str) -> None:
    """The customer's admin portals and subscriptions, as Partner Center's Service management page has them."""
    customer = await one_customer(turn, args)
    if customer is None:
        return
    client = turn.services.partner_center
    services_result, subscriptions_result = await asyncio.gather(
        client.managed_services(customer.tenant_id), client.subscriptions(customer.tenant_id), return_exceptions=True
    )
    problems = []
    if isinstance(services_result, BaseException):
        logger.warning("managed services of %s: %s", customer.name, services_result)
        problems.append(turn.t("admin.services_unavailable"))
        services_result = []
    if isinstance(subscriptions_result, BaseException):
        logger.warning("subscriptions of %s: %s", customer.name, subscriptions_result)
        problems.append(turn.t("admin.subscriptions_unavailable"))
        subscriptions_result = []
    cloud = turn.services.settings.cloud
    card = admin_card(
        turn.t,
        customer.name,
        list(services_result),
        list(subscriptions_result),
        partner_center_customer(cloud, customer.tenant_id),
        admin_center_for(cloud, customer.tenant_id),
        problems,
    )
    await turn.show(card)


async def customers(turn: Turn, _: str) -> None:
    """Every customer, with how many tickets each has open."""
    try:
        listed = await turn.services.customers.all()
    except MicrosoftApiError:
        logger.exception("could not list customers")
        await turn.say(turn.t("customers.unavailable"))
        return
    counts = Counter(t.requester.tenant_id for t in await turn.services.desk.open_tickets())
    rows = sorted(((c.name, counts.get(c.tenant_id, 0)) for c in listed), key=lambda r: (-r[1], r[0].casefold()))
    await turn.show(customers_card(turn.t, rows))
