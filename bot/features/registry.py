"""Every feature registered: the one list of the modules of bot/features/ that have a `register(commands, actions)`."""

from __future__ import annotations

from bot.features import admin, escalate, follow, health, help, intake, queue, signin, storm, triage, work
from bot.turns.actions import ActionRouter
from bot.turns.commands import CommandRouter


def register_all(commands: CommandRouter, actions: ActionRouter) -> None:
    """Register every feature's commands and card actions."""
    for feature in (help, intake, triage, work, queue, follow, health, escalate, signin, admin, storm):
        feature.register(commands, actions)
