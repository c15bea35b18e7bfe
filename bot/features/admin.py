"""`admin <customer>` (service-management links, subscriptions, the customer in Partner Center), `customers`
(with open-ticket counts) and `support` (the partner's support profile, for everyone)."""

from __future__ import annotations

import asyncio
import logging

from bot.features.escalate import sign_in_prompt
from bot.features.health import one_customer
from bot.features.help import show_help
from bot.features.sign_in_errors import NotSignedIn
from bot.turns.actions import ActionResult, ActionRouter, CardAction
from bot.turns.commands import CommandRouter
from bot.turns.conversations import CHANNEL, GROUP, PERSONAL
from bot.turns.turn import Turn
from cards.admin import AdminView, PortalAccess, admin_card
from cards.gdap import access_blocks
from cards.readiness import customers_readiness_card
from desk.clouds import admin_center_for, partner_center_customer
from desk.gdap import CustomerAccess, customer_access
from desk.people import Role
from desk.readiness import State
from desk.readiness_service import stored_states
from msapi.errors import MicrosoftApiError, TokenError
from msapi.service_requests import ManagedService

logger = logging.getLogger(__name__)
TECHNICIANS = (Role.TECHNICIAN,)
ANYWHERE = (PERSONAL, CHANNEL, GROUP)


def register(commands: CommandRouter, actions: ActionRouter) -> None:
    """Register the admin commands."""
    commands.add("admin", admin, roles=TECHNICIANS, scopes=ANYWHERE, help_key="command.admin", usage="fabrikam")
    actions.add("admin.sign_in", sign_in_action, roles=TECHNICIANS)
    commands.add("customers", customers, roles=TECHNICIANS, scopes=ANYWHERE, help_key="command.customers")
    commands.add(
        "support", show_help, roles=(Role.CUSTOMER, Role.TECHNICIAN), scopes=ANYWHERE, help_key="command.support"
    )


async def admin(turn: Turn, args: str) -> None:
    """The customer's admin portals and subscriptions, as Partner Center's Service management page has them.

    Partner Center gives managed services (the portal links) to App+User tokens only, so they are read with the
    asking technician's own sign-in; subscriptions take the app's own token (both kinds are documented). Without
    a sign-in the card offers one and shows the rest."""
    customer = await one_customer(turn, args)
    if customer is None:
        return
    client = turn.services.partner_center
    token, access = await _own_token(turn)
    services_call = client.managed_services(token, customer.tenant_id) if token else _nothing()
    services_result, subscriptions_result, gdap_result = await asyncio.gather(
        services_call,
        client.subscriptions(customer.tenant_id),
        _gdap_access(turn, customer.tenant_id),
        return_exceptions=True,
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
    if isinstance(gdap_result, BaseException):
        logger.warning("GDAP relationships for %s: %s", customer.name, gdap_result)
        gdap_result = None
    cloud = turn.services.settings.cloud
    card = admin_card(
        turn.t,
        AdminView(
            customer.name,
            customer.tenant_id,
            list(services_result),
            list(subscriptions_result),
            partner_center_customer(cloud, customer.tenant_id),
            admin_center_for(cloud, customer.tenant_id),
            problems,
            access,
            access_blocks(turn.t, gdap_result, turn.services.clock()) if turn.services.gdap else [],
        ),
    )
    await turn.show(card)


async def sign_in_action(turn: Turn, _: CardAction) -> ActionResult:
    """The admin card's "Sign in to Partner Center" button: the sign-in card, as `sign in` shows it."""
    if turn.services.signins is None:
        return ActionResult(message=turn.t("signin.not_configured"), refused=True)
    return ActionResult(card=await sign_in_prompt(turn))


async def _own_token(turn: Turn) -> tuple[str | None, PortalAccess]:
    """The asking technician's Partner Center token (never another technician's), and why there is none."""
    signins = turn.services.signins
    if signins is None:
        return None, PortalAccess.NOT_CONFIGURED
    try:
        return await signins.token(turn.person.aad_id), PortalAccess.SIGNED_IN
    except NotSignedIn:
        return None, PortalAccess.SIGN_IN_NEEDED
    except TokenError as error:
        logger.warning("Partner Center token of %s unavailable: %s", turn.person.aad_id, error)
        return None, PortalAccess.SIGN_IN_NEEDED


async def _gdap_access(turn: Turn, tenant_id: str) -> CustomerAccess | None:
    """The customer's GDAP state (None without a GDAP client; an error propagates to the caller's gather)."""
    client = turn.services.gdap
    if client is None:
        return None
    return customer_access(await client.relationships(), tenant_id, turn.services.clock())


async def _nothing() -> list[ManagedService]:
    return []


async def customers(turn: Turn, _: str) -> None:
    """Every customer, with how many tickets each has open."""
    try:
        listed = await turn.services.customers.all()
    except MicrosoftApiError:
        logger.exception("could not list customers")
        await turn.say(turn.t("customers.unavailable"))
        return
    counts = await turn.services.desk.open_counts()
    # The state stored by the last check (`readiness` or the weekly one): checking each customer live is too slow.
    states = await stored_states(turn.services.desk)
    rows = sorted(
        ((c.name, c.tenant_id, counts.get(c.tenant_id, 0), states.get(c.tenant_id, State.NOT_CHECKED)) for c in listed),
        key=lambda r: (-r[2], r[0].casefold()),
    )
    await turn.show(customers_readiness_card(turn.t, rows))
