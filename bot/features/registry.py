"""Every feature registered: the one list of the modules of bot/features/ that have a `register(commands, actions)`."""

from __future__ import annotations

from bot.features import (
    admin,
    bulk_reply,
    changes,
    deflection,
    escalate,
    follow,
    gdap,
    health,
    help,
    incident_noise,
    intake,
    kb,
    queue,
    readiness,
    reports,
    rollout,
    routes,
    signin,
    storm,
    triage,
    work,
)
from bot.turns.actions import ActionRouter
from bot.turns.commands import CommandRouter

# One feature per line: features are added at the end (help first: its command list follows this order).
FEATURES = (
    help,
    intake,
    triage,
    work,
    queue,
    follow,
    health,
    escalate,
    signin,
    admin,
    changes,
    routes,
    gdap,
    incident_noise,
    bulk_reply,
    storm,
    reports,
    kb,
    deflection,
    readiness,
    rollout,
)


def register_all(commands: CommandRouter, actions: ActionRouter) -> None:
    """Register every feature's commands and card actions."""
    for feature in FEATURES:
        feature.register(commands, actions)
