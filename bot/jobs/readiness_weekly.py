"""The weekly readiness check: once per ISO week every customer is checked again (its stored state refreshed for
`customers`) and the triage channel gets a card for each customer whose state got worse since the previous weekly
check (ready -> partial or blocked, partial -> blocked).

Once is kept by the database: each customer's row records the week it was checked in the transaction that queues its
card (desk.readiness_service.record_weekly), so a second round of the week, a restart half-way through (the rest are
checked on the next round) or another instance checks nobody twice and posts each worsening once."""

from __future__ import annotations

import asyncio
import logging
from functools import partial

from bot.features.readiness import probe_of
from bot.turns.services import Services
from cards.readiness import readiness_card
from cards.render import card_message
from desk.i18n import Translator
from desk.outbox import Operation, Outgoing
from desk.readiness import State
from desk.readiness_service import Readiness, check, record_weekly, relationships_of, weeks_checked
from msapi.errors import MicrosoftApiError

logger = logging.getLogger(__name__)
READINESS_CHECK_SECONDS = 3600.0  # how often the job looks for customers not checked this week yet
# One customer's check at most: past it that customer is left for the next round and the others go on.
CUSTOMER_SECONDS = 300.0


def iso_week(services: Services) -> str:
    """This ISO week, e.g. "2026-W49" (UTC)."""
    year, week, _ = services.clock().isocalendar()
    return f"{year}-W{week:02d}"


async def weekly_readiness(services: Services) -> int:
    """Check the customers not checked this week; returns how many worsenings this round queued."""
    probe = probe_of(services)
    channel = await services.desk.triage_channel()
    if probe is None or channel is None:
        return 0  # nothing is recorded: the week's check runs once a channel is chosen
    week = iso_week(services)
    try:
        customers = await services.customers.all()
    except MicrosoftApiError as error:
        logger.warning("readiness: the customer list could not be read, no weekly check this round: %s", error)
        return 0
    done = await weeks_checked(services.desk)
    due = [c for c in customers if done.get(c.tenant_id) != week]
    if not due:
        return 0
    relationships = await relationships_of(probe)
    t = Translator(channel.locale)
    posted = 0
    for customer in due:
        try:
            async with asyncio.timeout(CUSTOMER_SECONDS):
                found = await check(probe, customer.tenant_id, relationships)
            messages = partial(worsening_messages, t, channel.key, found)
            posted += await record_weekly(services.desk, found, week, messages)
        except Exception:  # one customer's surprise never stops the others' checks
            logger.exception("readiness: the weekly check of %s failed", customer.tenant_id)
    return posted


def worsening_messages(t: Translator, channel_key: str, found: Readiness, before: State) -> list[Outgoing]:
    """The triage channel's card for a customer whose state got worse: what changed, then the checklist."""
    was, now = t(f"readiness.state.{before.value}"), t(f"readiness.state.{found.state.value}")
    summary = t("readiness.worse", customer=found.name, before=was, after=now)
    card = readiness_card(t, found)
    card["body"].insert(0, {"type": "RichTextBlock", "inlines": [{"type": "TextRun", "text": summary}]})
    return [Outgoing(channel_key, Operation.POST, card_message(card, summary))]
