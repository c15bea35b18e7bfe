"""Message center in Teams: `changes <customer>` (technicians: that tenant's posts, major changes and action dates
first) and `changes` (a customer, in their personal chat: their own tenant's upcoming changes in plain words)."""

from __future__ import annotations

from bot.features import follow
from bot.features.health import ANYWHERE, TECHNICIANS, one_customer
from bot.turns.actions import ActionRouter
from bot.turns.commands import CommandRouter
from bot.turns.conversations import PERSONAL
from bot.turns.turn import Turn
from cards.message_center import changes_card, customer_changes_card
from desk.clouds import admin_center_for
from desk.i18n import Translator
from desk.message_center import TenantChanges, read_changes, upcoming_for_customer
from desk.people import Role


def register(commands: CommandRouter, actions: ActionRouter) -> None:
    """Register the Message center commands."""
    commands.add("changes", changes, roles=TECHNICIANS, scopes=ANYWHERE, help_key="command.changes", usage="fabrikam")
    commands.add(
        "changes", customer_changes, roles=(Role.CUSTOMER,), scopes=(PERSONAL,), help_key="command.changes_customer"
    )


def problem_text(t: Translator, changes: TenantChanges) -> str | None:
    """Why a tenant's Message center could not be read, for technicians (naming what to grant)."""
    if changes.error is None:
        return None
    key = "changes.consent_missing" if changes.consent_missing else "changes.unreadable"
    return t(key, customer=changes.customer.name)


async def changes(turn: Turn, args: str) -> None:
    """`changes <customer>`: the tenant's posts as a card."""
    if not args.strip():
        await turn.say(turn.t("changes.which_customer"))
        return
    customer = await one_customer(turn, args)
    if customer is None:
        return
    result = await read_changes(turn.services.graph, customer)
    cloud = turn.services.settings.cloud
    admin = admin_center_for(cloud, customer.tenant_id)
    await turn.show(changes_card(turn.t, result, cloud.admin_center, admin, problem_text(turn.t, result)))


async def customer_changes(turn: Turn, args: str) -> None:
    """`changes` alone: the customer's own tenant. With more words it is a message like any other (say, "changes to
    my mailbox are not saved"), handled as the customer's text."""
    if args.strip():
        await follow.customer_text(turn)
        return
    customer = turn.person.customer
    assert customer is not None
    result = await read_changes(turn.services.graph, customer)
    partner = turn.services.settings.support.partner_name
    if result.error is not None:
        await turn.show(customer_changes_card(turn.t, [], partner, turn.t("changes.customer_unreadable")))
        return
    upcoming = upcoming_for_customer(result.posts, turn.services.clock())
    await turn.show(customer_changes_card(turn.t, upcoming, partner, None))
