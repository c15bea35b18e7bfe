"""`sign in` / `sign out`: a technician's own Partner Center sign-in, needed to escalate to Microsoft."""

from __future__ import annotations

from bot.features.escalate import sign_in_prompt
from bot.turns.actions import ActionRouter
from bot.turns.commands import CommandRouter
from bot.turns.conversations import CHANNEL, GROUP, PERSONAL
from bot.turns.turn import Turn
from desk.people import Role

TECHNICIANS = (Role.TECHNICIAN,)
ANYWHERE = (PERSONAL, CHANNEL, GROUP)


def register(commands: CommandRouter, actions: ActionRouter) -> None:
    """Register the sign-in commands."""
    commands.add("sign in", sign_in, roles=TECHNICIANS, scopes=ANYWHERE, help_key="command.sign_in")
    commands.add("sign out", sign_out, roles=TECHNICIANS, scopes=ANYWHERE, help_key="command.sign_out")


async def sign_in(turn: Turn, _: str) -> None:
    """Show the sign-in card."""
    if turn.services.signins is None:
        await turn.say(turn.t("signin.not_configured"))
        return
    await turn.show(await sign_in_prompt(turn))


async def sign_out(turn: Turn, _: str) -> None:
    """Delete the technician's stored tokens."""
    if turn.services.signins is None:
        await turn.say(turn.t("signin.not_configured"))
        return
    removed = await turn.services.signins.sign_out(turn.person.aad_id)
    await turn.say(turn.t("signin.signed_out" if removed else "signin.not_signed_in"))
