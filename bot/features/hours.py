"""Telling a customer who writes outside business hours when the partner is back (once per closed period)."""

from __future__ import annotations

from bot.turns.conversations import conversation_key
from bot.turns.turn import Turn
from desk.clock import to_iso
from desk.directory_service import AFTER_HOURS_MARK


async def after_hours_notice(turn: Turn) -> None:
    """Outside business hours, say when support opens again and how to reach the emergency contact."""
    services = turn.services
    hours = services.settings.support.hours
    now = services.clock()
    if hours.is_open(now):
        return
    back = hours.next_open(now)
    key = f"{AFTER_HOURS_MARK}{conversation_key(turn.activity)}"
    if not await services.desk.mark_once(key, to_iso(back) or ""):
        return
    when = f"{turn.t.moment(back)} ({hours.timezone.key})"
    profile = services.settings.support
    text = turn.t("after_hours.closed", partner=profile.partner_name, when=when)
    if profile.emergency_contact:
        text += " " + turn.t("after_hours.emergency", contact=profile.emergency_contact)
    await turn.say(text)
