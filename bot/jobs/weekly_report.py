"""The weekly report: every Monday from 09:00 in the partner's time zone (SUPPORT_TIMEZONE), the previous ISO week's
report (Monday to Sunday, every customer) in the triage channel, queued once per ISO week.

Once is kept by the database, as for the Message center digest (bot/jobs/message_digest.py): the week's row and the
outbox message are written in one transaction, so a restart, a second instance or an overlapping round never posts
a second one. A desk that was down at 09:00 posts it when it is back, until the end of Friday."""

from __future__ import annotations

import logging

from bot.turns.services import Services
from cards.render import card_message
from cards.reports import report_card
from desk.i18n import Translator
from desk.message_center import digest_week
from desk.outbox import Operation, Outgoing
from desk.report_service import Reports, Scope
from desk.reports import previous_week

logger = logging.getLogger(__name__)
CHECK_SECONDS = 300.0  # how often the job looks whether the week's report is due: within 5 minutes of 09:00


async def weekly_report(services: Services) -> bool:
    """Queue the previous week's report when it is due and was not queued yet; True when this round queued it."""
    now = services.clock()
    zone = services.settings.support.hours.timezone
    week = digest_week(now, zone)
    if week is None:
        return False
    reports = Reports(services.desk.db)
    if await reports.weekly_sent(week):
        return False
    channel = await services.desk.triage_channel()
    if channel is None:
        logger.info("the weekly report of %s waits for a triage channel", week)
        return False
    t = Translator(channel.locale)
    period = previous_week(now, zone)
    figures = await reports.report(period, Scope(), now)
    heading = t("report.weekly_heading")
    message = Outgoing(channel.key, Operation.POST, card_message(report_card(t, figures, heading, None), heading))
    queued = await reports.queue_weekly_once(week, message, now)
    if queued:
        services.desk.on_outbox()
    return queued
