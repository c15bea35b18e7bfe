"""`help`: the welcome card with the partner's support terms and the commands for the reader's role."""

from __future__ import annotations

from bot.jobs.support_profile import current_profile
from bot.turns.actions import ActionResult, ActionRouter, CardAction
from bot.turns.commands import CommandRouter
from bot.turns.conversations import CHANNEL, GROUP, PERSONAL
from bot.turns.turn import Turn
from cards.welcome import welcome_card
from desk.people import Role

EVERYONE = (Role.CUSTOMER, Role.TECHNICIAN)


def register(commands: CommandRouter, actions: ActionRouter) -> None:
    """Register `help` and its button."""
    scopes = (PERSONAL, CHANNEL, GROUP)
    commands.add("help", show_help, roles=EVERYONE, scopes=scopes, help_key="command.help", aliases=("?",))
    actions.add("help.show", help_action, roles=EVERYONE)


async def help_card(turn: Turn) -> dict:  # type: ignore[type-arg]
    """The welcome card for this reader, with the partner's current support profile."""
    listed = turn.services.commands.listed(turn.person.role, turn.scope)
    commands = [(f"{c.phrase} {c.usage}".strip(), turn.t(c.help_key)) for c in listed]
    profile = await current_profile(turn.services)
    is_customer = turn.person.role is Role.CUSTOMER
    return welcome_card(turn.t, profile, commands, is_customer, is_customer and turn.scope == PERSONAL)


async def show_help(turn: Turn, _: str) -> None:
    """Reply with the welcome card."""
    summary = turn.t("welcome.title", partner=turn.services.settings.support.partner_name)
    await turn.show(await help_card(turn), summary=summary)


async def help_action(turn: Turn, _: CardAction) -> ActionResult:
    """The Help button: send the welcome card as a new message, keep the clicked card as it is."""
    await show_help(turn, "")
    return ActionResult()
