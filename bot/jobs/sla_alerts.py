"""SLA reminders and breach alerts, posted in the ticket's thread in its triage channel (each exactly once)."""

from __future__ import annotations

from bot.turns.services import Services
from cards.format import card_time
from cards.messages import message_card
from cards.render import card_message
from desk.i18n import Translator
from desk.outbox import Card, Operation, Outgoing
from desk.sla_watch import Alert, due_alerts


async def check_sla(services: Services) -> int:
    """Queue the reminders and breach alerts that are due and were not sent yet; returns how many."""
    desk = services.desk
    now = services.clock()
    tickets = await desk.sla_due(now)  # only those whose next alert time has come, not every open ticket
    if not tickets:
        return 0
    triage = await desk.triage_context(tickets)
    if triage.channel is None and not triage.routes:
        return 0
    alerts = due_alerts(tickets, now, desk.sla)

    def messages(alert: Alert) -> list[Outgoing]:
        ticket = alert.ticket
        channel = triage.channel_for(ticket)  # the ticket's own triage channel, where its card lives
        if channel is None:
            return []
        t = Translator(channel.locale)
        key = f"sla.{alert.target}_{'breach' if alert.breach else 'reminder'}"
        heading = t(
            key,
            number=ticket.number,
            due=card_time(alert.due),
            severity=t(f"severity.{ticket.fields.severity.value}"),
            customer=ticket.requester.customer_name,
            assignee=ticket.assignee_name or t("triage.unassigned"),
        )
        operation = Operation.REPLY if ticket.triage_activity_id else Operation.POST
        card = Card.TRIAGE if ticket.triage_activity_id else None
        return [Outgoing(channel.key, operation, card_message(message_card(heading), heading), ticket.id, card)]

    return await desk.send_sla_alerts(alerts, messages, tickets)
