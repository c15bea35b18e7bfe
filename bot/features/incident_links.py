"""Tickets meet incidents: when a ticket is raised for a service with an active incident in that customer's
tenant, the incident is attached to the ticket, shown on the triage card, and the customer is told Microsoft is
already working on it."""

from __future__ import annotations

import logging

from bot.features.notices import base_triage_card
from bot.turns.services import Services
from cards.health import status_words
from cards.render import card_message, text_message
from desk.health import related_issues
from desk.i18n import Translator
from desk.incident_posts import post_news
from desk.outbox import Card, Operation, Outgoing
from desk.store.incidents import LinkedIncident
from desk.tickets import Ticket

logger = logging.getLogger(__name__)


async def link_active_incidents(services: Services, ticket: Ticket) -> list[LinkedIncident]:
    """Attach the customer's active incidents that match the ticket's service; announce them once."""
    customer = await services.customers.by_tenant(ticket.requester.tenant_id)
    if customer is None:
        return []
    health = await services.health.tenant(customer)
    if health.error is not None:
        return []
    matches = related_issues(f"{ticket.fields.service} {ticket.fields.title}", health.issues)
    if not matches:
        return []
    desk = services.desk
    triage = await desk.triage_context([ticket])
    refresh_ids = triage.refresh_ids
    chat = await desk.conversation(ticket.requester.conversation_key)
    t_customer = Translator(chat.locale if chat else None)
    linked = [LinkedIncident(issue.id, issue.title, issue.status, _latest(issue)) for issue in matches]
    known = await desk.incidents_of(ticket.id)

    def messages(current: Ticket) -> list[Outgoing]:
        items: list[Outgoing] = []
        channel = triage.channel_for(current)  # where its card lives (a route's channel, or where it was moved)
        if channel is not None:
            t = Translator(channel.locale)
            card = base_triage_card(t, current, services.clock(), refresh_ids, known + linked)
            items.append(Outgoing(channel.key, Operation.UPDATE, card_message(card), current.id, Card.TRIAGE))
        if chat is not None:
            for incident in linked:
                text = t_customer(
                    "incident.customer_notice",
                    number=current.number,
                    id=incident.incident_id,
                    title=incident.title,
                    status=status_words(t_customer, incident.status),
                )
                text += _news(t_customer, incident.latest)
                items.append(Outgoing(chat.key, Operation.POST, text_message(text), current.id))
        return items

    return await desk.link_incidents(ticket.id, linked, messages)


def _news(t: Translator, latest: str | None) -> str:
    """Microsoft's latest post as a customer needs it: the status in whole sentences and when the next update is
    due (the post's title and impact repeat what the notice already says)."""
    if not latest:
        return ""
    news = post_news(latest)
    text = " " + t("incident.latest", latest=news.status) if news.status else ""
    if news.next_update is not None:
        text += " " + t("incident.next_update", when=f"{t.full_moment(news.next_update)} UTC")
    elif news.next_update_text:
        text += " " + t("incident.next_update", when=news.next_update_text)
    return text


def _latest(issue: object) -> str | None:
    post = getattr(issue, "latest_post", None)
    return post.text if post is not None else None
