"""GDAP expiry warnings in the triage channel: 30, 7 and 1 days before a relationship ends without auto-extend, and
when one ends. Each is sent once per relationship, threshold and end date: desk.gdap_service records it in the
transaction that queues its message, so repeated rounds, restarts and other instances send nothing twice."""

from __future__ import annotations

import logging

from bot.turns.services import Services
from cards.gdap import warning_card
from cards.render import card_message
from desk.gdap import ExpiryWarning, due_warnings
from desk.gdap_service import send_gdap_warnings
from desk.i18n import Translator
from desk.outbox import Operation, Outgoing
from msapi.errors import MicrosoftApiError

logger = logging.getLogger(__name__)
# Hourly: the nearest threshold is a day before the end, so an hour late is still 23 hours early.
GDAP_POLL_SECONDS = 3600.0


async def check_gdap(services: Services) -> int:
    """Queue the expiry warnings due now and not sent before; returns how many."""
    if services.gdap is None:
        return 0
    desk = services.desk
    channel = await desk.triage_channel()
    if channel is None:
        return 0  # nothing is recorded: the warnings due go out once a channel is chosen
    try:
        relationships = await services.gdap.relationships()
    except MicrosoftApiError as error:
        logger.warning("GDAP relationships could not be read, no expiry warnings this round: %s", error)
        return 0
    now = services.clock()
    warnings = due_warnings(relationships, now)
    if not warnings:
        return 0
    t = Translator(channel.locale)

    def messages(warning: ExpiryWarning) -> list[Outgoing]:
        card, summary = warning_card(t, warning)
        return [Outgoing(channel.key, Operation.POST, card_message(card, summary))]

    return await send_gdap_warnings(desk, warnings, messages, now)
