"""The weekly Message center digest: every Monday from 09:00 in the partner's time zone (SUPPORT_TIMEZONE), one card
in the triage channel of what needs action in the coming 30 days, grouped by customer, queued once per ISO week.

Once is kept by the database, not by this process: the week's row and the outbox message are written in one
transaction (desk.digest_service), so a restart, a second instance or a round that overlaps another never sends a
second one. A desk that was down at 09:00 sends it when it is back, until the end of Friday of that week
(desk.message_center.digest_week)."""

from __future__ import annotations

import logging

from bot.features.changes import problem_text
from bot.turns.services import Services
from cards.message_center import digest_card
from cards.render import card_message
from desk.digest_service import DigestRecord
from desk.i18n import Translator
from desk.message_center import digest_week, read_all
from desk.outbox import Operation, Outgoing

logger = logging.getLogger(__name__)
CHECK_SECONDS = 300.0  # how often the job looks whether the week's digest is due: it goes out within 5 minutes of 09:00


async def weekly_digest(services: Services) -> bool:
    """Queue this week's digest when it is due and was not queued yet; True when this round queued it."""
    now = services.clock()
    week = digest_week(now, services.settings.support.hours.timezone)
    if week is None:
        return False
    record = DigestRecord(services.desk.db)
    if await record.sent(week):
        return False
    channel = await services.desk.triage_channel()
    if channel is None:
        logger.info("the Message center digest of %s waits for a triage channel", week)
        return False
    t = Translator(channel.locale)
    tenants = await read_all(services.graph, await services.customers.all())
    problems = {x.customer.tenant_id: problem_text(t, x) or "" for x in tenants if x.error is not None}
    card = digest_card(t, tenants, now, services.settings.cloud.admin_center, problems)
    message = Outgoing(channel.key, Operation.POST, card_message(card, t("digest.heading")))
    queued = await record.queue_once(week, message, services.clock())
    if queued:
        services.desk.on_outbox()
    return queued
